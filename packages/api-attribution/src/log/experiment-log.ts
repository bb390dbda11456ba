/** One perturbation of an experiment: what was changed, what the model said, what each strategy scored. */
export interface ExperimentRecord {
  /** Stage of hierarchical perturbation (0 for one unit at a time). */
  depth: number;
  /** Indices of the units changed. */
  units: number[];
  /** Their text. */
  removed: string;
  perturbedPrompt: string;
  /** The perturbed prompt's output; null when no strategy needed one (logprob alone). */
  perturbedOutput: string | null;
  /** Per strategy, the mean over output positions. */
  scores: Record<string, number | null>;
}

/** One attribution run, as the seed library's ExperimentLogger records it. */
export interface Experiment {
  /** 1, 2, ... in the order of the log. */
  id: number;
  prompt: string;
  output: string;
  unit: string;
  perturbation: string;
  method: string;
  strategies: string[];
  /** Requests sent to the server for this experiment (cache hits not counted). */
  requests: number;
  durationMs: number;
  /** The prompt's units and the output's tokens, as the matrices' columns and rows. */
  units: string[];
  targets: string[];
  /** Per strategy: each unit's score. */
  unitScores: Record<string, (number | null)[]>;
  /** Per strategy: [output position x unit]. */
  matrices: Record<string, (number | null)[][]>;
  perturbations: ExperimentRecord[];
}

/** A log of experiments (plain data in `experiments`; `add` numbers and appends one). */
export interface ExperimentLog {
  readonly experiments: Experiment[];
  add(experiment: Omit<Experiment, "id">): Experiment;
}

/** A new, empty experiment log. */
export function newExperimentLog(experiments: Experiment[] = []): ExperimentLog {
  return {
    experiments,
    add(experiment) {
      const added = { id: experiments.length + 1, ...experiment };
      experiments.push(added);
      return added;
    },
  };
}
