import { PiError } from "../../core/errors.ts";
import type { ProviderDescriptor, ProviderRuntime, SourceSpec } from "../types.ts";
import { mapOf } from "../../core/loops.ts";

/**
 * The reference program's API-key providers beyond the nine pi signs in to (its `pi auth
 * login` lists them): for each, its id, its name and the variables it reads the key from,
 * as the reference has them (pi-ai 1.6, `env-api-keys.js` and each provider's auth). pi
 * stores their keys where the reference reads them (auth.json `{"type":"api_key","key"}`),
 * reads the same variables, and serves the keys (`pi token`, `pi auth print-api-key`, the
 * agent); it does not chat through these APIs, and says so when asked.
 */
const TABLE: readonly [id: string, name: string, variables: readonly string[]][] = [
  ["amazon-bedrock", "Amazon Bedrock", ["AWS_BEARER_TOKEN_BEDROCK"]],
  ["ant-ling", "Ant Ling", ["ANT_LING_API_KEY"]],
  ["azure", "Azure", ["AZURE_OPENAI_API_KEY"]],
  ["baseten", "Baseten", ["BASETEN_API_KEY"]],
  ["cerebras", "Cerebras", ["CEREBRAS_API_KEY"]],
  ["cloudflare-ai-gateway", "Cloudflare AI Gateway", ["CLOUDFLARE_API_KEY"]],
  ["cloudflare-workers-ai", "Cloudflare Workers AI", ["CLOUDFLARE_API_KEY"]],
  ["deepseek", "DeepSeek", ["DEEPSEEK_API_KEY"]],
  ["fireworks", "Fireworks", ["FIREWORKS_API_KEY"]],
  ["google", "Google", ["GEMINI_API_KEY"]],
  ["google-vertex", "Google Vertex AI", ["GOOGLE_CLOUD_API_KEY"]],
  ["groq", "Groq", ["GROQ_API_KEY"]],
  ["huggingface", "Hugging Face", ["HF_TOKEN"]],
  ["minimax", "MiniMax", ["MINIMAX_API_KEY"]],
  ["minimax-cn", "MiniMax CN", ["MINIMAX_CN_API_KEY"]],
  ["mistral", "Mistral", ["MISTRAL_API_KEY"]],
  ["moonshotai", "Moonshot AI", ["MOONSHOT_API_KEY"]],
  ["moonshotai-cn", "Moonshot AI CN", ["MOONSHOT_API_KEY"]],
  ["nvidia", "NVIDIA", ["NVIDIA_API_KEY"]],
  ["opencode", "OpenCode Zen", ["OPENCODE_API_KEY"]],
  ["opencode-go", "OpenCode Go", ["OPENCODE_API_KEY"]],
  ["qwen-token-plan", "Qwen Token Plan Team", ["QWEN_TOKEN_PLAN_TEAM_API_KEY", "QWEN_TOKEN_PLAN_API_KEY"]],
  ["qwen-token-plan-cn", "Qwen Token Plan Team CN", ["QWEN_TOKEN_PLAN_TEAM_CN_API_KEY", "QWEN_TOKEN_PLAN_CN_API_KEY"]],
  [
    "qwen-token-plan-individual",
    "Qwen Token Plan Individual",
    ["QWEN_TOKEN_PLAN_INDIVIDUAL_API_KEY", "QWEN_TOKEN_PLAN_API_KEY"],
  ],
  [
    "qwen-token-plan-individual-cn",
    "Qwen Token Plan Individual CN",
    ["QWEN_TOKEN_PLAN_INDIVIDUAL_CN_API_KEY", "QWEN_TOKEN_PLAN_CN_API_KEY"],
  ],
  ["together", "Together", ["TOGETHER_API_KEY"]],
  ["typesafe", "TypeSafe", ["TYPESAFE_API_KEY"]],
  ["vercel-ai-gateway", "Vercel AI Gateway", ["AI_GATEWAY_API_KEY"]],
  ["xiaomi", "Xiaomi", ["XIAOMI_API_KEY"]],
  ["xiaomi-token-plan-ams", "Xiaomi Token Plan AMS", ["XIAOMI_TOKEN_PLAN_AMS_API_KEY"]],
  ["xiaomi-token-plan-cn", "Xiaomi Token Plan CN", ["XIAOMI_TOKEN_PLAN_CN_API_KEY"]],
  ["xiaomi-token-plan-sgp", "Xiaomi Token Plan SGP", ["XIAOMI_TOKEN_PLAN_SGP_API_KEY"]],
  ["zai", "Z.AI", ["ZAI_API_KEY"]],
  ["zai-coding-cn", "Z.AI Coding CN", ["ZAI_CODING_CN_API_KEY"]],
];

/**
 * One of them: what differs is kept on the object, what is alike (or made from those) on the
 * prototype, so building the list at start-up is a few fields each, not a closure and two
 * sentences each (every command that loads the registry pays for it).
 */
class KeyProvider {
  readonly sources: SourceSpec[] = [{ type: "stored" }];

  constructor(
    readonly id: string,
    readonly displayName: string,
    variables: readonly string[],
  ) {
    for (const variable of variables) this.sources.push({ type: "env", variable, kind: "api_key" });
  }

  get tokenShapes(): readonly RegExp[] {
    return NONE;
  }

  get models(): ProviderDescriptor["models"] {
    return KEY_MODELS;
  }

  get loginMethods(): ProviderDescriptor["loginMethods"] {
    return NONE;
  }

  get keyOnly(): true {
    return true;
  }

  get withToken(): string {
    return `a ${this.displayName} API key`;
  }

  get noUsage(): string {
    return `pi knows no usage figures for ${this.displayName}`;
  }

  async load(): Promise<ProviderRuntime> {
    return runtime(this.id, this.displayName);
  }
}

const KEY_MODELS: ProviderDescriptor["models"] = { default: "", embedded: async () => [] };
const NONE: readonly never[] = [];

// mapOf, not the builtin: every command that loads the registry runs this (core/loops.ts).
export const API_KEY_PROVIDERS: readonly ProviderDescriptor[] = mapOf(
  TABLE,
  ([id, displayName, variables]) => new KeyProvider(id, displayName, variables),
);

function runtime(id: string, name: string): ProviderRuntime {
  const notHere = (what: string) =>
    new PiError(
      "usage",
      `pi does not ${what} through ${name}'s API: it keeps and serves its key (\`pi token ${id}\`, \`pi auth print-api-key --provider ${id}\`) for the programs that do`,
    );
  return {
    login: async () => {
      throw new PiError(
        "usage",
        `${name} takes an API key: run \`pi auth login ${id}\` (or \`pi login ${id} --with-token\`)`,
      );
    },
    loginWithToken: async (token) => ({ type: "api_key", key: token }),
    refresh: async () => {
      throw new PiError("internal", `${name} uses an API key, which has nothing to refresh`);
    },
    revoke: async () => ({ revoked: false, note: `a ${name} key is withdrawn where it was issued, not by pi` }),
    client: {
      chat() {
        throw notHere("chat");
      },
      async listModels() {
        throw notHere("list models");
      },
    },
  };
}
