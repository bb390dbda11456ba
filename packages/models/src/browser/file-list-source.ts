import { downloadAborted, fileProgress } from "./fetch-file.ts";
import { fileByteBound, fileTooLarge, type ModelFileSource } from "./file-source.ts";

/** A picked folder's files name it first ("stories260K/tok512.bin"); the model's paths start below. */
function relativePath(file: File): { folder: string | undefined; path: string } {
  const relative = (file as File & { webkitRelativePath?: string }).webkitRelativePath;
  if (!relative) return { folder: undefined, path: file.name };
  const [folder, ...rest] = relative.split("/");
  return rest.length > 0 ? { folder, path: rest.join("/") } : { folder: undefined, path: relative };
}

/**
 * Files the user picked (`<input type=file multiple>`, a picked folder's `webkitRelativePath`
 * with its top folder dropped, or dropped files) as a {@link ModelFileSource}. Nothing is read
 * until the loader asks, and each file is checked against its bound before it is read, so picking
 * a huge unrelated file costs nothing.
 * @param id Default: the picked folder's name, else "N local files".
 */
export function fileListSource(files: Iterable<File>, id?: string): ModelFileSource {
  const byPath = new Map<string, File>();
  const folders = new Set<string | undefined>();
  for (const file of files) {
    const { folder, path } = relativePath(file);
    folders.add(folder);
    byPath.set(path, file);
  }
  const [onlyFolder] = folders.size === 1 ? [...folders] : [undefined];
  const sourceId = id ?? onlyFolder ?? `${byPath.size} local file${byPath.size === 1 ? "" : "s"}`;
  const paths = [...byPath.keys()].sort();
  return {
    id: sourceId,
    list: async () => [...paths],
    async read(path, options = {}) {
      const file = byPath.get(path);
      if (!file) return undefined;
      const where = `${path} of ${sourceId}`;
      if (options.signal?.aborted) throw downloadAborted(options.signal, where);
      if (file.size > fileByteBound(path).max) throw fileTooLarge(where, file.size, path);
      const progress = fileProgress(options.onProgress, path, paths.indexOf(path), paths.length);
      progress.start();
      const bytes = new Uint8Array(await file.arrayBuffer());
      progress.done(false, bytes.byteLength);
      return bytes;
    },
  };
}
