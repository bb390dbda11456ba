import { type AttributionResult, serializeResult, toHtml, toSvg } from "tokenscope";

/** Offers `blob` as a download named `name` (an object URL on a temporary link). */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file name for the result: `tokenscope-<method>.<extension>`. */
export function fileName(result: AttributionResult, extension: string): string {
  const method = result.info.method.id.replace(/[^a-z0-9_-]/gi, "_");
  return `tokenscope-${method}.${extension}`;
}

/** The saved-result JSON (what `tokenscope view` and "Load result" read). */
export function resultJsonBlob(result: AttributionResult): Blob {
  return new Blob([serializeResult(result) as BlobPart], { type: "application/json" });
}

/** The heatmap as a standalone SVG. */
export function svgBlob(result: AttributionResult): Blob {
  return new Blob([toSvg(result)], { type: "image/svg+xml" });
}

/** The self-contained interactive HTML page viz writes (`toHtml`). */
export function htmlBlob(result: AttributionResult): Blob {
  return new Blob([toHtml(result)], { type: "text/html" });
}

/** The SVG drawn on a canvas at `scale` times its size, as PNG. */
export async function pngBlob(result: AttributionResult, scale = 2): Promise<Blob> {
  const url = URL.createObjectURL(svgBlob(result));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = Math.ceil(image.naturalWidth * scale);
    canvas.height = Math.ceil(image.naturalHeight * scale);
    const context = canvas.getContext("2d")!;
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    return await new Promise((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("PNG encoding failed"))), "image/png"),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}
