import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { LanguageModel } from "@tokenscope/core";

/** The files of a folder (recursive) as `File` objects, named by `webkitRelativePath` under `top` when given. */
export function folderFiles(folder: string, top?: string): File[] {
  const files: File[] = [];
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(folder, relative), { withFileTypes: true })) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path);
      else {
        const file = new File([readFileSync(join(folder, path))], entry.name);
        if (top || relative) {
          // What a picked folder gives: the top folder first, then the path inside it.
          Object.defineProperty(file, "webkitRelativePath", { value: `${top ?? "picked"}/${path}` });
        }
        files.push(file);
      }
    }
  };
  walk("");
  return files;
}

/** A static server of `folder` on 127.0.0.1, recording each path asked for. */
export async function serveFolder(folder: string) {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname);
    requests.push(path);
    try {
      const bytes = readFileSync(join(folder, ...path.split("/").filter(Boolean)));
      response.writeHead(200, { "Content-Length": String(bytes.byteLength) });
      response.end(bytes);
    } catch {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** The largest absolute difference of two logit arrays, which must have the same length. */
export function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  return diff;
}

/** Logits of one row of `ids` (all positions). */
export async function logitsOf(
  model: LanguageModel,
  ids: number[],
  sourceLength?: number,
): Promise<Float32Array> {
  const { logits } = await model.forward!({
    inputs: { ids: [ids], ...(sourceLength !== undefined ? { sourceLengths: [sourceLength] } : {}) },
  });
  return logits.data as Float32Array;
}
