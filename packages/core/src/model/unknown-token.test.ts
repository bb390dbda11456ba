import { describe, expect, it } from "vitest";
import { unknownToken } from "./unknown-token.ts";

describe("unknownToken", () => {
  it("is UNK, else pad, else the first EOS, as Inseq's baselines", () => {
    expect(unknownToken({ unk: 0, pad: 9, eos: [2] })).toEqual({ id: 0, token: "unk" });
    expect(unknownToken({ pad: 9, eos: [2] })).toEqual({ id: 9, token: "pad" });
    expect(unknownToken({ bos: 1, eos: [2, 7] })).toEqual({ id: 2, token: "eos" });
    expect(unknownToken({ bos: 1 })).toBeUndefined();
  });
});
