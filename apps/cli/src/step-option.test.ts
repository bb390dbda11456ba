import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { memoryIO } from "./io.ts";
import { run } from "./main.ts";

// `--step` and the position range are checked before the model loads (a model that does not exist
// shows it: the step is refused first), and against forced targets right after tokenizing them.
const stories = fileURLToPath(new URL("../../../../shared/models/stories260K", import.meta.url));
const nowhere = "/nonexistent/tokenscope-model";

async function cli(args: string[]) {
  const io = memoryIO();
  const code = await run(args, io);
  return { code, out: io.out(), err: io.err() };
}

describe("--step before loading", () => {
  it("refuses --step 99 with 3 new tokens before loading (was: after the whole attribution)", async () => {
    const { code, err } = await cli([
      "attribute",
      "--model",
      nowhere,
      "Once upon a time",
      "--max-new-tokens",
      "3",
      "--step",
      "99",
    ]);
    expect(code).toBe(3);
    expect(err).toContain(
      "--step 99 is past the last generated token: at most 3 are generated, steps 0 to 2",
    );
    expect(err).not.toContain("MODEL_LOAD_FAILED");
  });

  it("refuses a --step outside --start-pos/--end-pos, and an empty range, before loading", async () => {
    const base = ["attribute", "--model", nowhere, "Once"];
    const past = await cli([...base, "--end-pos", "2", "--step", "2"]);
    expect(past.code).toBe(3);
    expect(past.err).toContain("--step 2 is not attributed: --end-pos 2 stops before it");
    const before = await cli([...base, "--start-pos", "2", "--step", "1"]);
    expect(before.err).toContain("--step 1 is not attributed: --start-pos 2 starts after it");
    const empty = await cli([...base, "--start-pos", "3", "--end-pos", "3"]);
    expect(empty.code).toBe(3);
    expect(empty.err).toContain("--start-pos 3 is not below --end-pos 3");
  });

  it("counts --generation-args maxNewTokens, which wins over --max-new-tokens", async () => {
    const { code, err } = await cli([
      "attribute",
      "--model",
      nowhere,
      "Once",
      "--generation-args",
      '{"maxNewTokens": 2}',
      "--step",
      "2",
    ]);
    expect(code).toBe(3);
    expect(err).toContain("at most 2 are generated");
  });
});

describe("--start-pos and --end-pos before loading, like --step", () => {
  const base = ["attribute", "--model", nowhere, "Once", "--max-new-tokens", "3"];

  it("refuses --end-pos past the last generated token (was: silently cut to it)", async () => {
    const { code, err } = await cli([...base, "--end-pos", "100"]);
    expect(code).toBe(3);
    expect(err).toContain(
      "--end-pos 100 is past the end of generation: at most 3 tokens are generated, so --end-pos is at most 3",
    );
    expect(err).not.toContain("MODEL_LOAD_FAILED");
  });

  it("refuses --start-pos at or past the last generated token", async () => {
    const { code, err } = await cli([...base, "--start-pos", "3"]);
    expect(code).toBe(3);
    expect(err).toContain("--start-pos 3 is past the last generated token: at most 3 are generated");
  });

  it("lets the largest valid range through to the model (here: a missing one)", async () => {
    const { code, err } = await cli([...base, "--start-pos", "2", "--end-pos", "3"]);
    expect(code).toBe(4);
    expect(err).not.toContain("--end-pos");
  });
});

describe("--start-pos and --end-pos against forced targets", () => {
  it("refuses --end-pos past a forced target, naming the prompt", async () => {
    const { code, err } = await cli([
      "attribute",
      "--model",
      stories,
      "Once upon a time",
      "--target",
      " there was",
      "--end-pos",
      "50",
    ]);
    expect(code).toBe(3);
    expect(err).toMatch(/--end-pos 50 is past the end of a target: the target of prompt 1 has \d tokens/);
  });

  it("refuses --start-pos past a forced target", async () => {
    const { code, err } = await cli([
      "attribute",
      "--model",
      stories,
      "Once upon a time",
      "--target",
      " there was",
      "--start-pos",
      "40",
    ]);
    expect(code).toBe(3);
    expect(err).toMatch(/--start-pos 40 is past the end of a target/);
  });
});

describe("--step against forced targets", () => {
  it("refuses a --step past a forced target right after tokenizing it, naming the prompt", async () => {
    const { code, err } = await cli([
      "attribute",
      "--model",
      stories,
      "Once upon a time",
      "Lily",
      "--target",
      " there was a girl",
      "--target",
      " went",
      "--step",
      "2",
    ]);
    expect(code).toBe(3);
    expect(err).toMatch(/--step 2 is past the end of a target: the target of prompt 2 has \d tokens/);
  });

  it("accepts the last step of a target and colours by it", async () => {
    const { code, out, err } = await cli([
      "attribute",
      "--model",
      stories,
      "Once upon a time",
      "--target",
      " there was",
      "--step",
      "1",
    ]);
    expect(code, err).toBe(0);
    expect(out).toContain("there");
  });
});
