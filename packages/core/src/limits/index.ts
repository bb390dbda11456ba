export { checkLimit } from "./check-limit.ts";
export { describeLimit } from "./describe-limit.ts";
export { type Limit, type LimitName, limits } from "./limits.ts";
export { sizeParameter, withLimit } from "./size-parameter.ts";
