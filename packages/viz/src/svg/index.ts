export { importanceDistribution } from "./distribution.ts";
export { type SvgKind, type SvgOptions, svgKinds } from "./options.ts";
export { toSvg } from "./to-svg.ts";
