/**
 * Whether a source that lives in the environment is set: one rule for the resolver
 * (credentials.ts) and for `pi token`'s quick path (token-at-once.ts), which must hand over
 * exactly when the resolver would take one of these before the stored login.
 */

import { everyOf } from "../core/loops.ts";
import type { SourceSpec } from "../providers/types.ts";

/** A variable's credential, trimmed; undefined when it is unset or blank. */
export function variableValue(spec: Extract<SourceSpec, { type: "env" }>, env: NodeJS.ProcessEnv): string | undefined {
  return env[spec.variable]?.trim() || undefined;
}

/** A workload's identity counts when every variable it names is set. */
export function workloadSet(spec: Extract<SourceSpec, { type: "workload" }>, env: NodeJS.ProcessEnv): boolean {
  return everyOf(spec.variables, (name) => Boolean(env[name]?.trim()));
}
