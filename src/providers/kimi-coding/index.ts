import type { ProviderDescriptor } from "../types.ts";

/** Kimi Code: the Kimi coding subscription through a device code, or an API key. */
export const kimiCoding: ProviderDescriptor = {
  id: "kimi-coding",
  displayName: "Kimi Code (subscription)",
  aliases: ["kimi", "moonshot", "kimi-code"],
  sources: [{ type: "stored" }, { type: "env", variable: "KIMI_API_KEY", kind: "api_key" }],
  tokenShapes: [],
  models: { default: "kimi-for-coding", embedded: () => import("./models.ts").then((m) => m.MODELS) },
  withToken: "a Kimi Code API key",
  loginMethods: [{ id: "device-code", label: "Device code", hint: "enter a code on Kimi's page" }],
  load: (env) => import("./runtime.ts").then((m) => m.runtime(env)),
};
