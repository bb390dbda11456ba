// Adds up the vitest JSON reports of every package and prints one closing line
// ("Tests: N passed, N failed, N skipped") for CI logs. Exits 1 when any test
// failed or when no test ran at all.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

let passed = 0;
let failed = 0;
let skipped = 0;
for (const group of ["packages", "apps"]) {
  if (!existsSync(group)) continue;
  for (const name of readdirSync(group)) {
    const report = join(group, name, ".test-results", "vitest.json");
    if (!existsSync(report)) continue;
    const results = JSON.parse(readFileSync(report, "utf8"));
    passed += results.numPassedTests;
    failed += results.numFailedTests;
    skipped += results.numPendingTests + (results.numTodoTests ?? 0);
    console.log(
      `${`${group}/${name}`.padEnd(32)} ${results.numPassedTests} passed, ${results.numFailedTests} failed`,
    );
  }
}
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
