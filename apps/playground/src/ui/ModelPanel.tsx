import { useState } from "preact/hooks";
import type { ModelSourceSpec } from "../model/source-spec.ts";
import { demoModelSource, hubModelSource } from "../model/source-spec.ts";
import type { DeviceChoice } from "../runtime/choose-device.ts";

/** What the "Model" select offers. */
export type ModelChoice = "demo" | "files" | "hub";

/** Bytes downloaded so far, for the progress bar. */
export interface DownloadState {
  file: string;
  loaded: number;
  total: number;
}

/** What the last load read: files fetched now, and files the browser's cache (or a local file) had. */
export interface LoadSummary {
  downloaded: number;
  downloadedBytes: number;
  cached: number;
}

/** The summary line of a load, or nothing when it read no file through a source. */
export function loadSummaryText(summary: LoadSummary | undefined): string | undefined {
  if (!summary || summary.downloaded + summary.cached === 0) return undefined;
  const parts: string[] = [];
  if (summary.downloaded > 0) {
    const megabytes = (summary.downloadedBytes / 1_048_576).toFixed(1);
    parts.push(
      `${summary.downloaded} file${summary.downloaded === 1 ? "" : "s"} downloaded (${megabytes} MB)`,
    );
  }
  if (summary.cached > 0) parts.push(`${summary.cached} from the browser's cache or disk`);
  return parts.join(", ");
}

/** Props of {@link ModelPanel}. */
export interface ModelPanelProps {
  busy: boolean;
  download: DownloadState | undefined;
  summary?: LoadSummary | undefined;
  modelId: string | undefined;
  onLoad(source: ModelSourceSpec, device: DeviceChoice): void;
}

/** The model picker: the demo, local files (or a folder), or a Hugging Face hub id; and the device. */
export function ModelPanel({ busy, download, summary, modelId, onLoad }: ModelPanelProps) {
  const [choice, setChoice] = useState<ModelChoice>("demo");
  const [device, setDevice] = useState<DeviceChoice>("auto");
  const [files, setFiles] = useState<File[]>([]);
  const [repo, setRepo] = useState("");
  const pick = (list: FileList | null) => setFiles(list ? [...list] : []);
  const source = (): ModelSourceSpec | undefined => {
    if (choice === "demo") return demoModelSource(location.href);
    if (choice === "files") return files.length > 0 ? { kind: "files", files } : undefined;
    return repo.trim() ? hubModelSource(repo.trim(), location.href) : undefined;
  };
  return (
    <fieldset class="panel">
      <legend>Model</legend>
      <div class="row">
        <label for="model">Model</label>
        <select
          id="model"
          value={choice}
          onChange={(event) => setChoice(event.currentTarget.value as ModelChoice)}
        >
          <option value="demo">stories260K (demo, 1 MB)</option>
          <option value="files">Local files…</option>
          <option value="hub">Hugging Face hub id…</option>
        </select>
        <label for="device">Device</label>
        <select
          id="device"
          value={device}
          onChange={(event) => setDevice(event.currentTarget.value as DeviceChoice)}
        >
          <option value="auto">auto</option>
          <option value="wasm">wasm</option>
          <option value="webgpu">webgpu</option>
        </select>
      </div>
      {choice === "files" && (
        <div class="row">
          <label for="model-files">Files</label>
          <input
            id="model-files"
            type="file"
            multiple
            onChange={(event) => pick(event.currentTarget.files)}
          />
          <label for="model-folder">Folder</label>
          <input
            id="model-folder"
            type="file"
            // @ts-expect-error webkitdirectory is a real attribute that Preact's types do not list
            webkitdirectory=""
            onChange={(event) => pick(event.currentTarget.files)}
          />
        </div>
      )}
      {choice === "hub" && (
        <div class="row">
          <label for="hub-id">Hub id</label>
          <input
            id="hub-id"
            type="text"
            placeholder="owner/name"
            value={repo}
            onInput={(event) => setRepo(event.currentTarget.value)}
          />
        </div>
      )}
      <div class="row">
        <button
          type="button"
          disabled={busy || source() === undefined}
          onClick={() => {
            const chosen = source();
            if (chosen) onLoad(chosen, device);
          }}
        >
          Load model
        </button>
        {download && (
          <progress aria-label="Download" max={download.total || 1} value={download.loaded}>
            {download.file}
          </progress>
        )}
        <span class="model-id" aria-live="polite">
          {modelId ? `Loaded: ${modelId}` : "No model loaded"}
        </span>
        {loadSummaryText(summary) && <span class="load-summary help">{loadSummaryText(summary)}</span>}
      </div>
    </fieldset>
  );
}
