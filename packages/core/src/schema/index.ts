export { type ParameterSchema, parameterJsonSchema, parseParameters } from "./parameters.ts";
