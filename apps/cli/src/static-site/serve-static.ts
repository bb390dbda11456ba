import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, resolve, sep } from "node:path";
import { TokenscopeError } from "tokenscope";

/** Options of {@link startStaticServer}. */
export interface StaticServerOptions {
  /** The folder served; nothing outside it is ever read. */
  root: string;
  host: string;
  /** 0: any free port. */
  port: number;
  /** Headers added to every response (COOP/COEP for a cross-origin-isolated page). */
  headers?: Readonly<Record<string, string>>;
  onRequest?: (entry: { method: string; path: string; status: number }) => void;
}

/** A running {@link startStaticServer}. */
export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** Content types of what a built web app holds; `.wasm` must be application/wasm to stream-compile. */
const contentTypes: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".model": "application/octet-stream",
  ".bin": "application/octet-stream",
  ".gguf": "application/octet-stream",
  ".onnx": "application/octet-stream",
  ".safetensors": "application/octet-stream",
};

/**
 * The file a request path names inside `root`, or undefined: the path is decoded once, may not
 * hold NUL, `..` segments or backslashes, and the file's real path (links resolved) must lie
 * inside the root's, so that no request reads anything else on the machine.
 */
async function fileFor(root: string, rawPath: string): Promise<string | undefined> {
  let path: string;
  try {
    path = decodeURIComponent(rawPath.split("?")[0]!.split("#")[0]!);
  } catch {
    return undefined;
  }
  if (path.includes("\0") || path.includes("\\") || path.split("/").includes("..")) return undefined;
  const candidate = join(root, path.endsWith("/") ? `${path}index.html` : path);
  try {
    const real = await realpath(candidate);
    if (real !== root && !real.startsWith(root.endsWith(sep) ? root : `${root}${sep}`)) return undefined;
    return (await stat(real)).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

function end(response: ServerResponse, status: number, text: string): number {
  response.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" });
  response.end(text);
  return status;
}

/**
 * Serves the files of `root` (GET and HEAD only) on `host:port` until `close()`: the built
 * playground, for people who installed the CLI. Every response carries `headers`; unknown paths
 * are 404, other methods 405, and errors never show a stack or a path of this machine.
 * @throws TokenscopeError INVALID_INPUT when `root` is not a folder; IO_ERROR when the port is taken.
 */
export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  let root: string;
  try {
    root = await realpath(resolve(options.root));
    if (!(await stat(root)).isDirectory()) throw new Error("not a folder");
  } catch (error) {
    throw new TokenscopeError("INVALID_INPUT", `Cannot serve ${options.root}: it is not a readable folder.`, {
      hint: "Build the playground first (pnpm --filter @tokenscope/playground build), or give --dir.",
      cause: error,
    });
  }
  const server = createServer(async (request, response) => {
    for (const [name, value] of Object.entries(options.headers ?? {})) response.setHeader(name, value);
    response.setHeader("X-Content-Type-Options", "nosniff");
    const method = request.method ?? "GET";
    const path = request.url ?? "/";
    let status: number;
    if (method !== "GET" && method !== "HEAD") {
      response.setHeader("Allow", "GET, HEAD");
      status = end(response, 405, "Method not allowed\n");
    } else {
      const file = await fileFor(root, path);
      if (file === undefined) status = end(response, 404, "Not found\n");
      else {
        const size = (await stat(file)).size;
        response.writeHead(200, {
          "Content-Type": contentTypes[extname(file).toLowerCase()] ?? "application/octet-stream",
          "Content-Length": String(size),
          "Cache-Control": "no-cache",
        });
        if (method === "HEAD") response.end();
        else
          createReadStream(file)
            .on("error", () => response.destroy())
            .pipe(response);
        status = 200;
      }
    }
    options.onRequest?.({ method, path, status });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new TokenscopeError(
          "IO_ERROR",
          `Cannot listen on ${options.host}:${options.port}: ${error.code ?? error.message}.`,
          {
            hint:
              error.code === "EADDRINUSE"
                ? "Pick another --port (0: any free port)."
                : "Check --host and --port.",
            details: { code: error.code },
          },
        ),
      ),
    );
    server.listen(options.port, options.host, () => resolveListen());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/`,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}
