import { catalog, defaultModel, offeredModels } from "../../app/catalog.ts";
import { startupModelChange } from "../../app/settings.ts";
import { qualified, selectModel } from "../../app/select-model.ts";
import type { ModelInfo } from "../../providers/types.ts";
import { Selector, type SelectorItem } from "../../terminal/selector.ts";
import type { SessionHost, SlashCommand } from "../host.ts";
import { style } from "../style.ts";
import { message } from "../words.ts";
import { PiError } from "../../core/errors.ts";

/** `/model [id]`: the model for the next message, named or chosen from the catalog, and remembered. */
export const model: SlashCommand = async (host, arg) => {
  if (arg) return use(host, arg);
  const models = await catalog(host.context.env);
  const current = host.model;
  const items = (detail: (m: ModelInfo) => string): SelectorItem[] =>
    models.map((m) => ({
      value: qualified(m),
      label: `${qualified(m)}${defaultModel(m.provider) === m.id ? " (default)" : ""}`,
      detail: detail(m),
      current: m.provider === current.provider && m.id === current.id,
    }));
  // Hundreds of models: typing narrows the list ("opus 5", "grok").
  const selector = new Selector(
    "Choose a model",
    items(() => "checking…"),
    undefined,
    true,
  );
  // Availability arrives while the list is already usable.
  void Promise.all([host.availability(), offeredByProvider(host, models)]).then(([usable, offered]) => {
    selector.update(
      items((m) =>
        offered.get(m.provider)?.has(m.id) === false
          ? "not offered to this account"
          : (usable.get(m.provider) ?? `not usable: /login ${m.provider}`),
      ),
    );
    host.redraw();
  });
  const value = await host.ask({ kind: "select", selector });
  if (!value) return host.say(style.dim("Model unchanged."));
  await use(host, value);
};

async function use(host: SessionHost, name: string): Promise<void> {
  const usable = await host.availability();
  host.model = await selectModel({
    model: name,
    fallbackProvider: host.model.provider,
    via: "/model",
    env: host.context.env,
    usable: (provider) => usable.has(provider),
    resolved: (m, typed) => host.say(style.dim(`Using ${qualified(m)} for /model ${typed}.`)),
  });
  try {
    await host.context.updateSettings(startupModelChange(host.model.provider, host.model.id));
  } catch (error) {
    if (!(error instanceof PiError)) throw error;
    // The switch stands for this session; only remembering it failed.
    host.say(
      style.yellow(
        `This session uses ${qualified(host.model)}; it could not be remembered for the next one: ${message(error)}`,
      ),
    );
  }
  await host.printHeader();
}

/** What each provider's own model listing named (`pi models --refresh`), where pi has one. */
async function offeredByProvider(
  host: SessionHost,
  models: readonly ModelInfo[],
): Promise<Map<string, ReadonlySet<string>>> {
  const out = new Map<string, ReadonlySet<string>>();
  for (const provider of new Set(models.map((m) => m.provider))) {
    const offered = await offeredModels(host.context.env, provider);
    if (offered) out.set(provider, offered);
  }
  return out;
}
