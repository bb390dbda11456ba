import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  type Aggregator,
  type AttributionMethod,
  registerAggregator,
  registerMethod,
  registerStepFunction,
  type StepFunction,
  TokenscopeError,
} from "tokenscope";

/**
 * What a plugin module exports: arrays of definitions (registered explicitly
 * here, never by import side effects), and/or a `register()` function.
 */
export interface PluginModule {
  methods?: AttributionMethod<never>[];
  stepFunctions?: StepFunction<never>[];
  aggregators?: Aggregator<never>[];
  register?: () => void | Promise<void>;
}

/** Turns a `--plugin` value into an import specifier: paths become file URLs, package names stay. */
function toSpecifier(plugin: string): string {
  const isPath = plugin.startsWith(".") || plugin.startsWith("/") || /^[a-zA-Z]:[\\/]/.test(plugin);
  return isPath ? pathToFileURL(resolve(plugin)).href : plugin;
}

/**
 * Imports each plugin (npm package name or file path) and registers what it
 * exports. Also reads the comma-separated TOKENSCOPE_PLUGINS variable.
 */
export async function loadPlugins(plugins: readonly string[]): Promise<void> {
  const fromEnv = (process.env["TOKENSCOPE_PLUGINS"] ?? "").split(",").filter(Boolean);
  for (const plugin of new Set([...fromEnv, ...plugins])) {
    let module: PluginModule;
    try {
      module = (await import(toSpecifier(plugin))) as PluginModule;
    } catch (cause) {
      throw new TokenscopeError("IO_ERROR", `Could not load the plugin "${plugin}".`, {
        hint: "Pass an installed package name or a path to a JavaScript/TypeScript module.",
        cause,
        details: { plugin },
      });
    }
    const found = Boolean(module.methods ?? module.stepFunctions ?? module.aggregators ?? module.register);
    if (!found) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `The plugin "${plugin}" exports nothing tokenscope can register.`,
        {
          hint: "Export `methods`, `stepFunctions` or `aggregators` arrays, or a `register()` function.",
          details: { plugin },
        },
      );
    }
    for (const method of module.methods ?? []) registerMethod(method);
    for (const stepFunction of module.stepFunctions ?? []) registerStepFunction(stepFunction);
    for (const aggregator of module.aggregators ?? []) registerAggregator(aggregator);
    await module.register?.();
  }
}
