import type { ProviderDescriptor } from "../types.ts";

/** Meta: a Muse subscription through a device code (and a minted Model API key), or an API key. */
export const meta: ProviderDescriptor = {
  id: "meta",
  displayName: "Meta (Muse subscription)",
  aliases: ["llama", "muse"],
  sources: [{ type: "stored" }, { type: "env", variable: "META_API_KEY", kind: "api_key" }],
  tokenShapes: [],
  models: { default: "muse-spark-1.3", embedded: () => import("./models.ts").then((m) => m.MODELS) },
  withToken: "a Meta API key",
  loginMethods: [{ id: "device-code", label: "Device code", hint: "enter a code on Meta's page" }],
  noUsage: "Meta publishes no usage figures for Muse subscriptions",
  load: (env) => import("./runtime.ts").then((m) => m.runtime(env)),
};
