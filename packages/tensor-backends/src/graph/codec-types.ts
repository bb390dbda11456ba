/**
 * ONNX TypeProto ⇄ {@link ValueType}: element type, (symbolic) shape, and sequence/optional wrappers.
 */
import { create } from "@bufbuild/protobuf";
import {
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  type TypeProto,
  TypeProto_OptionalSchema,
  TypeProto_SequenceSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
} from "onnx-buf";
import { TensorBackendError } from "../errors.ts";
import { exactNumber } from "./codec-tensor.ts";
import { dataTypeFromOnnx, ONNX_DATA_TYPE } from "./dtypes.ts";
import type { Dim, ValueContainer, ValueType } from "./types.ts";

function dimsFromProto(type: TypeProto["value"] & { case: "tensorType" }): Dim[] | undefined {
  const shape = type.value.shape;
  if (shape === undefined) return undefined;
  return shape.dim.map((dim): Dim => {
    if (dim.value.case === "dimValue") return exactNumber(dim.value.value, "a dimension");
    if (dim.value.case === "dimParam") return dim.value.value;
    return null;
  });
}

/** The tensor type inside any sequence/optional wrappers; untyped when the file gives none. */
export function valueTypeFromProto(type: TypeProto | undefined, where: string): ValueType {
  const container: ValueContainer[] = [];
  let current = type;
  for (;;) {
    const value = current?.value;
    if (value === undefined || value.case === undefined) {
      return { dataType: "float32", untyped: true, ...(container.length > 0 ? { container } : {}) };
    }
    if (value.case === "tensorType") {
      const valueType: ValueType = { dataType: dataTypeFromOnnx(value.value.elemType, where) };
      const shape = dimsFromProto(value);
      if (shape !== undefined) valueType.shape = shape;
      if (container.length > 0) valueType.container = container;
      return valueType;
    }
    if (value.case === "sequenceType" || value.case === "optionalType") {
      container.push(value.case === "sequenceType" ? "sequence" : "optional");
      current = value.value.elemType;
      continue;
    }
    throw new TensorBackendError("INVALID_MODEL", `the ${value.case} type of ${where} is not supported`, {
      hint: "tensor-backends holds tensors, sequences and optionals only.",
    });
  }
}

/** The TypeProto of a value type (undefined for an untyped plain value). */
export function typeToProto(valueType: ValueType): TypeProto | undefined {
  if (valueType.untyped === true && valueType.container === undefined) return undefined;
  let type: TypeProto;
  if (valueType.untyped === true) {
    type = create(TypeProtoSchema);
  } else {
    const tensorType = create(TypeProto_TensorSchema, { elemType: ONNX_DATA_TYPE[valueType.dataType] });
    if (valueType.shape !== undefined) {
      tensorType.shape = create(TensorShapeProtoSchema, {
        dim: valueType.shape.map((dim) => {
          if (dim === null) return create(TensorShapeProto_DimensionSchema);
          const value =
            typeof dim === "number"
              ? { case: "dimValue" as const, value: BigInt(dim) }
              : { case: "dimParam" as const, value: dim };
          return create(TensorShapeProto_DimensionSchema, { value });
        }),
      });
    }
    type = create(TypeProtoSchema, { value: { case: "tensorType", value: tensorType } });
  }
  for (const container of [...(valueType.container ?? [])].reverse()) {
    type =
      container === "sequence"
        ? create(TypeProtoSchema, {
            value: { case: "sequenceType", value: create(TypeProto_SequenceSchema, { elemType: type }) },
          })
        : create(TypeProtoSchema, {
            value: { case: "optionalType", value: create(TypeProto_OptionalSchema, { elemType: type }) },
          });
  }
  return type;
}
