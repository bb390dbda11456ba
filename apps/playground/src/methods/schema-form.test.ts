import { describe, expect, it } from "vitest";
import { z } from "zod";
import { formFields, formParameters, initialInputs } from "./schema-form.ts";

const schema = z.toJSONSchema(
  z.strictObject({
    n_steps: z.number().int().min(1).max(10_000).default(50).describe("Interpolation steps."),
    scale: z.number().default(0.5),
    method: z.enum(["gausslegendre", "riemann_left"]).default("gausslegendre"),
    abs: z.boolean().default(true).describe("Absolute values."),
    weights: z.array(z.number()).default([1, 2]),
    spans: z.object({ source: z.array(z.number()) }).default({ source: [] }),
  }),
) as Record<string, unknown>;

describe("formFields", () => {
  it("gives each supported property a field with its default and description", () => {
    expect(formFields(schema)).toEqual([
      {
        kind: "integer",
        name: "n_steps",
        default: 50,
        minimum: 1,
        maximum: 10_000,
        description: "Interpolation steps.",
      },
      { kind: "number", name: "scale", default: 0.5 },
      { kind: "enum", name: "method", default: "gausslegendre", options: ["gausslegendre", "riemann_left"] },
      { kind: "boolean", name: "abs", default: true, description: "Absolute values." },
      { kind: "number-array", name: "weights", default: [1, 2] },
      { kind: "fixed", name: "spans" },
    ]);
  });

  it("has no fields for a schema without properties", () => {
    expect(formFields(undefined)).toEqual([]);
    expect(formFields({ type: "object", properties: {} })).toEqual([]);
  });
});

describe("formParameters", () => {
  it("sends the defaults untouched, parsed back to their types", () => {
    const fields = formFields(schema);
    expect(formParameters(fields, initialInputs(fields))).toEqual({
      n_steps: 50,
      scale: 0.5,
      method: "gausslegendre",
      abs: true,
      weights: [1, 2],
    });
  });

  it("parses edits and leaves emptied fields to the schema's default", () => {
    const fields = formFields(schema);
    const inputs = { ...initialInputs(fields), n_steps: "200", scale: "", abs: false, weights: "3 4,5" };
    expect(formParameters(fields, inputs)).toEqual({
      n_steps: 200,
      method: "gausslegendre",
      abs: false,
      weights: [3, 4, 5],
    });
  });
});
