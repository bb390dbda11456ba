/**
 * A plain typed representation of an ONNX model, mirroring onnx.proto3.
 * Everything is data: passes take a graph and return a new one.
 */

/** ONNX element types tokenscope handles (names as in onnxruntime-common). */
export type DataType =
  | "float32"
  | "float64"
  | "float16"
  | "bfloat16"
  | "int8"
  | "uint8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "uint64"
  | "bool"
  | "string";

/** One dimension of a shape: a size, a symbolic name ("batch"), or unknown (null). */
export type Dim = number | string | null;

/** Where an initializer's bytes live when they are not inside the .onnx file. */
export interface ExternalData {
  location: string;
  offset: number;
  length: number;
}

/** Element storage of a tensor constant. int64/uint64 use bigint arrays for exactness. */
export type TensorElements =
  | Float32Array
  | Float64Array
  | Uint16Array // float16 and bfloat16 bits
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | string[];

/** A constant tensor (initializer or attribute value). */
export interface TensorConstant {
  name: string;
  dataType: DataType;
  dims: number[];
  /** Absent when the bytes are external and not loaded yet. */
  data?: TensorElements;
  external?: ExternalData;
}

/** An attribute of a node. */
export type Attribute =
  | { type: "float"; value: number }
  | { type: "int"; value: number }
  | { type: "string"; value: string }
  | { type: "tensor"; value: TensorConstant }
  | { type: "graph"; value: Graph }
  | { type: "floats"; value: number[] }
  | { type: "ints"; value: number[] }
  | { type: "strings"; value: string[] }
  | { type: "tensors"; value: TensorConstant[] }
  | { type: "graphs"; value: Graph[] };

/** A node. An empty string in `inputs` marks an omitted optional input. */
export interface GraphNode {
  name: string;
  opType: string;
  /** "" (or "ai.onnx") for the default domain, "com.microsoft" for contrib operators. */
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, Attribute>;
  /**
   * Inside a model-local function only: attributes that refer to an attribute of the calling node
   * (ONNX `ref_attr_name`), keyed by this node's attribute name.
   */
  attributeRefs?: Record<string, AttributeRef>;
  /** Attributes whose value is a type (ONNX TYPE_PROTO, e.g. `Optional`'s `type`), keyed by name. */
  typeAttributes?: Record<string, ValueType>;
}

/** A reference from a function body's node attribute to an attribute of the calling node. */
export interface AttributeRef {
  /** Name of the calling node's attribute. */
  refAttrName: string;
  /** Kind of value expected. */
  type: Attribute["type"];
}

/** Non-tensor wrappers around a tensor type, from the outside in. */
export type ValueContainer = "sequence" | "optional";

/** The type part of a {@link ValueInfo}: element type, shape and wrappers. */
export interface ValueType {
  dataType: DataType;
  /** Absent when the rank is unknown. */
  shape?: Dim[];
  /** E.g. `["optional", "sequence"]` for optional(sequence(tensor)); absent for a plain tensor. */
  container?: ValueContainer[];
  /** True when the file gave no type at all (allowed for subgraph values); `dataType` is then a placeholder. */
  untyped?: boolean;
}

/** Name, element type and (possibly symbolic) shape of a value. */
export interface ValueInfo {
  name: string;
  dataType: DataType;
  /** Absent when the rank is unknown. */
  shape?: Dim[];
  /** E.g. `["sequence"]` for a sequence of tensors; absent for a plain tensor. */
  container?: ValueContainer[];
  /** True when the file gave no type at all (allowed for subgraph values); `dataType` is then a placeholder. */
  untyped?: boolean;
}

/** A graph: nodes in any order (passes sort them), constants, inputs, outputs. */
export interface Graph {
  name: string;
  nodes: GraphNode[];
  initializers: TensorConstant[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  valueInfo: ValueInfo[];
}

/** An opset a model imports. */
export interface OpsetImport {
  domain: string;
  version: number;
}

/** A model-local function (ONNX FunctionProto). */
export interface ModelFunction {
  name: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributeNames: string[];
  nodes: GraphNode[];
  opsetImports: OpsetImport[];
  /** Default values of attributes the caller may omit. */
  attributeDefaults?: Record<string, Attribute>;
}

/** A whole ONNX model. */
export interface OnnxModel {
  irVersion: number;
  opsetImports: OpsetImport[];
  producerName: string;
  producerVersion: string;
  graph: Graph;
  functions: ModelFunction[];
  metadata: Record<string, string>;
  /** Model namespace (ONNX `domain`), when given. */
  domain?: string;
  /** Model version (ONNX `model_version`), when given. */
  modelVersion?: number;
  /** Free-text documentation, when given. */
  docString?: string;
}
