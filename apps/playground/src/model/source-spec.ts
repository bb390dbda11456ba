/**
 * Where a model comes from, as the page tells the worker (plain data: it crosses `postMessage`).
 * The worker turns it into a `ModelFileSource` of @tokenscope/models.
 */
export type ModelSourceSpec =
  | { kind: "demo"; baseUrl: string; files: string[] }
  | { kind: "files"; files: File[]; id?: string }
  | { kind: "hub"; repo: string; revision?: string; hubUrl?: string };

/** The stories260K demo (llama2.c checkpoint and tokenizer), served by the app itself. */
export const demoModelFiles = ["stories260K.bin", "tok512.bin"] as const;

/** The demo's source, relative to the page (`models/stories260K/` beside index.html). */
export function demoModelSource(pageUrl: string): ModelSourceSpec {
  return { kind: "demo", baseUrl: new URL("models/stories260K/", pageUrl).href, files: [...demoModelFiles] };
}

/**
 * A hub id's source. `?hub=<url>` in the page's address names another hub endpoint (a mirror or
 * a self-hosted hub, as HF_ENDPOINT does for Python); `@revision` after the id picks a branch,
 * tag or commit.
 */
export function hubModelSource(reference: string, pageUrl: string): ModelSourceSpec {
  const [repo, revision] = reference.split("@", 2) as [string, string | undefined];
  const hubUrl = new URL(pageUrl).searchParams.get("hub");
  return {
    kind: "hub",
    repo,
    ...(revision ? { revision } : {}),
    ...(hubUrl ? { hubUrl } : {}),
  };
}
