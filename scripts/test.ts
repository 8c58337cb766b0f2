// `npm test`: bun test over test/ with its usual console output, a JUnit report in
// test-results/junit.xml, and one closing line `N passed, N failed, N skipped` (bun prints its
// totals on several lines). Exits with bun's exit code, and non-zero when the report is missing.
//
// Usage: bun scripts/test.ts [bun test flags] [file filters]
import { mkdir, readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";

export const JUNIT_PATH = "test-results/junit.xml";

export interface TestCounts {
  passed: number;
  failed: number;
  skipped: number;
}

/** Totals from the root <testsuites> element of bun's JUnit report. */
export function countsFromJunit(xml: string): TestCounts {
  const root = /<testsuites\b([^>]*)>/.exec(xml);
  if (!root) throw new Error("no <testsuites> element in the JUnit report");
  const attr = (name: string) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(root[1] ?? "")?.[1] ?? 0);
  const tests = attr("tests");
  const failed = attr("failures") + attr("errors");
  const skipped = attr("skipped");
  return { passed: tests - failed - skipped, failed, skipped };
}

/**
 * Failures bun counts that the JUnit report leaves out: a test file that throws while loading and
 * unhandled errors between tests show only in bun's own ` N fail` / ` N error` lines.
 */
export function failuresFromConsole(output: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes are stripped before matching
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  const count = (word: string) => Number(new RegExp(`^\\s*(\\d+) ${word}$`, "m").exec(plain)?.[1] ?? 0);
  // A file that fails to load counts as one "fail" and one "error": take the larger, not the sum.
  return Math.max(count("fail"), count("error"));
}

export function summaryLine(c: TestCounts): string {
  return `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;
}

/**
 * The per-test timeout unless one is given: end-to-end tests start servers and drive kubectl, and
 * bun's own default (5 s) fails them on a loaded machine. bunfig.toml cannot set it: only the
 * --timeout flag (or setDefaultTimeout in a file) does.
 */
export const DEFAULT_TEST_TIMEOUT_MS = 60_000;

/** Extra arguments go to bun test; without a file filter, test/ is the filter. */
export function bunTestArgs(extra: string[], junitPath: string): string[] {
  const hasFilter = extra.some((a) => !a.startsWith("-"));
  const hasTimeout = extra.some((a) => a === "--timeout" || a.startsWith("--timeout="));
  return [
    "test",
    `--reporter=junit`,
    `--reporter-outfile=${junitPath}`,
    ...(hasTimeout ? [] : [`--timeout=${DEFAULT_TEST_TIMEOUT_MS}`]),
    ...extra,
    ...(hasFilter ? [] : ["./test"]),
  ];
}

async function main(): Promise<number> {
  const root = join(import.meta.dir, "..");
  const junitPath = join(root, JUNIT_PATH);
  // A stale report must not pass for this run's result.
  await rm(junitPath, { force: true });
  await mkdir(dirname(junitPath), { recursive: true });

  const child = Bun.spawn([process.execPath, ...bunTestArgs(process.argv.slice(2), junitPath)], {
    cwd: root,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "pipe",
    // bun colours only a terminal; we pipe its stderr to read the totals, so ask for colour when ours is one.
    env: process.stderr.isTTY ? { ...process.env, FORCE_COLOR: "1" } : process.env,
  });
  // Pass bun's stderr (progress and totals) through while keeping a copy to read the counts.
  let consoleOutput = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stderr) {
    process.stderr.write(chunk);
    consoleOutput += decoder.decode(chunk, { stream: true });
  }
  const exitCode = await child.exited;

  let xml: string;
  try {
    xml = await readFile(junitPath, "utf8");
  } catch {
    console.log(`no JUnit report at ${JUNIT_PATH}: bun test exited with ${exitCode}`);
    return exitCode || 1;
  }
  const counts = countsFromJunit(xml);
  counts.failed = Math.max(counts.failed, failuresFromConsole(consoleOutput));
  console.log(summaryLine(counts));
  // bun exits 1 on any failure; a failure only we saw must fail the run too.
  return exitCode !== 0 ? exitCode : counts.failed > 0 ? 1 : 0;
}

if (import.meta.main) process.exit(await main());
