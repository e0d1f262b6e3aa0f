import type { StoredLogin } from "../../core/login.ts";
import type { ProviderDescriptor } from "../types.ts";

/**
 * Radius: a pi gateway (reference-providers.md §P9) at an address the person names
 * (PI_RADIUS_URL, or radiusUrl in settings.json), else the reference's own (radius.pi.dev,
 * where the reference's logins, which name no gateway, were made). It signs in by browser or
 * device code, serves its own model catalog (/v1/config) and streams pi's own message
 * events (`pi-messages`).
 */
export const radius: ProviderDescriptor = {
  id: "radius",
  displayName: "Radius (pi gateway)",
  gateway: true,
  aliases: ["gateway", "pi-gateway"],
  sources: [{ type: "stored" }, { type: "env", variable: "RADIUS_API_KEY", kind: "api_key" }],
  tokenShapes: [],
  // The reference's default for the gateway; its catalog comes from the gateway itself.
  models: {
    default: "balanced",
    embedded: async () => [],
    fromProvider: true,
    legacyCatalog: {
      field: "gatewayConfig",
      read: (value) => import("./client.ts").then((m) => m.catalogFromConfig(value)),
    },
  },
  loginMethods: [
    {
      id: "browser",
      label: "Sign in with browser",
      hint: "the browser returns to pi on this machine",
      needsBrowser: true,
    },
    {
      id: "device-code",
      label: "Sign in with device code",
      hint: "enter a code on the gateway's page (SSH, containers)",
    },
  ],
  twoStep: true,
  describe: (login: StoredLogin): Record<string, string> =>
    typeof login.gateway === "string" ? { gateway: login.gateway } : {},
  noUsage: "the gateway publishes no usage figures",
  load: (env) => import("./runtime.ts").then((m) => m.runtime(env)),
};
