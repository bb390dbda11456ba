/**
 * Prints the gzipped sizes of the built site (run after `vite build`): the page's initial JS, the
 * worker, the onnxruntime-web glue and wasm, and every other chunk, as `pnpm size` shows them.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const assets = new URL("../dist/assets/", import.meta.url);
const html = await readFile(new URL("../dist/index.html", import.meta.url), "utf8");
const initial = new Set([...html.matchAll(/assets\/([^"]+\.js)/g)].map((match) => match[1]));

function role(name) {
  if (initial.has(name)) return "initial JS (page)";
  if (name.endsWith(".wasm")) return "onnxruntime-web wasm";
  if (name.startsWith("ort")) return "onnxruntime-web JS";
  if (name.startsWith("worker")) return "model worker";
  return name.endsWith(".css") ? "style" : "lazy chunk";
}

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
const rows = [];
for (const name of (await readdir(assets)).sort()) {
  const bytes = await readFile(join(assets.pathname, name));
  rows.push([role(name), name, kib(bytes.length), kib(gzipSync(bytes, { level: 9 }).length)]);
}
const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => row[column].length), 10));
const line = (row) =>
  row
    .map((cell, column) => (column < 2 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
    .join("  ");
process.stdout.write(`${line(["what", "file", "raw", "gzip"])}\n${rows.map(line).join("\n")}\n`);
