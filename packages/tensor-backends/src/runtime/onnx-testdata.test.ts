import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeModel, encodeModel } from "../graph/codec.ts";
import { decodeTensor } from "../graph/codec-tensor.ts";
import { inferModelTypes } from "../graph/shape-inference.ts";
import type { TensorConstant } from "../graph/types.ts";
import { createOnnxruntimeNodeRuntime } from "./onnxruntime-node.ts";
import { createOnnxruntimeWebNodeRuntime } from "./onnxruntime-web-node.ts";
import type { RuntimeTensor, TensorRuntime } from "./types.ts";

const NODE_TESTS = join(process.env["ONNX_TESTDATA_DIR"] ?? "/usr/share/libonnx-testdata/data", "node");
const hasTestdata = existsSync(NODE_TESTS);
if (!hasTestdata) {
  console.warn(
    `SKIPPING ONNX node tests on the runtimes: ${NODE_TESTS} is absent (apt-get install libonnx-testdata).`,
  );
}

/** Picked across op families: products, normalizations, shape ops, reductions, elementwise, control flow. */
const CASES = [
  "test_matmul_2d",
  "test_matmul_4d",
  "test_gemm_all_attributes",
  "test_softmax_axis_1",
  "test_logsoftmax_axis_1",
  "test_layer_normalization_3d_axis1_epsilon",
  "test_reshape_negative_dim",
  "test_reshape_allowzero_reordered",
  "test_transpose_all_permutations_2",
  "test_gather_1",
  "test_gather_elements_1",
  "test_concat_3d_axis_negative_1",
  "test_slice_negative_axes",
  "test_split_variable_parts_2d",
  "test_reduce_mean_keepdims_random",
  "test_reduce_sum_do_not_keepdims_random",
  "test_add_bcast",
  "test_div_bcast",
  "test_pow_bcast_array",
  "test_where_long_example",
  "test_expand_dim_changed",
  "test_cast_FLOAT_to_DOUBLE",
  "test_unsqueeze_negative_axes",
  "test_squeeze_negative_axes",
  "test_erf",
  "test_sigmoid",
  "test_tanh",
  "test_argmax_keepdims_random",
  "test_cumsum_2d_axis_1",
  "test_shape",
  "test_constantofshape_int_zeros",
  "test_range_float_type_positive_delta",
  "test_equal_bcast",
  "test_if",
];

function readPb(file: string): TensorConstant {
  return decodeTensor(readFileSync(file));
}

function toFeed(tensor: TensorConstant): RuntimeTensor {
  return { dataType: tensor.dataType, dims: tensor.dims, data: tensor.data! };
}

/** |actual − expected| ≤ 1e-5 · max(1, |expected|) for floats; exact for integers, bools and strings. */
function expectClose(actual: RuntimeTensor, expected: TensorConstant, label: string): void {
  expect(actual.dataType, label).toBe(expected.dataType);
  expect(actual.dims, label).toEqual(expected.dims);
  const want = Array.from(expected.data as ArrayLike<number | bigint | string>);
  const got = Array.from(actual.data as ArrayLike<number | bigint | string>);
  expect(got.length, label).toBe(want.length);
  const float = ["float32", "float64"].includes(expected.dataType);
  got.forEach((value, index) => {
    const target = want[index]!;
    if (float) {
      const error = Math.abs((value as number) - (target as number));
      expect(error, `${label}[${index}]`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(target as number)));
    } else {
      expect(value, `${label}[${index}]`).toEqual(target);
    }
  });
}

const runtimes: [string, TensorRuntime][] = [
  ["onnxruntime-node", createOnnxruntimeNodeRuntime()],
  ["onnxruntime-web (wasm in Node)", createOnnxruntimeWebNodeRuntime()],
];
const disposers: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(disposers.map((dispose) => dispose()));
});

describe.skipIf(!hasTestdata)("ONNX node test cases on both runtimes", () => {
  const present = hasTestdata ? CASES.filter((name) => existsSync(join(NODE_TESTS, name))) : [];

  it("finds at least 20 of the chosen cases", () => {
    expect(present.length).toBeGreaterThanOrEqual(20);
  });

  for (const [runtimeName, runtime] of runtimes) {
    describe(runtimeName, () => {
      for (const name of present) {
        it(`${name}: outputs match output_*.pb within 1e-5 (original and re-encoded model)`, async () => {
          const dir = join(NODE_TESTS, name);
          const bytes = readFileSync(join(dir, "model.onnx"));
          const model = decodeModel(bytes);
          const initializerNames = new Set(model.graph.initializers.map((t) => t.name));
          const inputs = model.graph.inputs.filter((input) => !initializerNames.has(input.name));
          const dataSet = join(dir, "test_data_set_0");
          const files = readdirSync(dataSet);
          const feeds: Record<string, RuntimeTensor> = {};
          inputs.forEach((input, index) => {
            if (files.includes(`input_${index}.pb`))
              feeds[input.name] = toFeed(readPb(join(dataSet, `input_${index}.pb`)));
          });
          for (const source of [bytes, encodeModel(model)]) {
            const session = await runtime.createSession(source);
            disposers.push(() => session.dispose());
            const outputs = await session.run(feeds);
            model.graph.outputs.forEach((output, index) => {
              expectClose(
                outputs[output.name]!,
                readPb(join(dataSet, `output_${index}.pb`)),
                `${name}:${output.name}`,
              );
            });
          }
        });
      }
    });
  }

  it("shape inference agrees with the actual output shapes where it knows them", () => {
    let checked = 0;
    for (const name of present) {
      const dir = join(NODE_TESTS, name);
      const model = decodeModel(readFileSync(join(dir, "model.onnx")));
      // Drop the declared output types so only inference speaks.
      const bare = {
        ...model,
        graph: { ...model.graph, outputs: model.graph.outputs.map((o) => ({ ...o, shape: undefined })) },
      };
      const types = inferModelTypes(bare);
      model.graph.outputs.forEach((output, index) => {
        const expected = readPb(join(dir, "test_data_set_0", `output_${index}.pb`));
        const inferred = types.get(output.name);
        expect(inferred?.dataType, `${name}:${output.name}`).toBe(expected.dataType);
        if (inferred?.shape?.every((dim) => typeof dim === "number")) {
          expect(inferred.shape, `${name}:${output.name}`).toEqual(expected.dims);
          checked++;
        }
      });
    }
    expect(checked).toBeGreaterThanOrEqual(25);
  });
});
