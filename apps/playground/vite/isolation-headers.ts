import type { Plugin } from "vite";

/**
 * The headers that make the page cross-origin isolated (`crossOriginIsolated === true`), which
 * WebAssembly threads need (SharedArrayBuffer). Deployments must send the same two headers.
 */
export const isolationHeaders: Readonly<Record<string, string>> = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

/** Sends {@link isolationHeaders} from the dev server and `vite preview` on every response. */
export function isolationHeadersPlugin(): Plugin {
  const apply = (response: { setHeader(name: string, value: string): void }) => {
    for (const [name, value] of Object.entries(isolationHeaders)) response.setHeader(name, value);
  };
  return {
    name: "tokenscope-isolation-headers",
    configureServer(server) {
      server.middlewares.use((_request, response, next) => {
        apply(response);
        next();
      });
    },
    configurePreviewServer(server) {
      server.middlewares.use((_request, response, next) => {
        apply(response);
        next();
      });
    },
  };
}
