// The seed's two demos, end to end: scripts/demo.sh runs each against a real kcp with two kcp
// processes as physical clusters and real kubectl; its output, normalised (ages, ports, paths,
// timestamps, uids), must equal scripts/demo/<demo>.result step by step.

import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { comparable, normaliseDemoOutput, splitSteps } from "../../scripts/demo/normalise.ts";
import { tempDir } from "../helpers/kcp-process.ts";

const REPO = resolve(import.meta.dir, "../..");
const KUBECTL_DIR = "/usr/lib/google-cloud-sdk/bin";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  dir: string;
}

async function runDemo(demo: string): Promise<Run> {
  const dir = tempDir(`kcp-demo-${demo}-test-`);
  const proc = Bun.spawn(["bash", join(REPO, "scripts/demo.sh"), "--dir", dir, demo], {
    cwd: REPO,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, PATH: `${process.env.PATH}:${KUBECTL_DIR}` },
  });
  // The script has its own deadlines on every wait; this one only guards against a hang.
  const timer = setTimeout(() => proc.kill("SIGTERM"), 280_000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  return { code, stdout, stderr, dir };
}

interface StepDiff {
  step: string;
  expected: string;
  got: string;
}

/** The steps whose normalised output differs from the .result file (and steps missing on either side). */
function compareSteps(got: string, expected: string): StepDiff[] {
  const want = splitSteps(expected);
  const have = new Map(splitSteps(got).map((s) => [s.id, s]));
  const diffs: StepDiff[] = [];
  for (const w of want) {
    const h = have.get(w.id);
    have.delete(w.id);
    const render = (s: { title: string; lines: string[] }) => [s.title, ...s.lines].map(comparable).join("\n");
    if (!h) diffs.push({ step: w.id, expected: render(w), got: "(missing)" });
    else if (render(h) !== render(w)) diffs.push({ step: w.id, expected: render(w), got: render(h) });
  }
  for (const h of have.values()) diffs.push({ step: h.id, expected: "(not in the .result)", got: h.lines.join("\n") });
  return diffs;
}

/** Processes still running whose command line names the demo's directory (waits a little for exits). */
async function leftovers(dir: string): Promise<string[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const ps = Bun.spawnSync(["ps", "-eo", "args"]);
    const found = ps.stdout
      .toString()
      .split("\n")
      .filter((l) => l.includes(dir));
    if (found.length === 0 || Date.now() > deadline) return found;
    await Bun.sleep(200);
  }
}

describe("the seed's demos (scripts/demo.sh)", () => {
  for (const demo of ["kubecon", "api-negotiation"]) {
    test(demo, async () => {
      const run = await runDemo(demo);
      try {
        const got = normaliseDemoOutput(run.stdout, run.dir);
        const expected = readFileSync(join(REPO, `scripts/demo/${demo}.result`), "utf8");
        // Each differing step, by number, with what it printed and what it should have.
        expect({
          exit: run.code,
          stderr: run.code === 0 ? "" : run.stderr,
          steps: compareSteps(got, expected),
        }).toEqual({ exit: 0, stderr: "", steps: [] });
        expect(got).toContain(`--- end. The ${demo} demo ran to the end.`);
        // Every process the demo started was stopped.
        expect(await leftovers(run.dir)).toEqual([]);
      } finally {
        if (existsSync(run.dir)) rmSync(run.dir, { recursive: true, force: true });
      }
    }, 300_000);
  }
});
