// `kcp` with a heap-snapshot hook, for diagnosis only (bench --heap-snapshot <dir>): on SIGUSR2
// it collects garbage, writes a V8-format heap snapshot (Chrome DevTools → Memory → Load) to
// $KCP_BENCH_HEAP_DIR and logs "heap snapshot written: <path>". Otherwise it is src/main.ts.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../../src/main.ts";

const dir = process.env.KCP_BENCH_HEAP_DIR ?? ".";
const label = process.env.KCP_BENCH_HEAP_LABEL ?? "kcp";
let n = 0;
process.on("SIGUSR2", () => {
  Bun.gc(true);
  const path = join(dir, `${label}-${++n}.heapsnapshot`);
  writeFileSync(path, Bun.generateHeapSnapshot("v8"));
  console.error(`heap snapshot written: ${path}`);
});

process.exit(await runCli(process.argv.slice(2)));
