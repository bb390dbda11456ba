import {
  decoderInputIds,
  type MethodContext,
  type MethodSequence,
  type MethodSequenceOutput,
  sourceLengthsFor,
} from "@tokenscope/core";
import { forEachGradientRow } from "./gradient-rows.ts";
import { createStepTensors, stepOutput, writeStep } from "./step-tensors.ts";

/**
 * Turns one step's gradient [seq, hidden] into its attribution row (same
 * length), e.g. |gradient| or embedding × gradient. `embeddings` are the
 * sequence's input embeddings [seq, hidden].
 */
export type GradientTransform = (
  gradient: ArrayLike<number>,
  embeddings: ArrayLike<number>,
) => ArrayLike<number>;

/**
 * Attributions built from the plain gradient at the input, for every sequence:
 * all attributed steps of a sequence share the same input, so they go as that
 * many identical rows with per-row objectives in ONE `model.gradients` call
 * (split only by the memory budget); a model may compute them against a
 * single forward pass. Step scores carry the attributed function's value per
 * step, from the logits that were differentiated.
 */
export async function attributeFromGradients(
  context: MethodContext<unknown>,
  methodId: string,
  transform: GradientTransform,
): Promise<MethodSequenceOutput[]> {
  const outputs: MethodSequenceOutput[] = [];
  for (const sequence of context.sequences)
    outputs.push(await attributeSequence(context, sequence, methodId, transform));
  return outputs;
}

async function attributeSequence(
  context: MethodContext<unknown>,
  sequence: MethodSequence,
  methodId: string,
  transform: GradientTransform,
): Promise<MethodSequenceOutput> {
  const ids = decoderInputIds(sequence);
  const embeddings = await context.model.embed!(
    [ids],
    sourceLengthsFor(context.model, [sequence.source.length]),
  );
  const hidden = embeddings.dims[2]!;
  const tensors = createStepTensors(sequence, hidden, context.attributeTarget);
  const values = new Array<number>(sequence.target.length).fill(Number.NaN);
  await forEachGradientRow(
    context,
    sequence,
    {
      steps: sequence.steps,
      inputs: (start, end) => ({ ids: Array.from({ length: end - start }, () => ids) }),
      phase: methodId,
    },
    ({ row, gradient, value }) => {
      const step = sequence.steps[row]!;
      writeStep(tensors, sequence, step, transform(gradient, embeddings.data));
      values[step] = value;
    },
  );
  return stepOutput(tensors, { [context.attributedFunction.id]: values });
}
