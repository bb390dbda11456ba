import { Command, CommanderError } from "@commander-js/extra-typings";
import { registerBuiltins } from "tokenscope";
import { commandModules } from "./commands/index.ts";
import { exitCodeFor, exitCodes, typedErrorParts } from "./exit-codes.ts";
import { type CliIO, plainText, processIO } from "./io.ts";
import { loadPlugins } from "./plugins.ts";
import { CLI_VERSION } from "./version.ts";

/** For running commands in-process (tests, tools): an IO that records what a command writes. */
export { type CliIO, memoryIO } from "./io.ts";

const exitCodeHelp = `
Exit codes:
  0    success
  1    unexpected failure (a bug: please report it)
  2    bad command line (unknown command or option, missing argument, malformed or out-of-range value)
  3    bad input (unknown id, invalid parameters, a size above its limit, invalid saved result,
       missing capability, a plugin that fails to load or register)
  4    a model, graph or file could not be loaded or written (missing, damaged, a Git LFS pointer,
       a device or folder where a file belongs, permissions, a full disk, a hub that times out)
  5    a remote API failed or rate-limited the run
  130  cancelled (Ctrl-C: once to stop cleanly, twice to exit at once)

Environment:
  NO_COLOR=1             plain output without colours
  TOKENSCOPE_PLUGINS     comma-separated plugin modules to load (like --plugin)
  TOKENSCOPE_DEBUG=1     print stack traces of unexpected errors, and the causes of typed ones
  TOKENSCOPE_HUB_CONNECT_TIMEOUT_MS   hub downloads: give up on a server that does not answer (default 30000)
  TOKENSCOPE_HUB_READ_TIMEOUT_MS      hub downloads: give up when no byte arrives for this long (default 60000)
  HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE, HF_HUB_OFFLINE   as in Python's huggingface_hub`;

/**
 * Builds the `tokenscope` program. Only the command named in `argv` is
 * imported (all of them for the top-level help).
 */
export async function createProgram(argv: readonly string[], io: CliIO): Promise<Command> {
  const program = new Command()
    .name("tokenscope")
    .description("Explain generative language models: which input tokens drove each generated token.")
    .version(CLI_VERSION, "-V, --version", "print the version")
    .option(
      "--plugin <module>",
      "load a plugin (package name or file) that registers methods or step functions; repeatable",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .addHelpText("after", exitCodeHelp)
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
      // commander quotes the unknown option or argument as typed: shown, never acted on.
      outputError: (text, write) => write(io.color.red(plainText(text))),
    })
    .exitOverride();

  program.hook("preAction", async (thisCommand) => {
    const { plugin } = thisCommand.opts() as { plugin?: string[] };
    await loadPlugins(plugin ?? []);
  });

  const requested = argv.find((arg) => !arg.startsWith("-") && Object.hasOwn(commandModules, arg));
  const names = requested ? [requested] : Object.keys(commandModules);
  for (const name of names) {
    const module = await commandModules[name]!();
    module.register(program, io);
  }
  // Every subcommand reports errors through the same output and exit override.
  for (const command of program.commands) {
    command.configureOutput(program.configureOutput()).exitOverride().showHelpAfterError();
    for (const sub of command.commands) sub.configureOutput(program.configureOutput()).exitOverride();
  }
  return program;
}

function reportError(io: CliIO, error: unknown): void {
  const typed = typedErrorParts(error);
  if (typed) {
    // Messages quote ids, keys and model fields as given: never let them colour or hide the rest.
    const message = plainText((error as Error).message);
    const hint = typed.hint ? `${/[.!?]$/.test(message) ? "" : "."} ${plainText(typed.hint)}` : "";
    io.stderr(`${io.color.red(`error [${typed.code}]`)}: ${message}${hint}\n`);
    const cause = (error as Error).cause;
    if (process.env["TOKENSCOPE_DEBUG"] && cause instanceof Error && cause.stack)
      io.stderr(`caused by: ${plainText(cause.stack)}\n`);
    return;
  }
  const message = plainText(error instanceof Error ? error.message : String(error));
  io.stderr(`${io.color.red("unexpected error")}: ${message}\n`);
  if (process.env["TOKENSCOPE_DEBUG"] && error instanceof Error && error.stack)
    io.stderr(`${plainText(error.stack)}\n`);
  else io.stderr(io.color.dim("Set TOKENSCOPE_DEBUG=1 for a stack trace, and please report this.\n"));
}

/**
 * Runs the `tokenscope` command with `argv` (without the node and script
 * paths) and returns its exit code; never calls process.exit.
 */
export async function run(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  registerBuiltins();
  try {
    const program = await createProgram(argv, io);
    await program.parseAsync([...argv], { from: "user" });
    return exitCodes.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit through here with code 0; usage errors were already printed.
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    }
    reportError(io, error);
    return exitCodeFor(error);
  }
}
