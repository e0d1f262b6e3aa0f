import type { ProviderDescriptor } from "../types.ts";
import type { ConfiguredProviderSpec } from "./spec.ts";

export type { ConfiguredProviderSpec } from "./spec.ts";

export function configuredProvider(spec: ConfiguredProviderSpec): ProviderDescriptor {
  const displayName = spec.name ?? spec.id;
  return {
    id: spec.id,
    displayName,
    sources: [{ type: "stored" }],
    tokenShapes: [],
    models: { default: spec.models[0]?.id ?? "", embedded: async () => spec.models },
    loginMethods: [],
    withToken: `an API key of ${displayName}`,
    describe: (): Record<string, string> => ({ "defined in": "models.json" }),
    noUsage: `${displayName} is defined in models.json; pi knows no usage figures for it`,
    // The protocol code only when a request is made: the descriptor is on every hot path.
    load: () => import("./runtime.ts").then((m) => m.runtime(spec, displayName)),
  };
}
