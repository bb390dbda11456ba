import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  TensorProtoSchema,
} from "onnx-buf";
import { describe, expect, it } from "vitest";
import { isTensorBackendError } from "../errors.ts";
import { f } from "./attributes.ts";
import { createGraphBuilder } from "./builder.ts";
import { decodeModel, encodeModel } from "./codec.ts";
import { decodeTensor, encodeTensor } from "./codec-tensor.ts";
import { loadExternalData } from "./external-data.ts";
import { makeTensor } from "./tensor.ts";
import type { OnnxModel } from "./types.ts";

const TESTDATA = process.env["ONNX_TESTDATA_DIR"] ?? "/usr/share/libonnx-testdata/data";
const hasTestdata = existsSync(join(TESTDATA, "node"));
if (!hasTestdata) {
  console.warn(
    `SKIPPING ONNX testdata round trips: ${TESTDATA}/node is absent (apt-get install libonnx-testdata).`,
  );
}

function testdataModels(): string[] {
  if (!hasTestdata) return [];
  return ["node", "pytorch-converted", "pytorch-operator", "simple"].flatMap((suite) => {
    const dir = join(TESTDATA, suite);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .map((name) => join(dir, name, "model.onnx"))
      .filter(existsSync);
  });
}

function expectCode(action: () => unknown, code: string): void {
  try {
    action();
  } catch (error) {
    expect(isTensorBackendError(error)).toBe(true);
    expect((error as { code: string }).code).toBe(code);
    return;
  }
  expect.unreachable(`expected a ${code} error`);
}

describe.skipIf(!hasTestdata)("codec on the ONNX test data", () => {
  it("decode → encode → decode gives the same model for every test model", () => {
    const files = testdataModels();
    const failures: string[] = [];
    for (const file of files) {
      const model = decodeModel(readFileSync(file));
      const again = decodeModel(encodeModel(model));
      if (!isDeepStrictEqual(model, again)) failures.push(file);
    }
    // Debian's 1.12 test data has 1072 models; a wrong path or an empty folder must not pass silently.
    expect(files.length).toBeGreaterThan(900);
    expect(failures).toEqual([]);
  });

  it("reads values the way the file stores them (raw_data and typed fields alike)", () => {
    const model = decodeModel(readFileSync(join(TESTDATA, "node/test_constant/model.onnx")));
    const value = model.graph.nodes[0]!.attributes["value"];
    expect(value?.type).toBe("tensor");
    const expected = decodeTensor(
      readFileSync(join(TESTDATA, "node/test_constant/test_data_set_0/output_0.pb")),
    );
    expect(value?.type === "tensor" && Array.from(value.value.data as Float32Array)).toEqual(
      Array.from(expected.data as Float32Array),
    );
  });
});

describe("codec", () => {
  function builtModel(): OnnxModel {
    const g = createGraphBuilder("mlp");
    const x = g.input("x", "float32", ["batch", 3]);
    const w = g.initializer(Float32Array.from([0.5, -1, 2, 3, 0.25, -0.125]), [3, 2], { name: "w" });
    const h = g.initializer(Uint16Array.from([0x3c00, 0xc000]), [2], { dataType: "float16", name: "h" });
    const ids = g.initializer([1n, -(2n ** 40n)], [2], { name: "ids" });
    // Initializers take the spliced fast path: cover strings and empty tensors there too.
    g.initializer(["a", "ü"], [2], { name: "words", dataType: "string" });
    g.initializer(new Float32Array(0), [0, 3], { name: "empty" });
    const [y] = g.node("Gemm", [x, w], {
      alpha: f(1),
      transB: 0,
      note: "text",
      list: [1, 2],
      fl: [0.5, 1.5],
    });
    g.node("Cast", [h], { to: 1 });
    g.node("Identity", [ids]);
    g.output(y!, "float32", ["batch", 2]);
    return g.build();
  }

  it("round-trips builder models exactly, int64 as bigint and float16 as bits", () => {
    const model = builtModel();
    const again = decodeModel(encodeModel(model));
    expect(again).toEqual(model);
    expect(again.graph.initializers.find((t) => t.name === "ids")!.data).toEqual(
      BigInt64Array.from([1n, -(2n ** 40n)]),
    );
    expect(again.graph.initializers.find((t) => t.name === "h")!.data).toEqual(
      Uint16Array.from([0x3c00, 0xc000]),
    );
    expect(again.graph.nodes[0]!.attributes).toEqual({
      alpha: { type: "float", value: 1 },
      transB: { type: "int", value: 0 },
      note: { type: "string", value: "text" },
      list: { type: "ints", value: [1, 2] },
      fl: { type: "floats", value: [0.5, 1.5] },
    });
  });

  it("writes numeric tensors as raw bytes, not per-element fields", () => {
    const bytes = encodeTensor(makeTensor(new Float32Array(1000).fill(1.5), [10, 100], undefined, "w"));
    const proto = fromBinary(TensorProtoSchema, bytes);
    expect(proto.rawData.byteLength).toBe(4000);
    expect(proto.floatData).toEqual([]);
    const longs = fromBinary(TensorProtoSchema, encodeTensor(makeTensor([3n, 4n], [2], "int64")));
    expect(longs.rawData.byteLength).toBe(16);
    expect(longs.int64Data).toEqual([]);
    const back = decodeTensor(bytes);
    expect(back.dims).toEqual([10, 100]);
    expect((back.data as Float32Array)[999]).toBe(1.5);
  });

  it("decodes typed fields: float_data, int64_data, int32_data for float16 bits, string_data", () => {
    const floats = create(TensorProtoSchema, { name: "f", dataType: 1, dims: [2n], floatData: [1.5, -2] });
    const longs = create(TensorProtoSchema, { name: "l", dataType: 7, dims: [2n], int64Data: [5n, -7n] });
    const halves = create(TensorProtoSchema, { name: "h", dataType: 10, dims: [1n], int32Data: [0x3c00] });
    const bools = create(TensorProtoSchema, { name: "b", dataType: 9, dims: [3n], int32Data: [1, 0, 1] });
    const strings = create(TensorProtoSchema, {
      name: "s",
      dataType: 8,
      dims: [1n],
      stringData: [new TextEncoder().encode("hé")],
    });
    expect(decodeTensor(toBinary(TensorProtoSchema, floats)).data).toEqual(Float32Array.from([1.5, -2]));
    expect(decodeTensor(toBinary(TensorProtoSchema, longs)).data).toEqual(BigInt64Array.from([5n, -7n]));
    expect(decodeTensor(toBinary(TensorProtoSchema, halves)).data).toEqual(Uint16Array.from([0x3c00]));
    expect(decodeTensor(toBinary(TensorProtoSchema, bools)).data).toEqual(Uint8Array.from([1, 0, 1]));
    expect(decodeTensor(toBinary(TensorProtoSchema, strings)).data).toEqual(["hé"]);
  });

  it("rejects corrupt bytes with INVALID_MODEL", () => {
    const bytes = encodeModel(builtModel());
    expectCode(() => decodeModel(bytes.subarray(0, bytes.byteLength - 7)), "INVALID_MODEL");
    expectCode(() => decodeModel(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), "INVALID_MODEL");
    expectCode(
      () => decodeModel(new TextEncoder().encode("version https://git-lfs.github.com/spec/v1")),
      "INVALID_MODEL",
    );
  });

  it("throws INVALID_MODEL for an int64 attribute beyond 2^53", () => {
    const node = create(NodeProtoSchema, {
      opType: "Slice",
      attribute: [
        create(AttributeProtoSchema, { name: "ends", type: AttributeProto_AttributeType.INT, i: 2n ** 60n }),
      ],
    });
    const proto = create(ModelProtoSchema, { irVersion: 8n, graph: { name: "g", node: [node] } });
    expectCode(() => decodeModel(toBinary(ModelProtoSchema, proto)), "INVALID_MODEL");
  });

  it("keeps external tensors as references and loads them with loadExternalData", async () => {
    const weights = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const file = new Uint8Array(8 + weights.byteLength);
    file.set(new Uint8Array(weights.buffer), 8);
    const model = builtModel();
    model.graph.initializers[0] = {
      name: "w",
      dataType: "float32",
      dims: [3, 2],
      external: { location: "w.bin", offset: 8, length: 24 },
    };
    const decoded = decodeModel(encodeModel(model));
    expect(decoded.graph.initializers[0]).toEqual(model.graph.initializers[0]);
    const reads: string[] = [];
    const loaded = await loadExternalData(decoded, async (location) => {
      reads.push(location);
      return file;
    });
    expect(reads).toEqual(["w.bin"]);
    expect(loaded.graph.initializers[0]).toEqual({
      name: "w",
      dataType: "float32",
      dims: [3, 2],
      data: weights,
    });
    // The loaded model encodes inline and no longer needs the file.
    expect(decodeModel(encodeModel(loaded)).graph.initializers[0]?.data).toEqual(weights);
  });

  it("rejects external data that lies past the end of its file", async () => {
    const model = builtModel();
    model.graph.initializers[0] = {
      name: "w",
      dataType: "float32",
      dims: [3, 2],
      external: { location: "w.bin", offset: 0, length: 24 },
    };
    await expect(loadExternalData(model, async () => new Uint8Array(10))).rejects.toMatchObject({
      code: "INVALID_MODEL",
    });
  });
});
