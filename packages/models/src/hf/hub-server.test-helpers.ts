import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

/** A local stand-in for the hub: serves folders as model repositories over HTTP on 127.0.0.1. */
export interface LocalHub {
  /** Base URL, to pass as `hubUrl`. */
  url: string;
  /** Commit hash each repository's "main" resolves to. */
  commits: Map<string, string>;
  /** Every request as "METHOD path" (no query), in order. */
  requests: string[];
  close(): Promise<void>;
}

interface RepoFile {
  bytes: Uint8Array;
  /** git blob id (what the hub reports as `oid` for small files). */
  gitOid: string;
  /** sha256, the LFS id the hub reports for large files (safetensors). */
  lfsOid: string | undefined;
}

function readRepo(folder: string): Map<string, RepoFile> {
  const files = new Map<string, RepoFile>();
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(folder, relative), { withFileTypes: true })) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        walk(path);
        continue;
      }
      const bytes = new Uint8Array(readFileSync(join(folder, path)));
      const gitOid = createHash("sha1").update(`blob ${bytes.byteLength}\0`).update(bytes).digest("hex");
      const lfs = path.endsWith(".safetensors") || path.endsWith(".bin") || path.endsWith(".onnx");
      files.set(path, {
        bytes,
        gitOid,
        lfsOid: lfs ? createHash("sha256").update(bytes).digest("hex") : undefined,
      });
    }
  };
  walk("");
  return files;
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  response.writeHead(status, { "Content-Type": "application/json", ...headers });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Serves `repos` (id → folder) with the subset of the hub HTTP API that `@huggingface/hub` uses to
 * download into its cache: model info with `sha` and `siblings`
 * (GET /api/models/{id}/revision/{rev}), paths-info with oids, LFS ids and last commit
 * (POST /api/models/{id}/paths-info/{rev}), and files with ETag and byte ranges
 * (GET /{id}/resolve/{rev}/{path}). Unknown repositories and files answer 404 with the hub's
 * X-Error-Code header.
 */
export async function startLocalHub(repos: Record<string, string>): Promise<LocalHub> {
  const contents = new Map(Object.entries(repos).map(([id, folder]) => [id, readRepo(folder)]));
  const commits = new Map(
    [...contents].map(([id, files]) => {
      const hash = createHash("sha1").update(id);
      for (const [path, file] of [...files].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
        hash.update(path).update(file.gitOid);
      return [id, hash.digest("hex")];
    }),
  );
  const requests: string[] = [];
  const repoOf = (id: string, revision: string) =>
    contents.has(id) && (revision === "main" || revision === commits.get(id)) ? contents.get(id) : undefined;

  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const path = decodeURIComponent(url.pathname);
    // As the hub: readable from any page (a browser app fetches cross-origin, under COEP).
    response.setHeader("Access-Control-Allow-Origin", "*");
    response.setHeader(
      "Access-Control-Expose-Headers",
      "Content-Length, Content-Range, ETag, X-Linked-Size, X-Linked-ETag, X-Error-Code, X-Repo-Commit",
    );
    response.setHeader("Cross-Origin-Resource-Policy", "cross-origin");
    if (request.method === "OPTIONS") {
      response.writeHead(204, {
        "Access-Control-Allow-Methods": "GET, HEAD, POST",
        "Access-Control-Allow-Headers": "*",
      });
      response.end();
      return;
    }
    requests.push(`${request.method} ${path}`);
    const api = /^\/api\/models\/(.+)\/(revision|paths-info)\/([^/]+)$/.exec(path);
    if (api) {
      const [, id, kind, revision] = api as unknown as [string, string, string, string];
      const files = repoOf(id, revision);
      if (!files) {
        sendJson(response, 404, { error: "Repository not found" }, { "X-Error-Code": "RepoNotFound" });
        return;
      }
      const commit = commits.get(id)!;
      if (kind === "revision") {
        sendJson(response, 200, {
          _id: `local-${id}`,
          id,
          sha: commit,
          private: false,
          gated: false,
          downloads: 0,
          likes: 0,
          lastModified: "2024-01-01T00:00:00.000Z",
          siblings: [...files.keys()].map((rfilename) => ({ rfilename })),
        });
        return;
      }
      const { paths } = JSON.parse(await readBody(request)) as { paths: string[] };
      sendJson(
        response,
        200,
        paths
          .filter((name) => files.has(name))
          .map((name) => {
            const file = files.get(name)!;
            return {
              type: "file",
              path: name,
              oid: file.gitOid,
              size: file.bytes.byteLength,
              ...(file.lfsOid
                ? { lfs: { oid: file.lfsOid, size: file.bytes.byteLength, pointerSize: 134 } }
                : {}),
              lastCommit: { id: commit, title: "upload", date: "2024-01-01T00:00:00.000Z" },
            };
          }),
      );
      return;
    }
    const resolveMatch = /^\/(.+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const files = resolveMatch ? repoOf(resolveMatch[1]!, resolveMatch[2]!) : undefined;
    const file = resolveMatch ? files?.get(resolveMatch[3]!) : undefined;
    if (!file) {
      sendJson(
        response,
        404,
        { error: "Entry not found" },
        { "X-Error-Code": files ? "EntryNotFound" : "RepoNotFound" },
      );
      return;
    }
    const etag = `"${file.lfsOid ?? file.gitOid}"`;
    const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? "");
    const size = file.bytes.byteLength;
    if (range) {
      const start = Number(range[1]);
      const end = Math.min(range[2] ? Number(range[2]) : size - 1, size - 1);
      response.writeHead(206, {
        "Content-Type": "application/octet-stream",
        "Content-Range": `bytes ${start}-${end}/${size}`,
        "Content-Length": String(end - start + 1),
        ETag: etag,
        ...(file.lfsOid ? { "X-Linked-ETag": etag, "X-Linked-Size": String(size) } : {}),
      });
      response.end(file.bytes.subarray(start, end + 1));
      return;
    }
    response.writeHead(200, {
      "Content-Type": "application/octet-stream",
      "Content-Length": String(size),
      ETag: etag,
    });
    response.end(file.bytes);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    commits,
    requests,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
