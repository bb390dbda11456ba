/**
 * The shared gradient checker: builds a one-node graph around an operator, builds its gradient graph
 * with random seeds, runs both on a runtime, and compares every requested input gradient with central
 * finite differences of the forward graph (seed · (f(x + h·e_i) − f(x − h·e_i)) / 2h).
 */
import type { AttributeInput } from "../../graph/attributes.ts";
import { toAttributes } from "../../graph/attributes.ts";
import { makeTensor } from "../../graph/tensor.ts";
import type { DataType, Dim, OnnxModel, TensorConstant, ValueInfo } from "../../graph/types.ts";
import { buildGradientGraph, gradName } from "../build-gradient-graph.ts";
import type { RuleRegistry } from "../registry.ts";
import { maxRelativeError, numericalJacobian, vjpFromJacobian } from "./finite-differences.ts";
import type { HostTensor, SessionFactory } from "./ort-session.ts";
import { seededRandom, uniformValues } from "./random.ts";

/** One input of the operator under test. */
export interface OperandSpec {
  shape: number[];
  /** Element type; default: the case's float type. */
  dataType?: DataType;
  /** Fixed values (required for integer and bool operands); default: random floats in `range`. */
  values?: readonly number[];
  /** Range of random floats; default [-1, 1]. */
  range?: [number, number];
  /** Feed the operand at run time instead of as an initializer (default: floats yes, others no). */
  runtime?: boolean;
  /** Differentiate with respect to it (default: true for float operands). */
  wrt?: boolean;
  /** Leave this optional input out (an empty name). */
  omitted?: boolean;
}

/** An operator case for {@link checkGradient}. */
export interface OpCase {
  name: string;
  opType: string;
  domain?: string;
  opset?: number;
  inputs: OperandSpec[];
  attributes?: Record<string, AttributeInput>;
  /** Number of node outputs (default 1). */
  outputs?: number;
  /** Outputs to seed (default [0]). */
  of?: number[];
  /** Float element type of the case (default float64). */
  dataType?: "float64" | "float32";
  /** Element type of the seeded outputs when it differs from `dataType` (e.g. Cast). */
  outputDataType?: "float64" | "float32";
  /** Declare inputs with symbolic dims only, so rules must use run-time shapes. */
  symbolicDims?: boolean;
}

/** Options of {@link checkGradient}. */
export interface GradientCheckOptions {
  /** Seed of the random inputs and seeds. */
  randomSeed?: number;
  /** Finite-difference step (default 1e-5 for float64, 1e-2 for float32). */
  step?: number;
  /** Vectorise with K seeds and check every one of them. */
  seeds?: number;
  /** Rules to differentiate with (default: the built-in ones). */
  registry?: RuleRegistry;
}

/** Errors per differentiated operand (max relative error, see `maxRelativeError`). */
export interface GradientCheckResult {
  errors: Record<string, number>;
  maxError: number;
}

const FLOATS = new Set<DataType>(["float32", "float64", "float16", "bfloat16"]);

function hostTensor(dataType: DataType, dims: number[], values: readonly number[]): HostTensor {
  const tensor = makeTensor(dataType === "int64" ? values.map(BigInt) : (values as number[]), dims, dataType);
  return { dataType, dims, data: tensor.data as HostTensor["data"] };
}

interface BuiltCase {
  model: OnnxModel;
  feeds: Record<string, HostTensor>;
  wrt: string[];
  of: string[];
}

/** The one-node model of a case, with its run-time feeds. */
export function buildCaseModel(testCase: OpCase, randomSeed = 1): BuiltCase {
  const random = seededRandom(randomSeed);
  const floatType = testCase.dataType ?? "float64";
  const inputs: ValueInfo[] = [];
  const initializers: TensorConstant[] = [];
  const feeds: Record<string, HostTensor> = {};
  const wrt: string[] = [];
  const names = testCase.inputs.map((spec, index) => {
    if (spec.omitted) return "";
    const name = `x${index}`;
    const dataType = spec.dataType ?? floatType;
    const count = spec.shape.reduce((total, dim) => total * dim, 1);
    const [low, high] = spec.range ?? [-1, 1];
    const values = spec.values ?? uniformValues(random, count, low, high);
    const isFloat = FLOATS.has(dataType);
    if (spec.runtime ?? isFloat) {
      const shape: Dim[] = testCase.symbolicDims
        ? spec.shape.map((_, axis) => `${name}_d${axis}`)
        : [...spec.shape];
      inputs.push({ name, dataType, shape });
      feeds[name] = hostTensor(dataType, spec.shape, values);
    } else {
      initializers.push({ ...hostTensorToConstant(hostTensor(dataType, spec.shape, values)), name });
    }
    if (isFloat && (spec.wrt ?? true)) wrt.push(name);
    return name;
  });
  const outputNames = Array.from({ length: testCase.outputs ?? 1 }, (_, index) => `y${index}`);
  const of = (testCase.of ?? [0]).map((index) => outputNames[index]!);
  const model: OnnxModel = {
    irVersion: 10,
    opsetImports: [
      { domain: "", version: testCase.opset ?? 18 },
      ...(testCase.domain ? [{ domain: testCase.domain, version: 1 }] : []),
    ],
    producerName: "tokenscope-test",
    producerVersion: "0",
    graph: {
      name: testCase.name,
      nodes: [
        {
          name: `${testCase.opType}_node`,
          opType: testCase.opType,
          domain: testCase.domain ?? "",
          inputs: names,
          outputs: outputNames,
          attributes: toAttributes(testCase.attributes ?? {}),
        },
      ],
      initializers,
      inputs,
      outputs: of.map((name) => ({ name, dataType: testCase.outputDataType ?? floatType })),
      valueInfo: [],
    },
    functions: [],
    metadata: {},
  };
  return { model, feeds, wrt, of };
}

function hostTensorToConstant(tensor: HostTensor): TensorConstant {
  return { name: "", dataType: tensor.dataType, dims: tensor.dims, data: tensor.data };
}

function toFloat64(data: HostTensor["data"]): Float64Array {
  return Float64Array.from(data as ArrayLike<number>, Number);
}

/**
 * Check every differentiated operand's gradient of a case against central finite differences.
 * With `seeds: K` the gradient graph is vectorised and each of the K gradients is checked.
 */
export async function checkGradient(
  testCase: OpCase,
  sessions: SessionFactory,
  options: GradientCheckOptions = {},
): Promise<GradientCheckResult> {
  const randomSeed = options.randomSeed ?? 7;
  const { model, feeds, wrt, of } = buildCaseModel(testCase, randomSeed);
  const floatType = testCase.dataType ?? "float64";
  const step = options.step ?? (floatType === "float64" ? 1e-5 : 1e-2);
  const forward = await sessions(model);
  const outputs = await forward(feeds);
  const seedCount = options.seeds ?? 1;
  const random = seededRandom(randomSeed + 1000);
  const seedValues = of.map((name) => {
    const dims = outputs[name]!.dims;
    const count = dims.reduce((total, dim) => total * dim, 1);
    return { name, dims, values: uniformValues(random, count * seedCount) };
  });
  const gradientModel = buildGradientGraph(
    model,
    { of, wrt, ...(options.seeds ? { seeds: options.seeds } : {}) },
    options.registry,
  );
  const backward = await sessions(gradientModel);
  const seedFeeds: Record<string, HostTensor> = {};
  for (const seed of seedValues) {
    const dims = options.seeds ? [seedCount, ...seed.dims] : seed.dims;
    seedFeeds[gradName(seed.name)] = hostTensor(testCase.outputDataType ?? floatType, dims, seed.values);
  }
  const results = await backward({ ...feeds, ...seedFeeds });

  const errors: Record<string, number> = {};
  for (const name of wrt) {
    const input = feeds[name]!;
    const evaluate = async (values: Float64Array) => {
      const perturbed = { ...feeds, [name]: hostTensor(floatType, input.dims, Array.from(values)) };
      const outs = await forward(perturbed);
      return Float64Array.from(of.flatMap((output) => Array.from(toFloat64(outs[output]!.data))));
    };
    const jacobian = await numericalJacobian(evaluate, toFloat64(input.data), { step });
    const analytic = toFloat64(results[gradName(name)]!.data);
    const size = input.data.length;
    let worst = 0;
    for (let k = 0; k < seedCount; k++) {
      const seed = seedValues.flatMap((entry) => {
        const per = entry.values.length / seedCount;
        return entry.values.slice(k * per, (k + 1) * per);
      });
      const numeric = vjpFromJacobian(jacobian, seed);
      worst = Math.max(worst, maxRelativeError(analytic.subarray(k * size, (k + 1) * size), numeric));
    }
    errors[name] = worst;
  }
  return { errors, maxError: Math.max(0, ...Object.values(errors)) };
}
