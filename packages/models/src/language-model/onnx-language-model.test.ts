import { join } from "node:path";
import { isTokenscopeError, type LanguageModel, registerCoreBuiltins } from "@tokenscope/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "../load-model.ts";
import { onceUponATimeIds, stories260kDir } from "../testing/assets.test-helpers.ts";

const readmeContinuation =
  ", there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.";

let model: LanguageModel;
beforeAll(async () => {
  registerCoreBuiltins();
  model = await loadModel(stories260kDir);
});
afterAll(() => model.dispose?.());

function softmaxAt(logits: ArrayLike<number>, id: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  return Math.exp(logits[id]! - max) / sum;
}

describe("the ONNX language model on stories260K", () => {
  it("tokenizes with BOS and generates the README's greedy continuation", async () => {
    const prompt = await model.tokenize("Once upon a time");
    expect(prompt.tokens.map((token) => token.id)).toEqual(onceUponATimeIds);
    const generated = await model.generate!(onceUponATimeIds, { maxNewTokens: 40 });
    expect(generated.ids).toHaveLength(40);
    expect(generated.text).toBe(readmeContinuation);
  });

  it("tokenizes a continuation without BOS or a dummy-prefix space, as generation produced it", async () => {
    const { tokens } = await model.tokenize(" there was", { addSpecialTokens: false, continuation: true });
    expect(tokens.map((token) => token.id)).toEqual([383, 286]);
    const plain = await model.tokenize(" there was", { addSpecialTokens: false });
    expect(plain.tokens.length).toBeGreaterThan(2); // SentencePiece's dummy prefix adds a leading space token
  });

  it("describes generated ids with spans into the continuation text", async () => {
    const generated = await model.generate!(onceUponATimeIds, { maxNewTokens: 6 });
    const { text, tokens } = await model.decodeTokens(generated.ids, { after: onceUponATimeIds });
    expect(text).toBe(readmeContinuation.slice(0, text.length));
    for (const token of tokens) expect(text.slice(token.span![0], token.span![1])).toBe(token.text);
    expect(tokens.map((token) => token.text).join("")).toBe(text);
  });

  it("gives the gradient of the target probability: directional derivatives match finite differences", async () => {
    const ids = [...onceUponATimeIds, 29, 437];
    const position = ids.length - 2;
    const target = ids[ids.length - 1]!;
    const result = await model.gradients!({
      inputs: { ids: [ids] },
      objective: {
        kind: "stepFunction",
        stepFunction: "probability",
        positions: [position],
        targetIds: [target],
      },
    });
    const embeddings = await model.embed!([ids]);
    const probability = async (data: Float32Array) => {
      const { logits } = await model.forward!({
        inputs: { embeddings: { data, dims: embeddings.dims } },
        positions: [[position]],
      });
      return softmaxAt(logits.data, target);
    };
    expect(result.objective[0]).toBeCloseTo(await probability(embeddings.data as Float32Array), 5);
    const hidden = model.info.hiddenSize;
    for (let token = 0; token <= position + 1; token++) {
      // A fixed direction over this token's embedding only.
      const direction = new Float32Array(embeddings.data.length);
      for (let k = 0; k < hidden; k++) direction[token * hidden + k] = Math.sin(token * 31 + k);
      const h = 1e-2;
      const plus = Float32Array.from(embeddings.data, (value, i) => value + h * direction[i]!);
      const minus = Float32Array.from(embeddings.data, (value, i) => value - h * direction[i]!);
      const numeric = ((await probability(plus)) - (await probability(minus))) / (2 * h);
      let analytic = 0;
      for (let i = 0; i < direction.length; i++) analytic += direction[i]! * result.gradients.data[i]!;
      if (token > position)
        expect(analytic).toBe(0); // causality: the target token itself gets nothing
      else expect(Math.abs(analytic - numeric)).toBeLessThan(2e-3 * Math.max(1e-3, Math.abs(numeric)) + 2e-6);
    }
  });

  it("computes every step of one sequence against one forward pass, equal to separate runs", async () => {
    const ids = [...onceUponATimeIds, 432, 383, 286];
    const steps = [3, 4, 5, 6];
    const objective = {
      kind: "stepFunction" as const,
      stepFunction: "logprob",
      positions: steps,
      targetIds: steps.map((p) => ids[p + 1]!),
    };
    for (const wrt of [{ kind: "embeddings" as const }, { kind: "residual" as const, layer: 2 }]) {
      const together = await model.gradients!({ inputs: { ids: steps.map(() => ids) }, objective, wrt });
      expect(together.gradients.dims).toEqual([4, ids.length, model.info.hiddenSize]);
      for (let row = 0; row < steps.length; row++) {
        const alone = await model.gradients!({
          inputs: { ids: [ids] },
          objective: { ...objective, positions: [steps[row]!], targetIds: [objective.targetIds[row]!] },
          wrt,
        });
        expect(together.objective[row]).toBeCloseTo(alone.objective[0]!, 6);
        const size = alone.gradients.data.length;
        let worst = 0;
        let scale = 0;
        for (let i = 0; i < size; i++) {
          worst = Math.max(
            worst,
            Math.abs(together.gradients.data[row * size + i]! - alone.gradients.data[i]!),
          );
          scale = Math.max(scale, Math.abs(alone.gradients.data[i]!));
          expect(together.activations.data[row * size + i]).toBe(alone.activations.data[i]);
        }
        expect(worst).toBeLessThan(1e-5 * scale + 1e-9);
      }
    }
  });

  it("taps attention rows that sum to 1 and stay causal", async () => {
    const { taps } = await model.forward!({
      inputs: { ids: [onceUponATimeIds] },
      taps: { attention: true, layers: [0, 4] },
    });
    expect(taps?.attention).toHaveLength(2);
    const [batch, heads, seq] = taps!.attention![1]!.dims as number[];
    const data = taps!.attention![1]!.data;
    for (let row = 0; row < batch! * heads! * seq!; row++) {
      let sum = 0;
      for (let key = 0; key < seq!; key++) {
        const value = data[row * seq! + key]!;
        if (key > row % seq!) expect(value).toBe(0);
        sum += value;
      }
      expect(sum).toBeCloseTo(1, 5);
    }
  });

  it("refuses an encoder-decoder `stack` in taps and value zeroing with INVALID_INPUT", async () => {
    const inputs = { ids: [onceUponATimeIds] };
    await expect(model.forward!({ inputs, taps: { attention: true, stack: "cross" } })).rejects.toMatchObject(
      {
        code: "INVALID_INPUT",
        message: expect.stringContaining("decoder-only"),
      },
    );
    await expect(
      model.forward!({
        inputs,
        interventions: [{ kind: "zeroValues", layer: 0, positions: [0], stack: "encoder" }],
      }),
    ).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });

  it("zeroes value vectors: nothing zeroed changes nothing, zeroing changes only later positions", async () => {
    const plain = await model.forward!({ inputs: { ids: [onceUponATimeIds] } });
    const none = await model.forward!({
      inputs: { ids: [onceUponATimeIds] },
      interventions: [{ kind: "zeroValues", layer: 2, positions: [] }],
    });
    expect(Array.from(none.logits.data)).toEqual(Array.from(plain.logits.data));
    const zeroed = await model.forward!({
      inputs: { ids: [onceUponATimeIds] },
      interventions: [{ kind: "zeroValues", layer: 2, positions: [2] }],
    });
    const vocab = model.info.vocabSize;
    const differs = (position: number) =>
      zeroed.logits.data
        .subarray(position * vocab, (position + 1) * vocab)
        .some((value, v) => value !== plain.logits.data[position * vocab + v]);
    expect([0, 1].map(differs)).toEqual([false, false]);
    expect(differs(2) || differs(3)).toBe(true);
  });

  it("loads the GGUF copy with the same logits as the llama2.c checkpoint", async () => {
    const gguf = await loadModel(join(stories260kDir, "stories260K.gguf"));
    const a = await model.forward!({ inputs: { ids: [onceUponATimeIds] } });
    const b = await gguf.forward!({ inputs: { ids: [onceUponATimeIds] } });
    let worst = 0;
    for (let i = 0; i < a.logits.data.length; i++)
      worst = Math.max(worst, Math.abs(a.logits.data[i]! - b.logits.data[i]!));
    expect(worst).toBeLessThan(1e-5);
    await gguf.dispose?.();
  });

  it("refuses over-long inputs, bad ids and bad paths with typed errors", async () => {
    const tooLong = new Array(model.info.contextLength + 1).fill(5);
    await expect(model.forward!({ inputs: { ids: [tooLong] } })).rejects.toMatchObject({
      code: "PROMPT_TOO_LONG",
    });
    await expect(
      model.generate!(onceUponATimeIds, { maxNewTokens: model.info.contextLength }),
    ).rejects.toMatchObject({
      code: "PROMPT_TOO_LONG",
    });
    await expect(model.forward!({ inputs: { ids: [[1, 99999]] } })).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
    const missing = await loadModel("/no/such/model").catch((error: unknown) => error);
    expect(isTokenscopeError(missing, "MODEL_LOAD_FAILED")).toBe(true);
    expect(String((missing as Error).message)).toContain("/no/such/model");
  });
});
