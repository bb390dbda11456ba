export * from "./index.ts";
export * from "./runtime/candidates-web.ts";
export * from "./runtime/onnxruntime-web.ts";
