export * from "./index.ts";
export * from "./runtime/candidates-node.ts";
export * from "./runtime/onnxruntime-node.ts";
export * from "./runtime/onnxruntime-web.ts";
export * from "./runtime/onnxruntime-web-node.ts";
