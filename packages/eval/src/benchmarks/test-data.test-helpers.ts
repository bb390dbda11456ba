import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** ../shared/data beside the repository (see its README); absent on machines without it. */
export const dataDir = fileURLToPath(new URL("../../../../../shared/data/", import.meta.url));

/** Whether the shared data folder is here. */
export const hasData = existsSync(dataDir);

/** The text of a file under the shared data folder. */
export function readData(path: string): string {
  return readFileSync(new URL(path, `file://${dataDir}`), "utf8");
}
