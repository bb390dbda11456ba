import { TokenscopeError } from "@tokenscope/core";
import { canonicalJson } from "./fingerprint.ts";
import type { RunIdentity, RunStore } from "./types.ts";

/**
 * Where two runs' settings differ: the dotted paths of the values that differ (`attribution.method`),
 * going into objects present on both sides, sorted; `["settings"]` when the two are not both objects.
 */
export function differingSettings(held: unknown, asked: unknown): string[] {
  const isRecord = (value: unknown): value is Record<string, unknown> =>
    value !== null && typeof value === "object" && !Array.isArray(value);
  const found: string[] = [];
  const walk = (before: Record<string, unknown>, now: Record<string, unknown>, prefix: string) => {
    for (const name of new Set([...Object.keys(before), ...Object.keys(now)])) {
      const path = `${prefix}${name}`;
      const [a, b] = [before[name], now[name]];
      if (isRecord(a) && isRecord(b)) walk(a, b, `${path}.`);
      else if (canonicalJson(a ?? null) !== canonicalJson(b ?? null)) found.push(path);
    }
  };
  if (!isRecord(held) || !isRecord(asked)) return ["settings"];
  walk(held, asked, "");
  return found.sort();
}

/** The value at a dotted path of {@link differingSettings}, as canonical JSON ("null" when absent). */
function valueAt(settings: unknown, path: string): string {
  let at: unknown = settings;
  for (const name of path.split(".")) {
    at = at !== null && typeof at === "object" ? (at as Record<string, unknown>)[name] : undefined;
  }
  return canonicalJson(at ?? null);
}

/**
 * The error of a store that holds a run with other settings: names the settings that differ, with
 * both values when they are short.
 */
export function otherRunError(where: string, held: RunIdentity, asked: RunIdentity): TokenscopeError {
  const names = differingSettings(held.settings, asked.settings);
  const described = names.slice(0, 5).map((name) => {
    const before = valueAt(held.settings, name);
    const now = valueAt(asked.settings, name);
    return before.length + now.length <= 120 ? `${name} (${before} there, ${now} now)` : name;
  });
  const more = names.length > 5 ? ` and ${names.length - 5} more` : "";
  return new TokenscopeError(
    "INCOMPATIBLE_RESULTS",
    `${where} holds a run with other settings: ${described.join(", ") || "settings"}${more} differ${names.length === 1 ? "s" : ""}. Resuming it with these would mix results of two runs.`,
    {
      hint: "Resume with the settings the run began with, or write this run to another place (a new --out-dir).",
      details: { differing: names, held: held.fingerprint, asked: asked.fingerprint },
    },
  );
}

/**
 * A {@link RunStore} in memory: for tests, for short runs in a browser, and as the reference of the
 * contract. It keeps the settings of the first run opened on it and refuses a run with other ones;
 * outputs are kept as given (not copied).
 */
export function createMemoryRunStore<O>(): RunStore<O> {
  let identity: RunIdentity | undefined;
  const outputs = new Map<string, { output: O; index: number }>();
  return {
    async open(asked) {
      if (identity && identity.fingerprint !== asked.fingerprint) {
        throw otherRunError("The store", identity, asked);
      }
      identity ??= {
        fingerprint: asked.fingerprint,
        settings: JSON.parse(canonicalJson(asked.settings, "settings")),
      };
    },
    async has(key) {
      return outputs.has(key);
    },
    async read(key) {
      const entry = outputs.get(key);
      if (!entry) {
        throw new TokenscopeError("INVALID_INPUT", `Item "${key}" is not finished in this store.`, {
          details: { key },
        });
      }
      return entry.output;
    },
    async write(key, output, index) {
      outputs.set(key, { output, index });
    },
    async keys() {
      return [...outputs].sort((a, b) => a[1].index - b[1].index).map(([key]) => key);
    },
  };
}
