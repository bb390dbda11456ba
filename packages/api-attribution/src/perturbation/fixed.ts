import type { Perturbation } from "./types.ts";

/** Replaces a chunk of units by `replacement` once (the empty string removes them). */
export function fixedPerturbation(replacement: string): Perturbation {
  return replacement === ""
    ? { id: "removal", description: "removal", parameters: {}, replace: async () => "" }
    : {
        id: "fixed",
        description: `fixed (${JSON.stringify(replacement)})`,
        parameters: { replacement },
        replace: async () => replacement,
      };
}
