import { capabilities } from "../model/capabilities.ts";
import type { LanguageModel } from "../model/language-model.ts";

/**
 * A model with every capability and a plausible `info`, whose every method throws and is recorded in
 * `calls`: run anything on it and `calls` proves whether the model was touched (checks that must
 * happen before any work, such as parameter bounds, leave it empty).
 */
export function createUntouchableModel(): { model: LanguageModel; calls: string[] } {
  const calls: string[] = [];
  const info: LanguageModel["info"] = {
    id: "untouchable",
    architecture: "untouchable",
    vocabSize: 256,
    hiddenSize: 8,
    numLayers: 2,
    numHeads: 2,
    contextLength: 1024,
    encoderDecoder: false,
    specialTokens: { bos: 1, eos: [2], unk: 0 },
  };
  const base = { info, capabilities: new Set(capabilities) };
  const model = new Proxy(base, {
    get(target, key) {
      if (key in target) return target[key as keyof typeof target];
      if (typeof key === "symbol" || key === "then") return undefined;
      return (..._args: unknown[]) => {
        calls.push(key);
        throw new Error(`the model was touched: ${key}()`);
      };
    },
    has: () => true,
  });
  return { model: model as unknown as LanguageModel, calls };
}
