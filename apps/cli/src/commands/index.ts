import type { Command } from "@commander-js/extra-typings";
import type { CliIO } from "../io.ts";

/** A command module: adds its command (and subcommands) to the program. */
export interface CommandModule {
  register(program: Command, io: CliIO): void;
}

/**
 * Every top-level command, by name, imported lazily so `tokenscope methods`
 * never loads ONNX Runtime. One file per command.
 */
export const commandModules: Record<string, () => Promise<CommandModule>> = {
  api: () => import("./api.ts"),
  attribute: () => import("./attribute.ts"),
  "attribute-context": () => import("./attribute-context.ts"),
  "attribute-dataset": () => import("./attribute-dataset.ts"),
  benchmark: () => import("./benchmark.ts"),
  eval: () => import("./eval.ts"),
  generate: () => import("./generate.ts"),
  methods: () => import("./methods.ts"),
  models: () => import("./models.ts"),
  onnx: () => import("./onnx.ts"),
  playground: () => import("./playground.ts"),
  serve: () => import("./serve.ts"),
  view: () => import("./view.ts"),
};
