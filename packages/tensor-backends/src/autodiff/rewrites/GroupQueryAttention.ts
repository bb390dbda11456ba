/**
 * GroupQueryAttention: causal attention where groups of num_heads / kv_num_heads query heads share a
 * key/value head, with optional past keys/values (present = past ++ new), rotary embedding of Q and K
 * (do_rotary, positions from seqlens_k or position_ids), packed QKV, softcap and a local window.
 * Query row i of batch b sees keys j < past_b + i + 1, past_b = 0 for a first prompt (no past) and
 * seqlens_k[b] + 1 − S otherwise, as ONNX Runtime's CPU kernel does (with local_window_size w, only the
 * last w of those keys); like that kernel it assumes past keys are not padded. Right-padded prompt rows
 * (beyond seqlens_k) get positions s rather than the kernel's 1: their outputs are padding either way.
 * Declines smooth softmax, attention_bias, head_sink and the output_qk output.
 */
import { ONNX_DATA_TYPE } from "../../graph/dtypes.ts";
import { type Rotation, rotateHalves, rotatePairs } from "./RotaryEmbedding.ts";
import type { ContribRewrite, RewriteContext } from "./types.ts";

function heads(ctx: RewriteContext, value: string, count: number): string {
  return ctx.op("Transpose", [ctx.op("Reshape", [value, ctx.int64s([0, 0, count, -1])])], {
    perm: [0, 2, 1, 3],
  });
}

function rotate(
  ctx: RewriteContext,
  value: string,
  tables: Omit<Rotation, "x">,
  interleaved: boolean,
  partial: string | undefined,
): string {
  const last = ctx.int64s([-1]);
  const span = partial === undefined ? value : ctx.op("Slice", [value, ctx.int64s([0]), partial, last]);
  const rotation = { ...tables, x: span };
  const rotated = interleaved ? rotatePairs(ctx, rotation) : rotateHalves(ctx, rotation);
  if (partial === undefined) return rotated;
  const rest = ctx.op("Slice", [value, partial, ctx.int64s([Number.MAX_SAFE_INTEGER]), last]);
  return ctx.op("Concat", [rotated, rest], { axis: -1 });
}

/** Rewrite of com.microsoft.GroupQueryAttention. */
export const groupQueryAttentionRewrite: ContribRewrite = {
  opType: "GroupQueryAttention",
  domains: ["com.microsoft"],
  rewrite(ctx) {
    const inputs = [...ctx.node.inputs, ...new Array<string>(12).fill("")];
    const [query, key, value, pastKey, pastValue, seqlensK, , cosCache, sinCache, positionIds, bias, sink] =
      inputs as string[];
    const [output, presentKey = "", presentValue = "", outputQk = ""] = ctx.node.outputs;
    if (ctx.attr.int("smooth_softmax", 0) === 1 || bias !== "" || sink !== "" || outputQk !== "")
      return false;
    const numHeads = ctx.attr.int("num_heads", 0);
    const kvHeads = ctx.attr.int("kv_num_heads", 0);
    if (numHeads <= 0 || kvHeads <= 0 || numHeads % kvHeads !== 0) return false;
    const group = numHeads / kvHeads;
    const scalar = (number: number) => ctx.constant([number], "int64", []);

    let q: string;
    let k: string;
    let v: string;
    if (key === "") {
      const all = heads(ctx, query!, numHeads + 2 * kvHeads);
      [q, k, v] = ctx.emit("Split", [all, ctx.int64s([numHeads, kvHeads, kvHeads])], { axis: 1 }, 3) as [
        string,
        string,
        string,
      ];
    } else {
      [q, k, v] = [heads(ctx, query!, numHeads), heads(ctx, key!, kvHeads), heads(ctx, value!, kvHeads)];
    }
    const qShape = ctx.op("Shape", [q]);
    const sequence = ctx.op("Gather", [qShape, scalar(2)], { axis: 0 });
    const pastLength =
      pastKey === "" ? scalar(0) : ctx.op("Gather", [ctx.op("Shape", [pastKey!]), scalar(2)], { axis: 0 });
    const totals = ctx.op("Add", [ctx.op("Cast", [seqlensK!], { to: 7 }), scalar(1)]);
    const continuing = ctx.op("Sub", [totals, sequence]);
    const past = ctx.op("Where", [ctx.op("Equal", [pastLength, scalar(0)]), scalar(0), continuing]);

    if (ctx.attr.int("do_rotary", 0) === 1) {
      const steps = ctx.op("Unsqueeze", [ctx.op("Range", [scalar(0), sequence, scalar(1)]), ctx.int64s([0])]);
      const at =
        positionIds !== ""
          ? positionIds!
          : ctx.op("Add", [ctx.op("Unsqueeze", [past, ctx.int64s([1])]), steps]);
      const table = (cache: string) =>
        ctx.op("Unsqueeze", [ctx.op("Gather", [cache, at], { axis: 0 }), ctx.int64s([1])]);
      const half = ctx.op("Slice", [ctx.op("Shape", [cosCache!]), ctx.int64s([1]), ctx.int64s([2])]);
      const tables = { cos: table(cosCache!), sin: table(sinCache!), half };
      const rotary = ctx.op("Mul", [half, ctx.int64s([2])]);
      const interleaved = ctx.attr.int("rotary_interleaved", 0) === 1;
      [q, k] = [rotate(ctx, q, tables, interleaved, rotary), rotate(ctx, k, tables, interleaved, rotary)];
    }
    const keys = ctx.op("Concat", pastKey === "" ? [k] : [pastKey!, k], { axis: 2 }, presentKey || undefined);
    const values = ctx.op(
      "Concat",
      pastValue === "" ? [v] : [pastValue!, v],
      { axis: 2 },
      presentValue || undefined,
    );

    // Query heads grouped per key/value head: [B, KV, G, S, H] against keys [B, KV, 1, L, H].
    const tail = ctx.op("Slice", [qShape, ctx.int64s([2]), ctx.int64s([4])]);
    const grouped = ctx.op("Reshape", [
      q,
      ctx.op("Concat", [ctx.int64s([0, kvHeads, group]), tail], { axis: 0 }),
    ]);
    const keysT = ctx.op("Transpose", [ctx.op("Unsqueeze", [keys, ctx.int64s([2])])], {
      perm: [0, 1, 2, 4, 3],
    });
    let scores = ctx.op("MatMul", [grouped, keysT]);
    const scaleAttribute = ctx.attr.float("scale", 0);
    const headSize = ctx.op("Cast", [ctx.op("Slice", [qShape, ctx.int64s([3]), ctx.int64s([4])])], {
      to: onnxType(ctx, query!),
    });
    const scale =
      scaleAttribute !== 0
        ? ctx.scalarLike(scaleAttribute, query!)
        : ctx.op("Reciprocal", [ctx.op("Sqrt", [headSize])]);
    scores = ctx.op("Mul", [scores, scale]);
    const softcap = ctx.attr.float("softcap", 0);
    if (softcap > 0) {
      const cap = ctx.scalarLike(softcap, query!);
      scores = ctx.op("Mul", [ctx.op("Tanh", [ctx.op("Div", [scores, cap])]), cap]);
    }
    const keyLength = ctx.op("Gather", [ctx.op("Shape", [keys]), scalar(2)], { axis: 0 });
    const keyIndex = ctx.op("Range", [scalar(0), keyLength, scalar(1)]);
    const queryIndex = ctx.op("Unsqueeze", [
      ctx.op("Range", [scalar(0), sequence, scalar(1)]),
      ctx.int64s([1]),
    ]);
    const limit = ctx.op("Add", [
      ctx.op("Add", [ctx.op("Reshape", [past, ctx.int64s([-1, 1, 1, 1, 1])]), queryIndex]),
      scalar(1),
    ]);
    let allowed = ctx.op("Less", [keyIndex, limit]);
    const window = ctx.attr.int("local_window_size", -1);
    if (window > 0)
      allowed = ctx.op("And", [
        allowed,
        ctx.op("GreaterOrEqual", [keyIndex, ctx.op("Sub", [limit, scalar(window)])]),
      ]);
    const lowest = ctx.dataTypeOf(query!) === "float16" ? -65504 : -1e30;
    const probabilities = ctx.op(
      "Softmax",
      [ctx.op("Where", [allowed, scores, ctx.scalarLike(lowest, query!)])],
      { axis: -1 },
    );
    const mixed = ctx.op("MatMul", [probabilities, ctx.op("Unsqueeze", [values, ctx.int64s([2])])]);
    const merged = ctx.op("Reshape", [
      mixed,
      ctx.op("Concat", [ctx.int64s([0, numHeads]), tail], { axis: 0 }),
    ]);
    const bsnh = ctx.op("Transpose", [merged], { perm: [0, 2, 1, 3] });
    ctx.op("Reshape", [bsnh, ctx.int64s([0, 0, -1])], {}, output!);
    return true;
  },
};

function onnxType(ctx: RewriteContext, like: string): number {
  return ONNX_DATA_TYPE[ctx.dataTypeOf(like)];
}
