import { load } from "tokenscope";

// What stories260K writes after "Once upon a time", explained by saliency over the prompt and the
// earlier generated tokens, each step normalised over both (Inseq's default).
const model = await load(process.env.STORIES260K, { method: "saliency" });
const out = await model.attribute("Once upon a time", { generation: { maxNewTokens: 6 } });
out.show();
const [sequence] = out.sequences;
sequence.sourceAttributions.forEach((row, step) => {
  const cells = [...row, ...sequence.targetAttributions[step]];
  const total = cells.reduce((sum, cell) => sum + Math.abs(cell ?? 0), 0);
  if (Math.abs(total - 1) > 1e-5) throw new Error(`step ${step} sums to ${total}, not 1`);
});
console.log(JSON.stringify({ text: sequence.targetText, execution: out.info.execution }));
await model.dispose();
