// After `changeset version`: copy each package's version into its src/version.ts,
// so results record the version of the code that wrote them.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

for (const group of ["packages", "apps"]) {
  for (const name of readdirSync(group)) {
    const versionFile = join(group, name, "src", "version.ts");
    if (!existsSync(versionFile)) continue;
    const { version } = JSON.parse(readFileSync(join(group, name, "package.json"), "utf8"));
    const text = readFileSync(versionFile, "utf8").replace(/= "[^"]*";/, `= "${version}";`);
    writeFileSync(versionFile, text);
  }
}
