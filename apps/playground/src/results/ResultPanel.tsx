import { useEffect, useRef, useState } from "preact/hooks";
import { type AttributionResult, mountAttributionView, parseResult, renderHeatmap } from "tokenscope";
import type { RunInfo } from "../worker/protocol.ts";
import { download, fileName, htmlBlob, pngBlob, resultJsonBlob, svgBlob } from "./exports.ts";

/** Props of {@link ResultPanel}. */
export interface ResultPanelProps {
  result: AttributionResult | undefined;
  runInfo: RunInfo | undefined;
  onLoaded(result: AttributionResult): void;
  onError(message: string): void;
}

/** How the run ran: runtime, device, threads, isolation, time. */
function RunInfoLine({ info }: { info: RunInfo }) {
  const threads =
    info.threads !== undefined ? `, ${info.threads} thread${info.threads === 1 ? "" : "s"}` : "";
  return (
    <p class="run-info" data-device={info.device}>
      Ran on {info.runtime} ({info.device}
      {threads}
      {info.crossOriginIsolated ? ", cross-origin isolated" : ""}) in {(info.elapsedMs / 1000).toFixed(2)} s
      {info.notes.length > 0 ? ` — ${info.notes.join("; ")}` : ""}
    </p>
  );
}

/** The interactive view of a result, the optional text heatmap, exports and "Load result". */
export function ResultPanel({ result, runInfo, onLoaded, onError }: ResultPanelProps) {
  const container = useRef<HTMLDivElement>(null);
  const [heatmap, setHeatmap] = useState(false);
  useEffect(() => {
    if (!result || !container.current) return;
    const view = mountAttributionView(container.current, result);
    return () => view.destroy();
  }, [result]);
  const load = async (file: File | undefined) => {
    if (!file) return;
    try {
      onLoaded(parseResult(new Uint8Array(await file.arrayBuffer())));
    } catch (error) {
      onError((error as Error).message);
    }
  };
  return (
    <section class="panel results" aria-label="Result">
      <div class="row">
        <button
          type="button"
          disabled={!result}
          onClick={() => result && download(resultJsonBlob(result), fileName(result, "json"))}
        >
          Download JSON
        </button>
        <button
          type="button"
          disabled={!result}
          onClick={() => result && download(svgBlob(result), fileName(result, "svg"))}
        >
          Download SVG
        </button>
        <button
          type="button"
          disabled={!result}
          onClick={() =>
            result &&
            pngBlob(result).then(
              (blob) => download(blob, fileName(result, "png")),
              (error: Error) => onError(error.message),
            )
          }
        >
          Download PNG
        </button>
        <button
          type="button"
          disabled={!result}
          onClick={() => result && download(htmlBlob(result), fileName(result, "html"))}
        >
          Download HTML
        </button>
        <label for="load-result">Load result</label>
        <input
          id="load-result"
          type="file"
          accept=".json,application/json"
          onChange={(event) => load(event.currentTarget.files?.[0])}
        />
        <label>
          <input
            type="checkbox"
            checked={heatmap}
            onChange={(event) => setHeatmap(event.currentTarget.checked)}
          />
          Text heatmap
        </label>
      </div>
      {runInfo && <RunInfoLine info={runInfo} />}
      <div ref={container} class="view" />
      {result && heatmap && <pre class="heatmap">{renderHeatmap(result, { color: 0, columns: 120 })}</pre>}
    </section>
  );
}
