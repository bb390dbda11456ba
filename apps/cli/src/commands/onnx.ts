import { dirname, resolve } from "node:path";
import type { Command } from "@commander-js/extra-typings";
import { InvalidArgumentError, Option } from "@commander-js/extra-typings";
import type { OnnxModel } from "@tokenscope/tensor-backends";
import { hubOptions } from "../download-progress.ts";
import { type CliIO, printJson } from "../io.ts";
import { modelOption } from "../model-options.ts";
import { jsonOption } from "../options.ts";
import { limitedInteger, outputPath } from "../parsers.ts";

function tensorList(value: string, previous: string[] = []): string[] {
  const names = value
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0)
    throw new InvalidArgumentError("expected one or more tensor names separated by commas");
  return [...previous, ...names];
}

/** Reads and decodes an .onnx file, loading external data from beside it. */
async function readModel(path: string): Promise<OnnxModel> {
  const { decodeModel, hasExternalData, loadExternalData } = await import("@tokenscope/tensor-backends");
  const { readFileBounded } = await import("@tokenscope/core/node");
  // Regular files only: a FIFO or device named like a graph is refused instead of read forever.
  const bytes = await readFileBounded(path, { what: "ONNX file", missingHint: "Check the path." });
  const model = decodeModel(bytes);
  if (!hasExternalData(model)) return model;
  const folder = dirname(resolve(path));
  return loadExternalData(model, async (location) =>
    readFileBounded(resolve(folder, location), { what: "ONNX external data file" }),
  );
}

function formatShape(shape: readonly (number | string | null)[] | undefined): string {
  return shape ? `[${shape.map((dim) => dim ?? "?").join(", ")}]` : "[unknown rank]";
}

/** `tokenscope onnx export`, `tokenscope onnx grad` and `tokenscope onnx inspect`. */
export function register(program: Command, io: CliIO): void {
  const onnx = program
    .command("onnx")
    .description("work with ONNX graphs: write a model's graph, differentiate graphs, inspect them");

  onnx
    .command("export")
    .description(
      "write the ONNX graph tokenscope builds for a model (weights inside), e.g. to view it in Netron",
    )
    .addOption(modelOption())
    .requiredOption("--out <model.onnx>", "where to write the graph", outputPath)
    .addOption(
      new Option(
        "--input <kind>",
        "what the graph takes: token ids (input_ids) or embeddings (inputs_embeds)",
      )
        .choices(["ids", "embeds"] as const)
        .default("ids" as const),
    )
    .addOption(jsonOption())
    .action(async (options) => {
      const { loadDecoderWeights, buildDecoderGraph } = await import("@tokenscope/models/node");
      const { encodeModel } = await import("@tokenscope/tensor-backends");
      const { checkWritableFile, writeFileAtomically } = await import("@tokenscope/core/node");
      // A path that cannot be written is refused before the graph is built.
      await checkWritableFile(options.out);
      const { weights } = await loadDecoderWeights(options.model, hubOptions(io));
      const graph = buildDecoderGraph(weights, { input: options.input, source: options.model }).model;
      await writeFileAtomically(options.out, encodeModel(graph), io.signal ? { signal: io.signal } : {});
      const written = {
        out: options.out,
        architecture: weights.config.architecture,
        inputs: graph.graph.inputs.map((value) => value.name),
        outputs: graph.graph.outputs.map((value) => value.name),
        nodes: graph.graph.nodes.length,
      };
      if (options.json) {
        printJson(io, written);
        return;
      }
      io.stdout(
        `${io.color.green("wrote")} ${options.out} (${written.architecture}, ${written.nodes} nodes; inputs ${written.inputs.join(", ")}; outputs ${written.outputs.join(", ")})\n`,
      );
    });

  onnx
    .command("grad")
    .description(
      "write a graph that also computes vector-Jacobian products: one seed input <of>_grad per --of tensor, one output <wrt>_grad per --wrt tensor",
    )
    .argument("<in.onnx>", "the model to differentiate")
    .requiredOption("--of <tensors>", "tensors to differentiate (comma-separated, repeatable)", tensorList)
    .requiredOption(
      "--wrt <tensors>",
      "tensors to differentiate with respect to: inputs or internal tensors",
      tensorList,
    )
    .requiredOption("--out <out.onnx>", "where to write the gradient graph", outputPath)
    .option(
      "--seeds <K>",
      "give seeds and gradients a leading axis of K seeds (K VJPs, one forward pass)",
      limitedInteger(1, "samples"),
    )
    .addOption(jsonOption())
    .action(async (input, options) => {
      const { buildGradientGraph, encodeModel } = await import("@tokenscope/tensor-backends");
      const { checkWritableFile, writeFileAtomically } = await import("@tokenscope/core/node");
      // A path that cannot be written is refused before the graph is read and differentiated.
      await checkWritableFile(options.out);
      const model = await readModel(input);
      const gradient = buildGradientGraph(model, {
        of: options.of,
        wrt: options.wrt,
        ...(options.seeds !== undefined ? { seeds: options.seeds } : {}),
      });
      await writeFileAtomically(options.out, encodeModel(gradient), io.signal ? { signal: io.signal } : {});
      const added = {
        out: options.out,
        seedInputs: gradient.graph.inputs.filter((value) => value.name.endsWith("_grad")),
        gradientOutputs: gradient.graph.outputs.filter((value) => value.name.endsWith("_grad")),
        nodes: { before: model.graph.nodes.length, after: gradient.graph.nodes.length },
      };
      if (options.json) {
        printJson(io, added);
        return;
      }
      io.stdout(
        `${io.color.green("wrote")} ${options.out} (${added.nodes.before} → ${added.nodes.after} nodes)\n`,
      );
      for (const seed of added.seedInputs)
        io.stdout(`  input  ${seed.name} ${seed.dataType} ${formatShape(seed.shape)}\n`);
      for (const grad of added.gradientOutputs)
        io.stdout(`  output ${grad.name} ${grad.dataType} ${formatShape(grad.shape)}\n`);
    });

  onnx
    .command("inspect")
    .description(
      "show inputs, outputs, operator counts and opsets, and which operators on a path lack gradient rules",
    )
    .argument("<in.onnx>", "the model to inspect")
    .option("--from <tensors>", "start of the path to check for gradient rules (comma-separated)", tensorList)
    .option("--to <tensors>", "end of the path to check for gradient rules (comma-separated)", tensorList)
    .addOption(jsonOption())
    .action(async (input, options) => {
      const { hasGradientRule, inspectModel } = await import("@tokenscope/tensor-backends");
      const model = await readModel(input);
      const path =
        options.from || options.to
          ? {
              from: options.from ?? model.graph.inputs.map((value) => value.name),
              to: options.to ?? model.graph.outputs.map((value) => value.name),
            }
          : undefined;
      const summary = inspectModel(model, { ...(path ? { path } : {}), hasRule: hasGradientRule });
      if (options.json) {
        printJson(io, summary);
        return;
      }
      const { bold, dim } = io.color;
      io.stdout(`${bold("Inputs")}\n`);
      for (const value of summary.inputs)
        io.stdout(`  ${value.name} ${dim(value.dataType)} ${formatShape(value.shape)}\n`);
      io.stdout(`${bold("Outputs")}\n`);
      for (const value of summary.outputs)
        io.stdout(`  ${value.name} ${dim(value.dataType)} ${formatShape(value.shape)}\n`);
      io.stdout(
        `${bold("Opsets")} ${Object.entries(summary.opsets)
          .map(([domain, version]) => `${domain || "ai.onnx"} ${version}`)
          .join(", ")}\n`,
      );
      io.stdout(
        `${bold("Weights")} ${summary.initializers.count} initializers, ${(summary.initializers.bytes / 2 ** 20).toFixed(2)} MiB\n`,
      );
      io.stdout(`${bold("Operators")}\n`);
      const counts = Object.entries(summary.opCounts).sort((a, b) => b[1] - a[1]);
      for (const [op, count] of counts) io.stdout(`  ${op.padEnd(36)} ${count}\n`);
      const scope = path ? `on the path ${path.from.join(",")} → ${path.to.join(",")}` : "in the graph";
      if (summary.opsOnPathWithoutRule.length === 0) {
        io.stdout(
          `${io.color.green("Every operator")} ${scope} has a gradient rule (${summary.nodesOnPath} nodes).\n`,
        );
      } else {
        io.stdout(`${io.color.yellow("Operators without a gradient rule")} ${scope}:\n`);
        for (const op of summary.opsOnPathWithoutRule) {
          io.stdout(`  ${(op.domain ? `${op.domain}:` : "") + op.opType} × ${op.count}\n`);
        }
      }
    });
}
