import { fileURLToPath } from "node:url";
import { defaultClientConditions, defineConfig } from "vite";
import { demoModelPlugin } from "./vite/demo-model-plugin.ts";
import { isolationHeadersPlugin } from "./vite/isolation-headers.ts";

/** The stories260K demo model: `../shared` beside the repository root, never copied into the repo. */
const demoModelFolder = fileURLToPath(new URL("../../../shared/models/stories260K", import.meta.url));

/**
 * Workspace packages resolve to their TypeScript sources ("@tokenscope/source"), browser entries
 * first; onnxruntime-web's "use-extern-wasm" build loads its .mjs/.wasm from the URLs the worker
 * gives it (files the app serves itself), instead of a copy inlined in the bundle.
 */
const conditions = [
  "@tokenscope/source",
  "browser",
  "onnxruntime-web-use-extern-wasm",
  ...defaultClientConditions,
];

export default defineConfig({
  base: "./",
  resolve: { conditions },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  worker: { format: "es" },
  optimizeDeps: { exclude: ["onnxruntime-web"] },
  build: { target: "es2022", chunkSizeWarningLimit: 2048, reportCompressedSize: false },
  plugins: [
    isolationHeadersPlugin(),
    demoModelPlugin({
      urlPath: "models/stories260K/",
      folder: demoModelFolder,
      files: ["stories260K.bin", "tok512.bin"],
    }),
  ],
});
