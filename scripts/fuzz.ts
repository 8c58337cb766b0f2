// `npm run fuzz [-- --seed N] [--cases N] [--workers N] [--case I]… [--rss-growth MiB] [--keep]`
//
// Starts kcp (bun src/main.ts start on a temporary root directory and a free loopback port) and
// sends it generated, mutated requests (test/fuzz/): every answer must be 2xx or 4xx with a
// Status body, the server must stay up, give its memory back and write nothing outside the
// logical cluster each case named. A failing case prints the exact request and the command that
// replays it; `--case` runs only the cases named. Exit code 0: no failure; 1: failures; 2: bad flags.

import { parseArgs } from "node:util";
import { join } from "node:path";
import { startKcp } from "../test/helpers/kcp-process.ts";
import { describeFailure, runFuzz, summary } from "../test/fuzz/fuzz-run.ts";
import { parseSeed } from "../test/fuzz/random.ts";

const HELP = `Usage: npm run fuzz -- [--seed N] [--cases N] [--workers N] [--case I]... [--rss-growth MiB] [--keep]

  --seed N          seed of the run (default: a random one, printed)
  --cases N         cases to send (default 5000)
  --workers N       concurrent workers, each in its own logical cluster (default 4)
  --case I          send only case I (repeatable): replays a failure with the same seed and workers
  --rss-growth MiB  how far RSS may stay above its start after the run (default 256)
  --keep            leave the server's root directory in place
`;

async function main(): Promise<number> {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        seed: { type: "string" },
        cases: { type: "string", default: "5000" },
        workers: { type: "string", default: "4" },
        case: { type: "string", multiple: true },
        "rss-growth": { type: "string", default: "256" },
        keep: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const num = (name: string) => {
    const n = Number(values[name]);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
    return n;
  };
  let seed: number;
  let cases: number;
  let workers: number;
  let only: number[] | undefined;
  try {
    seed = parseSeed(values.seed as string | undefined);
    cases = num("cases");
    workers = Math.max(1, num("workers"));
    only = (values.case as string[] | undefined)?.map((c) => {
      const n = Number(c);
      if (!Number.isSafeInteger(n) || n < 0) throw new Error("--case must be a non-negative integer");
      return n;
    });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${HELP}`);
    return 2;
  }
  console.log(
    `fuzz: seed ${seed}, ${only ? `cases ${only.join(", ")}` : `${cases} cases`}, ${workers} workers; starting kcp`,
  );
  const kcp = await startKcp();
  const ca = await Bun.file(join(kcp.rootDir, "data", "ca.crt")).text();
  let last = 0;
  try {
    const rep = await runFuzz(
      { url: kcp.url, port: kcp.port, ca, token: kcp.token },
      {
        seed,
        cases,
        only,
        workers,
        rssGrowthMiB: Number(values["rss-growth"]),
        maxFailures: 100,
        progress: (done, total) => {
          if (done - last >= 1000 || done === total) {
            last = done;
            process.stderr.write(`  ${done}/${total}\n`);
          }
        },
      },
    );
    for (const f of rep.failures) console.log(describeFailure(f, workers));
    for (const o of rep.outside) console.log(`written outside the workers' clusters: ${o}`);
    if (!rep.alive)
      console.log(`the server is not ready after the run; its output ends:\n${kcp.output().slice(-3000)}`);
    if (rep.rss.endMiB > rep.rss.boundMiB) console.log("RSS stayed above its bound after the run");
    // Errors the server logged: not failures by themselves (a controller may log a peer it cannot
    // reach), but where an answer hid a problem, the stack is here.
    const logged = kcp
      .output()
      .split("\n")
      .filter((l) => / (ERROR|FATAL) /.test(l));
    if (logged.length)
      console.log(`the server logged ${logged.length} errors, the first:\n${logged.slice(0, 5).join("\n")}`);
    console.log(summary(rep));
    const ok = rep.failures.length === 0 && rep.outside.length === 0 && rep.alive && rep.rss.endMiB <= rep.rss.boundMiB;
    if (!ok) console.log(`FAILED (seed ${seed}); server log: ${join(kcp.rootDir)}`);
    return ok ? 0 : 1;
  } finally {
    await kcp.stop();
    if (!values.keep) (await import("../test/helpers/kcp-process.ts")).removeDir(kcp.rootDir);
  }
}

process.exit(await main());
