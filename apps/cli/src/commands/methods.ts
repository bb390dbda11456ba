import type { Command } from "@commander-js/extra-typings";
import Table from "cli-table3";
import { type Explanation, explain, listAggregators, listMethods, listStepFunctions } from "tokenscope";
import { type CliIO, printJson } from "../io.ts";
import { jsonOption } from "../options.ts";

/** One row of `methods list`. */
interface ListedEntry {
  kind: Explanation["kind"];
  id: string;
  group: string;
  summary: string;
}

function listEntries(): ListedEntry[] {
  return [
    ...listMethods().map((method) => ({
      kind: "method" as const,
      id: method.id,
      group: method.family,
      summary: method.summary,
    })),
    ...listStepFunctions().map((stepFunction) => ({
      kind: "stepFunction" as const,
      id: stepFunction.id,
      group: stepFunction.differentiable ? stepFunction.unit : `${stepFunction.unit}, value only`,
      summary: stepFunction.summary,
    })),
    ...listAggregators().map((aggregator) => ({
      kind: "aggregator" as const,
      id: aggregator.id,
      group: aggregator.kind,
      summary: aggregator.summary,
    })),
  ];
}

const headings: Record<Explanation["kind"], string> = {
  method: "Attribution methods",
  stepFunction: "Step functions (step scores and attributed functions)",
  aggregator: "Aggregators",
};

function printList(io: CliIO, entries: ListedEntry[]): void {
  for (const kind of Object.keys(headings) as Explanation["kind"][]) {
    const ofKind = entries.filter((entry) => entry.kind === kind);
    io.stdout(`${io.color.bold(headings[kind])}\n`);
    if (ofKind.length === 0) {
      io.stdout(`  ${io.color.dim("none registered")}\n\n`);
      continue;
    }
    const idWidth = Math.max(...ofKind.map((entry) => entry.id.length));
    const groupWidth = Math.max(...ofKind.map((entry) => entry.group.length));
    for (const entry of ofKind) {
      const prefix = `  ${entry.id.padEnd(idWidth)}  ${entry.group.padEnd(groupWidth)}  `;
      const room = Math.max(20, io.columns - prefix.length);
      const summary = entry.summary.length > room ? `${entry.summary.slice(0, room - 1)}…` : entry.summary;
      io.stdout(
        `  ${io.color.cyan(entry.id.padEnd(idWidth))}  ${io.color.dim(entry.group.padEnd(groupWidth))}  ${summary}\n`,
      );
    }
    io.stdout("\n");
  }
  io.stdout(io.color.dim("Run `tokenscope methods explain <id>` for the documentation of any id.\n"));
}

/** Parameters of a JSON Schema object as rows: name, type, default, description. */
function parameterRows(explanation: Explanation): string[][] {
  const properties = (explanation.parameters?.["properties"] ?? {}) as Record<
    string,
    Record<string, unknown>
  >;
  return Object.entries(properties).map(([name, schema]) => [
    name,
    String(schema["type"] ?? (schema["enum"] ? (schema["enum"] as unknown[]).join(" | ") : "any")),
    explanation.defaults && name in explanation.defaults ? JSON.stringify(explanation.defaults[name]) : "—",
    String(schema["description"] ?? ""),
  ]);
}

function printExplanation(io: CliIO, explanation: Explanation): void {
  const kindName = { method: "method", stepFunction: "step function", aggregator: "aggregator" }[
    explanation.kind
  ];
  io.stdout(`${io.color.bold.cyan(explanation.id)} ${io.color.dim(`(${kindName})`)}\n`);
  io.stdout(`${explanation.summary}\n\n${explanation.description}\n\n`);
  for (const [fact, value] of Object.entries(explanation.facts)) {
    const shown = typeof value === "string" ? value : JSON.stringify(value);
    io.stdout(`${io.color.dim(`${fact}:`)} ${shown}\n`);
  }
  const rows = parameterRows(explanation);
  io.stdout(`\n${io.color.bold("Parameters")}\n`);
  if (rows.length === 0) {
    io.stdout(`  ${io.color.dim("none")}\n`);
    return;
  }
  const table = new Table({
    head: ["name", "type", "default", "description"],
    style: { head: [], border: [] },
    wordWrap: true,
    colWidths: [null, null, null, Math.max(30, io.columns - 50)],
  });
  table.push(...rows);
  io.stdout(`${table.toString()}\n`);
}

/** `tokenscope methods list` and `tokenscope methods explain <id>`. */
export function register(program: Command, io: CliIO): void {
  const methods = program
    .command("methods")
    .description("list the registered methods, step functions and aggregators, and explain any of them");

  methods
    .command("list")
    .description("list every registered attribution method, step function and aggregator")
    .addOption(jsonOption())
    .action((options) => {
      const entries = listEntries();
      if (options.json) printJson(io, entries);
      else printList(io, entries);
    });

  methods
    .command("explain")
    .description("show the documentation and parameters of a method, step function or aggregator")
    .argument("<id>", "a registered id, e.g. integrated_gradients, probability, l2")
    .addOption(jsonOption())
    .action((id, options) => {
      const explanation = explain(id);
      if (options.json) printJson(io, explanation);
      else printExplanation(io, explanation);
    });
}
