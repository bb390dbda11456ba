/**
 * ONNX ModelProto bytes ⇄ the plain {@link OnnxModel}, through @bufbuild/protobuf and the ONNX 1.20
 * schema generated in `onnx-buf`. int64 scalars become numbers (exact up to 2^53, else an error);
 * tensor data stays in typed arrays (see codec-tensor.ts).
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  type AttributeProto,
  AttributeProtoSchema,
  AttributeProto_AttributeType as AttrType,
  type FunctionProto,
  FunctionProtoSchema,
  type GraphProto,
  GraphProtoSchema,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProtoSchema,
  type ValueInfoProto,
  ValueInfoProtoSchema,
} from "onnx-buf";
import { TensorBackendError } from "../errors.ts";
import { appendInitializers } from "./codec-splice.ts";
import { exactNumber, tensorFromProto, tensorToProto } from "./codec-tensor.ts";
import { typeToProto, valueTypeFromProto } from "./codec-types.ts";
import type {
  Attribute,
  AttributeRef,
  Graph,
  GraphNode,
  ModelFunction,
  OnnxModel,
  OpsetImport,
  ValueInfo,
} from "./types.ts";

const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

const ATTRIBUTE_KIND: Partial<Record<AttrType, Attribute["type"]>> = {
  [AttrType.FLOAT]: "float",
  [AttrType.INT]: "int",
  [AttrType.STRING]: "string",
  [AttrType.TENSOR]: "tensor",
  [AttrType.GRAPH]: "graph",
  [AttrType.FLOATS]: "floats",
  [AttrType.INTS]: "ints",
  [AttrType.STRINGS]: "strings",
  [AttrType.TENSORS]: "tensors",
  [AttrType.GRAPHS]: "graphs",
};

const ATTRIBUTE_PROTO_TYPE: Record<Attribute["type"], AttrType> = {
  float: AttrType.FLOAT,
  int: AttrType.INT,
  string: AttrType.STRING,
  tensor: AttrType.TENSOR,
  graph: AttrType.GRAPH,
  floats: AttrType.FLOATS,
  ints: AttrType.INTS,
  strings: AttrType.STRINGS,
  tensors: AttrType.TENSORS,
  graphs: AttrType.GRAPHS,
};

function unsupported(what: string, hint: string): TensorBackendError {
  return new TensorBackendError("INVALID_MODEL", `${what} is not supported by tensor-backends`, { hint });
}

// ---------- decode ----------

/** Pre-IR-0.0.2 files leave `type` unset: infer it from the field that holds a value. */
function inferAttributeType(proto: AttributeProto): AttrType {
  if (proto.type !== AttrType.UNDEFINED) return proto.type;
  if (proto.floats.length > 0) return AttrType.FLOATS;
  if (proto.ints.length > 0) return AttrType.INTS;
  if (proto.strings.length > 0) return AttrType.STRINGS;
  if (proto.tensors.length > 0) return AttrType.TENSORS;
  if (proto.graphs.length > 0) return AttrType.GRAPHS;
  if (proto.t !== undefined) return AttrType.TENSOR;
  if (proto.g !== undefined) return AttrType.GRAPH;
  if (proto.s.byteLength > 0) return AttrType.STRING;
  if (proto.f !== 0) return AttrType.FLOAT;
  return AttrType.INT;
}

function attributeFromProto(proto: AttributeProto, where: string): Attribute {
  const at = `attribute '${proto.name}' of ${where}`;
  switch (inferAttributeType(proto)) {
    case AttrType.FLOAT:
      return { type: "float", value: proto.f };
    case AttrType.INT:
      return { type: "int", value: exactNumber(proto.i, at) };
    case AttrType.STRING:
      return { type: "string", value: utf8Decoder.decode(proto.s) };
    case AttrType.TENSOR:
      return { type: "tensor", value: tensorFromProto(proto.t ?? create(TensorProtoSchema)) };
    case AttrType.GRAPH:
      return { type: "graph", value: graphFromProto(proto.g ?? create(GraphProtoSchema)) };
    case AttrType.FLOATS:
      return { type: "floats", value: [...proto.floats] };
    case AttrType.INTS:
      return { type: "ints", value: proto.ints.map((value) => exactNumber(value, at)) };
    case AttrType.STRINGS:
      return { type: "strings", value: proto.strings.map((bytes) => utf8Decoder.decode(bytes)) };
    case AttrType.TENSORS:
      return { type: "tensors", value: proto.tensors.map(tensorFromProto) };
    case AttrType.GRAPHS:
      return { type: "graphs", value: proto.graphs.map(graphFromProto) };
    default:
      throw unsupported(`${at} (sparse tensor)`, "Densify sparse constants before loading the model.");
  }
}

function valueInfoFromProto(proto: ValueInfoProto): ValueInfo {
  return { name: proto.name, ...valueTypeFromProto(proto.type, `value '${proto.name}'`) };
}

function nodeFromProto(proto: NodeProto): GraphNode {
  const where = `node '${proto.name}' (${proto.opType})`;
  const node: GraphNode = {
    name: proto.name,
    opType: proto.opType,
    domain: proto.domain,
    inputs: [...proto.input],
    outputs: [...proto.output],
    attributes: {},
  };
  for (const attribute of proto.attribute) {
    if (attribute.refAttrName !== "") {
      const type = ATTRIBUTE_KIND[attribute.type] ?? "int";
      node.attributeRefs = {
        ...node.attributeRefs,
        [attribute.name]: { refAttrName: attribute.refAttrName, type },
      };
    } else if (attribute.type === AttrType.TYPE_PROTO) {
      const valueType = valueTypeFromProto(attribute.tp, `attribute '${attribute.name}' of ${where}`);
      node.typeAttributes = { ...node.typeAttributes, [attribute.name]: valueType };
    } else {
      node.attributes[attribute.name] = attributeFromProto(attribute, where);
    }
  }
  return node;
}

function graphFromProto(proto: GraphProto): Graph {
  if (proto.sparseInitializer.length > 0) {
    throw unsupported(`sparse initializers in graph '${proto.name}'`, "Densify sparse initializers first.");
  }
  return {
    name: proto.name,
    nodes: proto.node.map(nodeFromProto),
    initializers: proto.initializer.map(tensorFromProto),
    inputs: proto.input.map(valueInfoFromProto),
    outputs: proto.output.map(valueInfoFromProto),
    valueInfo: proto.valueInfo.map(valueInfoFromProto),
  };
}

function opsetsFromProto(protos: ModelProto["opsetImport"]): OpsetImport[] {
  return protos.map((opset) => ({
    domain: opset.domain,
    version: exactNumber(opset.version, "an opset version"),
  }));
}

function functionFromProto(proto: FunctionProto): ModelFunction {
  const fn: ModelFunction = {
    name: proto.name,
    domain: proto.domain,
    inputs: [...proto.input],
    outputs: [...proto.output],
    attributeNames: [...proto.attribute],
    nodes: proto.node.map(nodeFromProto),
    opsetImports: opsetsFromProto(proto.opsetImport),
  };
  if (proto.attributeProto.length > 0) {
    const where = `function '${proto.name}'`;
    fn.attributeDefaults = Object.fromEntries(
      proto.attributeProto.map((attribute) => [attribute.name, attributeFromProto(attribute, where)]),
    );
  }
  return fn;
}

/**
 * Decode the bytes of an `.onnx` file. Tensors whose bytes live in external files come back with
 * `external` set and no `data`: call `loadExternalData` to fill them. Tensor data views `bytes` where
 * alignment allows (no copy of large weights), so do not reuse that buffer while the model is in use.
 * @throws TensorBackendError INVALID_MODEL when the bytes are not a valid ModelProto.
 */
export function decodeModel(bytes: Uint8Array): OnnxModel {
  let proto: ModelProto;
  try {
    proto = fromBinary(ModelProtoSchema, bytes);
  } catch (error) {
    throw new TensorBackendError(
      "INVALID_MODEL",
      `bytes are not an ONNX model: ${(error as Error).message}`,
      {
        hint: "Check that the file is a complete .onnx file (not truncated, not a Git LFS pointer).",
        cause: error,
      },
    );
  }
  if (proto.graph === undefined) {
    throw new TensorBackendError("INVALID_MODEL", "the ONNX model has no graph", {
      hint: "Check that the file is an .onnx model and not another protobuf (a TensorProto, say).",
    });
  }
  const model: OnnxModel = {
    irVersion: exactNumber(proto.irVersion, "ir_version"),
    opsetImports: opsetsFromProto(proto.opsetImport),
    producerName: proto.producerName,
    producerVersion: proto.producerVersion,
    graph: graphFromProto(proto.graph),
    functions: proto.functions.map(functionFromProto),
    metadata: Object.fromEntries(proto.metadataProps.map((entry) => [entry.key, entry.value])),
  };
  if (proto.domain !== "") model.domain = proto.domain;
  if (proto.modelVersion !== 0n) model.modelVersion = exactNumber(proto.modelVersion, "model_version");
  if (proto.docString !== "") model.docString = proto.docString;
  return model;
}

// ---------- encode ----------

function attributeToProto(name: string, attribute: Attribute): AttributeProto {
  const proto = create(AttributeProtoSchema, { name, type: ATTRIBUTE_PROTO_TYPE[attribute.type] });
  switch (attribute.type) {
    case "float":
      proto.f = attribute.value;
      break;
    case "int":
      proto.i = BigInt(attribute.value);
      break;
    case "string":
      proto.s = utf8Encoder.encode(attribute.value);
      break;
    case "tensor":
      proto.t = tensorToProto(attribute.value);
      break;
    case "graph":
      proto.g = graphToProto(attribute.value);
      break;
    case "floats":
      proto.floats = [...attribute.value];
      break;
    case "ints":
      proto.ints = attribute.value.map((value) => BigInt(value));
      break;
    case "strings":
      proto.strings = attribute.value.map((value) => utf8Encoder.encode(value));
      break;
    case "tensors":
      proto.tensors = attribute.value.map(tensorToProto);
      break;
    case "graphs":
      proto.graphs = attribute.value.map(graphToProto);
      break;
  }
  return proto;
}

function attributeRefToProto(name: string, ref: AttributeRef): AttributeProto {
  return create(AttributeProtoSchema, {
    name,
    refAttrName: ref.refAttrName,
    type: ATTRIBUTE_PROTO_TYPE[ref.type],
  });
}

function valueInfoToProto(info: ValueInfo): ValueInfoProto {
  const proto = create(ValueInfoProtoSchema, { name: info.name });
  const type = typeToProto(info);
  if (type !== undefined) proto.type = type;
  return proto;
}

function nodeToProto(node: GraphNode): NodeProto {
  const attribute = Object.entries(node.attributes).map(([name, value]) => attributeToProto(name, value));
  for (const [name, ref] of Object.entries(node.attributeRefs ?? {}))
    attribute.push(attributeRefToProto(name, ref));
  for (const [name, valueType] of Object.entries(node.typeAttributes ?? {})) {
    const proto = create(AttributeProtoSchema, { name, type: AttrType.TYPE_PROTO });
    const tp = typeToProto(valueType);
    if (tp !== undefined) proto.tp = tp;
    attribute.push(proto);
  }
  const proto = create(NodeProtoSchema, {
    input: node.inputs,
    output: node.outputs,
    opType: node.opType,
    attribute,
  });
  if (node.name !== "") proto.name = node.name;
  if (node.domain !== "") proto.domain = node.domain;
  return proto;
}

function graphToProto(graph: Graph): GraphProto {
  return create(GraphProtoSchema, {
    name: graph.name,
    node: graph.nodes.map(nodeToProto),
    initializer: graph.initializers.map(tensorToProto),
    input: graph.inputs.map(valueInfoToProto),
    output: graph.outputs.map(valueInfoToProto),
    valueInfo: graph.valueInfo.map(valueInfoToProto),
  });
}

function opsetsToProto(opsets: OpsetImport[]): ModelProto["opsetImport"] {
  return opsets.map((opset) =>
    create(OperatorSetIdProtoSchema, { domain: opset.domain, version: BigInt(opset.version) }),
  );
}

function functionToProto(fn: ModelFunction): FunctionProto {
  return create(FunctionProtoSchema, {
    name: fn.name,
    domain: fn.domain,
    input: fn.inputs,
    output: fn.outputs,
    attribute: fn.attributeNames,
    attributeProto: Object.entries(fn.attributeDefaults ?? {}).map(([name, value]) =>
      attributeToProto(name, value),
    ),
    node: fn.nodes.map(nodeToProto),
    opsetImport: opsetsToProto(fn.opsetImports),
  });
}

/**
 * Encode a model as `.onnx` bytes. Numeric tensor data is written as raw bytes (no per-element
 * encoding); tensors with `external` and no `data` stay external references.
 */
export function encodeModel(model: OnnxModel): Uint8Array {
  const proto = create(ModelProtoSchema, {
    irVersion: BigInt(model.irVersion),
    opsetImport: opsetsToProto(model.opsetImports),
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    graph: graphToProto({ ...model.graph, initializers: [] }),
    functions: model.functions.map(functionToProto),
    metadataProps: Object.entries(model.metadata).map(([key, value]) =>
      create(StringStringEntryProtoSchema, { key, value }),
    ),
  });
  if (model.domain !== undefined) proto.domain = model.domain;
  if (model.modelVersion !== undefined) proto.modelVersion = BigInt(model.modelVersion);
  if (model.docString !== undefined) proto.docString = model.docString;
  // Initializers go after the rest, each copied once (see codec-splice.ts).
  return appendInitializers(toBinary(ModelProtoSchema, proto), model.graph.initializers);
}
