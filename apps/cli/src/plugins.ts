import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  type Aggregator,
  type AttributionMethod,
  aggregatorRegistry,
  isTokenscopeError,
  methodRegistry,
  type StepFunction,
  stepFunctionRegistry,
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

/** One `--plugin` value (or TOKENSCOPE_PLUGINS entry) and how it names itself in messages. */
interface PluginReference {
  plugin: string;
  fromEnv: boolean;
}

/** The array exports a plugin may have, and the registry each goes to. */
const definitionExports = [
  { name: "methods", registry: methodRegistry },
  { name: "stepFunctions", registry: stepFunctionRegistry },
  { name: "aggregators", registry: aggregatorRegistry },
] as const;

function isPath(plugin: string): boolean {
  return plugin.startsWith(".") || plugin.startsWith("/") || /^[a-zA-Z]:[\\/]/.test(plugin);
}

/** Turns a `--plugin` value into an import specifier: paths become file URLs, package names stay. */
function toSpecifier(plugin: string): string {
  return isPath(plugin) ? pathToFileURL(resolve(plugin)).href : plugin;
}

/** The package a bare specifier imports: `@scope/name` or `name`, without a subpath. */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/** How messages name a plugin: the file or package, and where it was asked for. */
function describePlugin({ plugin, fromEnv }: PluginReference): string {
  return `${isPath(plugin) ? "plugin file" : "plugin package"} ${JSON.stringify(plugin)}${fromEnv ? " (from TOKENSCOPE_PLUGINS)" : ""}`;
}

/** Colour codes some loaders put in their messages (vite, rolldown): meaningless once quoted. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point.
const ANSI_COLOUR = /\u001b\[[0-9;]*m/g;

/** The first line of an error's message, with its name ("SyntaxError: Unexpected token ';'"). */
function causeText(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const lines = cause.message
    .replace(ANSI_COLOUR, "")
    .split("\n")
    .filter((line) => line.trim().length > 0);
  // esbuild (tsx) puts "path:line:column: ERROR: what" on the line after "Transform failed".
  const detail = lines.length > 1 && /^Transform failed/.test(lines[0]!) ? lines[1]! : (lines[0] ?? "");
  const name = cause.name === "Error" || cause.name === "TransformError" ? "" : `${cause.name}: `;
  return `${name}${detail}`;
}

/** " (at file:line:column)" of the first stack frame inside a plugin file, when the stack has one. */
function whereInPlugin(plugin: string, cause: unknown): string {
  if (!isPath(plugin) || !(cause instanceof Error) || !cause.stack) return "";
  const path = resolve(plugin);
  const url = pathToFileURL(path).href;
  for (const line of cause.stack.split("\n").slice(1)) {
    for (const name of [url, path]) {
      const index = line.indexOf(name);
      const position = index < 0 ? null : /^:(\d+):(\d+)/.exec(line.slice(index + name.length));
      if (position) return ` (at ${path}:${position[1]}:${position[2]})`;
    }
  }
  return "";
}

/** What to do about a plugin that failed while loading. */
function loadFailureHint(plugin: string, cause: unknown): string {
  if (cause instanceof SyntaxError && isPath(plugin)) {
    return `Fix the plugin's code; \`node --check ${plugin}\` shows where the syntax error is.`;
  }
  if ((cause as { code?: unknown } | null)?.code === "ERR_MODULE_NOT_FOUND") {
    return "Install the package the plugin imports (in the plugin's folder or yours), or fix the import.";
  }
  return "Fix the plugin: it throws while its module is evaluated.";
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether an import failure means the plugin itself is missing, as opposed to the plugin failing while
 * loading (a syntax error, a throw, or a dependency of its own that is missing).
 */
async function isPluginMissing(plugin: string, cause: unknown): Promise<boolean> {
  if (isPath(plugin)) return !(await exists(resolve(plugin)));
  const code = (cause as { code?: unknown } | null)?.code;
  const message = cause instanceof Error ? cause.message : "";
  return code === "ERR_MODULE_NOT_FOUND" && message.includes(`'${packageName(plugin)}'`);
}

/** Imports a plugin; a missing plugin is `IO_ERROR`, one that fails while loading `INVALID_INPUT`, both with the cause. */
async function importPlugin(reference: PluginReference): Promise<Record<string, unknown>> {
  try {
    return (await import(toSpecifier(reference.plugin))) as Record<string, unknown>;
  } catch (cause) {
    const described = describePlugin(reference);
    if (await isPluginMissing(reference.plugin, cause)) {
      throw new TokenscopeError(
        "IO_ERROR",
        isPath(reference.plugin)
          ? `The ${described} does not exist (${resolve(reference.plugin)}).`
          : `The ${described} is not installed.`,
        {
          hint: isPath(reference.plugin)
            ? "Check the path: give a JavaScript or TypeScript module file."
            : `Install it (npm install ${packageName(reference.plugin)}), or give a path to the plugin's file.`,
          cause,
          details: { plugin: reference.plugin },
        },
      );
    }
    throw new TokenscopeError(
      "INVALID_INPUT",
      `The ${described} failed while loading: ${causeText(cause)}${whereInPlugin(reference.plugin, cause)}.`,
      { hint: loadFailureHint(reference.plugin, cause), cause, details: { plugin: reference.plugin } },
    );
  }
}

/** The exports tokenscope reads: the module's own, or those of its default export (CommonJS, `export default {...}`). */
function pluginExports(module: Record<string, unknown>): Record<string, unknown> {
  const own = ["methods", "stepFunctions", "aggregators", "register"].some(
    (name) => module[name] !== undefined,
  );
  const fallback = module["default"];
  if (!own && typeof fallback === "object" && fallback !== null) return fallback as Record<string, unknown>;
  return module;
}

function pluginError(
  reference: PluginReference,
  what: string,
  hint: string,
  cause?: unknown,
): TokenscopeError {
  const code = isTokenscopeError(cause) && cause.code !== "INVALID_INPUT" ? cause.code : "INVALID_INPUT";
  return new TokenscopeError(code, `The ${describePlugin(reference)} ${what}`, {
    hint,
    ...(cause !== undefined ? { cause } : {}),
    details: { plugin: reference.plugin },
  });
}

/** A short description of a value's type for messages. */
function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/** Checks the shape of what a plugin exports before anything is registered. */
function checkExports(reference: PluginReference, exports: Record<string, unknown>): void {
  const found = [...definitionExports.map((entry) => entry.name), "register"].some(
    (name) => exports[name] !== undefined,
  );
  if (!found) {
    throw pluginError(
      reference,
      "exports nothing tokenscope can register.",
      "Export `methods`, `stepFunctions` or `aggregators` arrays, or a `register()` function.",
    );
  }
  for (const { name } of definitionExports) {
    const value = exports[name];
    if (value !== undefined && !Array.isArray(value)) {
      throw pluginError(
        reference,
        `exports \`${name}\` as ${typeName(value)}; it must be an array of definitions.`,
        `Export \`${name}\` as an array, e.g. \`export const ${name} = [myDefinition];\`.`,
      );
    }
  }
  if (exports["register"] !== undefined && typeof exports["register"] !== "function") {
    throw pluginError(
      reference,
      `exports \`register\` as ${typeName(exports["register"])}; it must be a function.`,
      "Export `register` as a function that registers the plugin's definitions, or leave it out.",
    );
  }
}

/**
 * Registers every definition a plugin exports; on the first refusal, unregisters what this plugin
 * registered so far and throws naming the plugin and the export (`methods[1]`) at fault.
 */
function registerDefinitions(reference: PluginReference, exports: Record<string, unknown>): void {
  const registered: { unregister: () => void }[] = [];
  for (const { name, registry } of definitionExports) {
    for (const [index, definition] of ((exports[name] as unknown[] | undefined) ?? []).entries()) {
      try {
        // biome-ignore lint/suspicious/noExplicitAny: the registry validates the untyped definition itself
        registry.register(definition as any);
        const id = (definition as { id: string }).id;
        registered.push({ unregister: () => registry.unregister(id) });
      } catch (cause) {
        for (const entry of registered) entry.unregister();
        const message = cause instanceof Error ? cause.message : String(cause);
        throw pluginError(
          reference,
          `could not register \`${name}[${index}]\`: ${message}`,
          "Fix that definition in the plugin; nothing of this plugin was registered.",
          cause,
        );
      }
    }
  }
}

/** Runs a plugin's `register()`; whatever it throws is the plugin's fault, reported naming it. */
async function runRegister(reference: PluginReference, exports: Record<string, unknown>): Promise<void> {
  const register = exports["register"] as (() => unknown) | undefined;
  if (!register) return;
  try {
    await register();
  } catch (cause) {
    throw pluginError(
      reference,
      `failed in its register(): ${isTokenscopeError(cause) ? cause.message : causeText(cause)}`,
      "Fix the plugin's register() function.",
      cause,
    );
  }
}

/**
 * Imports each plugin (npm package name or file path) and registers what it exports. Also reads the
 * comma-separated TOKENSCOPE_PLUGINS variable. Every failure names the plugin: `IO_ERROR` when it does
 * not exist, `INVALID_INPUT` when it fails while loading (with the cause's message), exports the wrong
 * shapes, or a definition is refused (naming the export), or its `register()` throws.
 */
export async function loadPlugins(plugins: readonly string[]): Promise<void> {
  const fromEnv = (process.env["TOKENSCOPE_PLUGINS"] ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  const references = new Map<string, PluginReference>();
  for (const plugin of fromEnv) references.set(plugin, { plugin, fromEnv: true });
  for (const plugin of plugins) references.set(plugin, { plugin, fromEnv: false });
  for (const reference of references.values()) {
    const exports = pluginExports(await importPlugin(reference));
    checkExports(reference, exports);
    registerDefinitions(reference, exports);
    await runRegister(reference, exports);
  }
}
