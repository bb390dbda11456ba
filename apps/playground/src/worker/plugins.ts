import { aggregatorRegistry, methodRegistry, stepFunctionRegistry } from "tokenscope";

/** The registries a plugin's array exports go to (the CLI's plugin convention). */
const definitionExports = [
  { name: "methods", registry: methodRegistry },
  { name: "stepFunctions", registry: stepFunctionRegistry },
  { name: "aggregators", registry: aggregatorRegistry },
] as const;

/** The exports tokenscope reads: the module's own, or its default export's. */
function pluginExports(module: Record<string, unknown>): Record<string, unknown> {
  const own = ["methods", "stepFunctions", "aggregators", "register"].some(
    (name) => module[name] !== undefined,
  );
  const fallback = module["default"];
  return !own && typeof fallback === "object" && fallback !== null
    ? (fallback as Record<string, unknown>)
    : module;
}

/**
 * Imports the ES module at `url` and registers its `methods`, `stepFunctions` and `aggregators`
 * arrays, then calls its `register()` (as the CLI's `--plugin`). Throws naming the plugin.
 */
export async function loadPlugin(url: string): Promise<void> {
  let module: Record<string, unknown>;
  try {
    module = (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
  } catch (cause) {
    throw new Error(`plugin ${url} failed to load: ${(cause as Error).message}`);
  }
  const exports = pluginExports(module);
  for (const { name, registry } of definitionExports) {
    const definitions = exports[name];
    if (definitions === undefined) continue;
    if (!Array.isArray(definitions)) throw new Error(`plugin ${url}: \`${name}\` must be an array`);
    // biome-ignore lint/suspicious/noExplicitAny: the registry validates the untyped definition itself
    for (const definition of definitions) registry.register(definition as any);
  }
  const register = exports["register"];
  if (typeof register === "function") await register();
}

/** Loads every plugin; returns one message per plugin that failed (the others stay registered). */
export async function loadPlugins(urls: readonly string[]): Promise<string[]> {
  const errors: string[] = [];
  for (const url of urls) {
    try {
      await loadPlugin(url);
    } catch (error) {
      errors.push((error as Error).message);
    }
  }
  return errors;
}
