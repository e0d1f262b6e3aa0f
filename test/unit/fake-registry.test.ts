import { describe, expect, test } from "bun:test";
import { PROVIDERS } from "../../src/providers/registry.ts";
import { FAKES, type ProviderFake, apiKeyVariables, fakesFor, rotatingFakes } from "../fakes/registry.ts";
import { TARGETS } from "../../scripts/stress.ts";

/**
 * The suites that cover every provider read one registry of fakes; these tests hold it
 * complete and show that a new provider's only test change is its line there.
 */
describe("the registry of fakes", () => {
  test("every registered provider has a fake, and every fake a provider", () => {
    expect(fakesFor(PROVIDERS).map((f) => f.id)).toEqual(PROVIDERS.map((p) => p.id));
    expect(FAKES.map((f) => f.id).sort()).toEqual(PROVIDERS.map((p) => p.id).sort());
  });

  test("a provider without a fake is named, with where to add it", () => {
    const toy = { id: "toy-provider" };
    expect(() => fakesFor([...PROVIDERS, toy])).toThrow(
      "no fake in test/fakes/registry.ts for toy-provider: add one line there",
    );
  });

  test("a toy provider's one registry line puts it in the refresh-fault suite, the stress run and the leak audit", () => {
    const toyFake: ProviderFake = {
      id: "toy-provider",
      rotates: true,
      start: () => {
        throw new Error("not started here");
      },
      storedLogin: () => ({ type: "oauth", access: "toy-access", refresh: "toy-refresh", expires: 0 }),
      tokenUrlEnv: (url) => ({ PI_TOY_TOKEN_URL: url }),
      apiKeyVariable: "TOY_API_KEY",
    };
    const registry = [...FAKES, toyFake];
    expect(fakesFor([...PROVIDERS, { id: "toy-provider" }], registry).at(-1)).toBe(toyFake);
    expect(rotatingFakes(registry).map((f) => f.id)).toContain("toy-provider");
    expect(apiKeyVariables(registry)).toContain("TOY_API_KEY");
  });

  test("the stress run's targets are the rotating fakes, kimi-coding among them", () => {
    expect(Object.keys(TARGETS)).toEqual(rotatingFakes().map((f) => f.id));
    expect(Object.keys(TARGETS)).toContain("kimi-coding");
  });

  test("each fake starts, hands out a stored login pi accepts, and stops", () => {
    for (const entry of FAKES) {
      const fake = entry.start();
      try {
        const login = entry.storedLogin(fake as never, 60_000);
        expect(["oauth", "api_key"]).toContain(login.type as string);
        expect(Object.keys(fake.env()).length).toBeGreaterThan(0);
      } finally {
        fake.stop();
      }
    }
  });
});
