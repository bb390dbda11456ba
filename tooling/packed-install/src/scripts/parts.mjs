import { attribute, registerCoreBuiltins, registerMethod } from "@tokenscope/core";
import { occlusion } from "@tokenscope/methods-perturbation";
import { loadModel } from "@tokenscope/models/node";

// Single packages, no umbrella: occlusion (Inseq's: UNK baseline, |Δp|) of a forced continuation.
registerCoreBuiltins();
registerMethod(occlusion);
const model = await loadModel(process.env.STORIES260K);
const result = await attribute(model, "Once upon a time", { method: "occlusion", target: ", there was" });
const [sequence] = result.sequences;
const cells = sequence.sourceAttributions.flat().filter((cell) => cell !== null);
if (cells.length === 0 || cells.some((cell) => !(cell >= 0))) throw new Error(`bad scores ${cells}`);
console.log(
  JSON.stringify({ text: sequence.targetText, cells: cells.length, execution: result.info.execution }),
);
await model.dispose?.();
