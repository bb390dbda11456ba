import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (`/work/main`), found from this file so tests run from any working directory. */
const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

/** The shared stories260K model folder, which sits beside the repository (never copied into it). */
export const stories260kDir = join(repoRoot, "../shared/models/stories260K");

/** The shared datasets folder beside the repository. */
export const sharedDataDir = join(repoRoot, "../shared/data");

/** The README's prompt "Once upon a time" encoded with BOS. */
export const onceUponATimeIds = [1, 403, 407, 261, 378];

/** The shared aren-transliteration model folder (CTranslate2 encoder-decoder, Arabic names to Latin). */
export const arenTransliterationDir = join(repoRoot, "../shared/models/aren-transliteration");
