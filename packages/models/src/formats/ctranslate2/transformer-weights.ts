import { limits, quoteForMessage, TokenscopeError } from "@tokenscope/core";
import { transformerTensorDims } from "../../graphs/encoder-decoder/transformer-names.ts";
import type { EncoderDecoderConfig, EncoderDecoderWeights } from "../../graphs/encoder-decoder/types.ts";
import type { WeightTensor } from "../../weights/types.ts";
import { type CTranslate2Model, ctranslate2Variable, ctranslate2VariableToFloat32 } from "./read-model.ts";

/**
 * Spec names whose files carry no settings of their own: CTranslate2 fixes the head count by the
 * name (its model factory: TransformerBase 8, TransformerBig 16), pre-norm, ReLU, sinusoidal
 * positions. Revision 2 is the last revision written under these names (revision 1 used other
 * variable names; later conversions write `TransformerSpec` with the settings as variables).
 */
const LEGACY_TRANSFORMER_HEADS: Readonly<Record<string, number>> = { TransformerBase: 8, TransformerBig: 16 };
const LEGACY_REVISION = 2;

/** Options of {@link ctranslate2TransformerWeights}. */
export interface CTranslate2TransformerOptions {
  source?: string;
  /** Ids of `<s>` and `</s>` in the target vocabulary, kept in the config. */
  decoderStartTokenId?: number;
  eosTokenId?: number;
}

function unsupported(source: string, what: string, details: Record<string, unknown>): TokenscopeError {
  return new TokenscopeError("UNSUPPORTED_ARCHITECTURE", `${source}: ${what}.`, {
    hint: "tokenscope reads CTranslate2 TransformerBase and TransformerBig models of spec revision 2 (pre-norm, ReLU, sinusoidal positions).",
    details: { source, ...details },
  });
}

function damaged(source: string, what: string, details: Record<string, unknown>): TokenscopeError {
  return new TokenscopeError("MODEL_LOAD_FAILED", `${source}: ${what}.`, {
    hint: "The model.bin misses tensors of its spec or holds misshapen ones; convert the model again.",
    details: { source, ...details },
  });
}

/** Number of `{stack}/layer_{i}/` prefixes, checked to run 0..n-1 without gaps. */
function countLayers(model: CTranslate2Model, stack: "encoder" | "decoder", source: string): number {
  const pattern = new RegExp(`^${stack}/layer_(\\d+)/`);
  const seen = new Set<number>();
  for (const name of model.variables.keys()) {
    const match = pattern.exec(name);
    if (match !== null) seen.add(Number(match[1]));
  }
  const count = seen.size;
  const max = limits.modelLayers.max;
  if (count > max)
    throw damaged(
      source,
      `the ${stack} has ${count} layers, more than tokenscope's limit modelLayers (${max})`,
      { stack, count },
    );
  for (let layer = 0; layer < count; layer++) {
    if (!seen.has(layer))
      throw damaged(source, `the ${stack} has no layer ${layer} but has ${count} layers in all`, {
        stack,
        layer,
      });
  }
  return count;
}

function dimsOf(model: CTranslate2Model, name: string, source: string): number[] {
  const variable = ctranslate2Variable(model, name);
  if (variable === undefined)
    throw damaged(source, `there is no variable ${quoteForMessage(name)}`, { variable: name });
  return variable.dims;
}

/**
 * The config and fp32 weights of a CTranslate2 Transformer encoder-decoder, under CTranslate2's
 * tensor names (see `transformerNames`). Sizes come from the tensors (hidden size and vocabularies
 * from the embeddings, feed-forward width from `ffn/linear_0`, layers from the names), heads from
 * the spec name. Every expected tensor must be there with its shape, and no other (position
 * tables, relative positions, alignment heads of other specs are refused rather than ignored).
 * @throws TokenscopeError UNSUPPORTED_ARCHITECTURE for another spec or revision, or extra variables;
 * MODEL_LOAD_FAILED for a missing or misshapen tensor, or a non-float tensor.
 */
export function ctranslate2TransformerWeights(
  model: CTranslate2Model,
  options: CTranslate2TransformerOptions = {},
): EncoderDecoderWeights {
  const source = options.source ?? "CTranslate2 model.bin";
  const numHeads = LEGACY_TRANSFORMER_HEADS[model.spec];
  if (numHeads === undefined) {
    throw unsupported(source, `spec ${quoteForMessage(model.spec)} is not supported`, { spec: model.spec });
  }
  if (model.revision !== LEGACY_REVISION) {
    throw unsupported(
      source,
      `${model.spec} revision ${model.revision} is not supported (revision ${LEGACY_REVISION} is)`,
      {
        spec: model.spec,
        revision: model.revision,
      },
    );
  }
  const [sourceVocabSize, hiddenSize] = dimsOf(model, "encoder/embeddings/weight", source) as [
    number,
    number,
  ];
  const [targetVocabSize] = dimsOf(model, "decoder/embeddings/weight", source) as [number];
  const [ffnSize] = dimsOf(model, "encoder/layer_0/ffn/linear_0/weight", source) as [number];
  if (!(hiddenSize > 2 && hiddenSize % numHeads === 0 && hiddenSize % 2 === 0)) {
    throw damaged(
      source,
      `hidden size ${hiddenSize} does not split into ${numHeads} heads with even sinusoids`,
      { hiddenSize, numHeads },
    );
  }
  const config: EncoderDecoderConfig = {
    architecture: "transformer",
    sourceVocabSize,
    targetVocabSize,
    hiddenSize,
    numHeads,
    headDim: hiddenSize / numHeads,
    ffnSize,
    encoderLayers: countLayers(model, "encoder", source),
    decoderLayers: countLayers(model, "decoder", source),
    activation: "relu",
    layerNormEps: 1e-5,
    embeddingScale: Math.sqrt(hiddenSize),
    positionOffset: 1,
    ...(options.decoderStartTokenId === undefined
      ? {}
      : { decoderStartTokenId: options.decoderStartTokenId }),
    ...(options.eosTokenId === undefined ? {} : { eosTokenId: options.eosTokenId }),
  };
  const expected = transformerTensorDims(config);
  const extra = [...model.variables.keys(), ...model.aliases.keys()].filter((name) => !expected.has(name));
  if (extra.length > 0) {
    throw unsupported(
      source,
      `variables this architecture does not have: ${extra
        .slice(0, 5)
        .map((name) => quoteForMessage(name))
        .join(", ")}${extra.length > 5 ? ` and ${extra.length - 5} more` : ""}`,
      { extra },
    );
  }
  const tensors = new Map<string, WeightTensor>();
  for (const [name, dims] of expected) {
    const variable = ctranslate2Variable(model, name);
    if (variable === undefined)
      throw damaged(source, `there is no variable ${quoteForMessage(name)}`, { variable: name });
    if (variable.dims.length !== dims.length || variable.dims.some((dim, axis) => dim !== dims[axis])) {
      throw damaged(
        source,
        `variable ${quoteForMessage(name)} has shape [${variable.dims.join(", ")}], expected [${dims.join(", ")}]`,
        {
          variable: name,
          dims: variable.dims,
          expected: dims,
        },
      );
    }
    tensors.set(name, { dims, data: ctranslate2VariableToFloat32(variable, name, source) });
  }
  return { config, tensors };
}
