/**
 * @packageDocumentation
 * Node-only entry of @tokenscope/models: everything in the main entry plus file loaders.
 */
export * from "./formats/node-loaders.ts";
export * from "./index.ts";
export { type LoadModelOptions, loadModel } from "./load-model.ts";
