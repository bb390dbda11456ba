/** Progress of a long run: `completed` of `total` units of `phase`. */
export interface ProgressEvent {
  phase: string;
  completed: number;
  total: number;
  message?: string;
}

/** Receives {@link ProgressEvent}s; must not throw. */
export type ProgressCallback = (event: ProgressEvent) => void;

/** Options of every cancellable operation. */
export interface AbortOptions {
  signal?: AbortSignal;
}
