import {
  type BrowserLoadOptions,
  fileListSource,
  hubSource,
  type LanguageModel,
  loadModelFromSource,
  type ModelFileSource,
  urlSource,
} from "tokenscope";
import type { ModelSourceSpec } from "./source-spec.ts";

/** The file source a model choice names: the demo's files on this site, picked files, or a hub id. */
export function sourceOf(spec: ModelSourceSpec): ModelFileSource {
  switch (spec.kind) {
    case "demo":
      return urlSource(spec.baseUrl, spec.files);
    case "files":
      return fileListSource(spec.files, spec.id);
    case "hub":
      return hubSource(spec.repo, {
        ...(spec.hubUrl ? { hubUrl: spec.hubUrl } : {}),
        ...(spec.revision ? { revision: spec.revision } : {}),
      });
  }
}

/** Loads the model `spec` names with @tokenscope/models' browser loader. */
export function loadFromSpec(spec: ModelSourceSpec, options: BrowserLoadOptions): Promise<LanguageModel> {
  return loadModelFromSource(sourceOf(spec), options);
}
