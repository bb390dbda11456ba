// Adds up the vitest JSON reports of every package and prints one closing line
// ("Tests: N passed, N failed, N skipped") for CI logs. Exits 1 when any test
// failed or when no test ran at all.
//
// A package's `test` task writes .test-results/vitest.json (tooling/vitest.shared.ts); its
// `test:slow` task, which `pnpm test` runs after the others one at a time, writes
// .test-results/vitest-slow.json. Both are counted.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const reports = [
  ["vitest.json", ""],
  ["vitest-slow.json", " (slow)"],
];

let passed = 0;
let failed = 0;
let skipped = 0;
for (const group of ["packages", "apps", "tooling"]) {
  if (!existsSync(group)) continue;
  for (const name of readdirSync(group)) {
    for (const [file, label] of reports) {
      const report = join(group, name, ".test-results", file);
      if (!existsSync(report)) continue;
      const results = JSON.parse(readFileSync(report, "utf8"));
      passed += results.numPassedTests;
      failed += results.numFailedTests;
      skipped += results.numPendingTests + (results.numTodoTests ?? 0);
      console.log(
        `${`${group}/${name}${label}`.padEnd(32)} ${results.numPassedTests} passed, ${results.numFailedTests} failed`,
      );
    }
  }
}
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
