import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bunTestArgs, countsFromJunit, failuresFromConsole, summaryLine } from "../../scripts/test.ts";

const RUNNER = join(import.meta.dir, "../../scripts/test.ts");
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A throw-away project: scripts/test.ts plus the given test files under test/. */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "kcp-runner-"));
  dirs.push(dir);
  mkdirSync(join(dir, "scripts"));
  copyFileSync(RUNNER, join(dir, "scripts/test.ts"));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, "test"), { recursive: true });
    writeFileSync(join(dir, "test", name), body);
  }
  return dir;
}

async function runTests(dir: string, ...args: string[]) {
  const proc = Bun.spawn([process.execPath, join(dir, "scripts/test.ts"), ...args], {
    cwd: dir,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code: await proc.exited, stdout, stderr, lastLine: stdout.trimEnd().split("\n").at(-1) };
}

const PASSING = `import { test, expect } from "bun:test";
test("one", () => expect(1).toBe(1));
test("two", () => expect(2).toBe(2));
test.skip("later", () => {});
`;
const FAILING = `import { test, expect } from "bun:test";
test("good", () => expect(1).toBe(1));
test("bad", () => expect(1).toBe(2));
`;

describe("scripts/test.ts", () => {
  test("all passing: bun's console output, the JUnit file, one summary line, exit 0", async () => {
    const dir = project({ "a.test.ts": PASSING });
    const r = await runTests(dir);
    expect(r.code).toBe(0);
    expect(r.lastLine).toBe("2 passed, 0 failed, 1 skipped");
    expect(r.stderr).toContain("(pass) one");
    expect(readFileSync(join(dir, "test-results/junit.xml"), "utf8")).toContain("<testsuites");
  });

  test("a failing test makes the run exit 1", async () => {
    const r = await runTests(project({ "a.test.ts": PASSING, "b.test.ts": FAILING }));
    expect(r.code).toBe(1);
    expect(r.lastLine).toBe("3 passed, 1 failed, 1 skipped");
  });

  test("a test file that throws while loading counts as failed", async () => {
    const r = await runTests(project({ "a.test.ts": PASSING, "c.test.ts": 'throw new Error("broken file");\n' }));
    expect(r.code).toBe(1);
    expect(r.lastLine).toBe("2 passed, 1 failed, 1 skipped");
  });

  test("extra arguments are passed through as filters", async () => {
    const r = await runTests(project({ "a.test.ts": PASSING, "b.test.ts": FAILING }), "test/a.test.ts");
    expect(r.code).toBe(0);
    expect(r.lastLine).toBe("2 passed, 0 failed, 1 skipped");
  });

  test("no report (no tests matched) is a failure", async () => {
    const dir = project({ "a.test.ts": PASSING });
    const r = await runTests(dir, "test/nothing-matches");
    expect(r.code).not.toBe(0);
    expect(r.lastLine).toContain("no JUnit report");
    expect(existsSync(join(dir, "test-results/junit.xml"))).toBe(false);
  });
});

describe("runner helpers", () => {
  test("countsFromJunit reads the root element", () => {
    const xml = `<?xml version="1.0"?>\n<testsuites name="bun test" tests="7" assertions="9" failures="2" skipped="1" time="0.1">\n<testsuite tests="99" failures="50"></testsuite></testsuites>`;
    expect(countsFromJunit(xml)).toEqual({ passed: 4, failed: 2, skipped: 1 });
    expect(() => countsFromJunit("<nothing/>")).toThrow();
  });

  test("failuresFromConsole reads bun's totals, colours or not", () => {
    expect(failuresFromConsole("\n 3 pass\n 1 fail\n")).toBe(1);
    expect(failuresFromConsole("\x1b[32m 3 pass\x1b[0m\n\x1b[31m 2 fail\x1b[0m\n 1 error\n")).toBe(2);
    expect(failuresFromConsole(" 0 fail\n 1 error\n")).toBe(1);
    expect(failuresFromConsole(" 5 pass\n")).toBe(0);
  });

  test("bunTestArgs defaults the filter to test/ and the timeout to a minute", () => {
    const T = "--timeout=60000";
    expect(bunTestArgs([], "out.xml")).toEqual(["test", "--reporter=junit", "--reporter-outfile=out.xml", T, "./test"]);
    expect(bunTestArgs(["--bail"], "o")).toEqual([
      "test",
      "--reporter=junit",
      "--reporter-outfile=o",
      T,
      "--bail",
      "./test",
    ]);
    expect(bunTestArgs(["pki"], "o")).toEqual(["test", "--reporter=junit", "--reporter-outfile=o", T, "pki"]);
    // A timeout given is kept, in either spelling, and none is added beside it.
    expect(bunTestArgs(["--timeout", "5000", "pki"], "o")).toEqual([
      "test",
      "--reporter=junit",
      "--reporter-outfile=o",
      "--timeout",
      "5000",
      "pki",
    ]);
    expect(bunTestArgs(["--timeout=9"], "o")).toEqual([
      "test",
      "--reporter=junit",
      "--reporter-outfile=o",
      "--timeout=9",
      "./test",
    ]);
  });

  test("summaryLine", () => {
    expect(summaryLine({ passed: 10, failed: 0, skipped: 2 })).toBe("10 passed, 0 failed, 2 skipped");
  });
});
