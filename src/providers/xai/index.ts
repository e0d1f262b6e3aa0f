import type { ProviderDescriptor } from "../types.ts";

/** xAI: a SuperGrok or X Premium subscription through a device code, or an API key. */
export const xai: ProviderDescriptor = {
  id: "xai",
  displayName: "xAI (Grok/X subscription)",
  baseUrlVariable: "XAI_BASE_URL",
  aliases: ["grok", "x.ai"],
  sources: [{ type: "stored" }, { type: "env", variable: "XAI_API_KEY", kind: "api_key" }],
  tokenShapes: [/\bxai-[A-Za-z0-9]{20,}/g],
  models: { default: "grok-4.7", embedded: () => import("./models.ts").then((m) => m.MODELS) },
  withToken: "an xAI API key (xai-…)",
  loginMethods: [{ id: "device-code", label: "Device code", hint: "enter a code on xAI's page" }],
  load: (env) => import("./runtime.ts").then((m) => m.runtime(env)),
};
