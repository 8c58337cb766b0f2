// `npm run build`: one self-contained executable, dist/kcp, that needs no node_modules.
// Same as `bun build --compile --minify --bytecode --format=esm --no-compile-autoload-dotenv
// --no-compile-autoload-bunfig src/main.ts --outfile dist/kcp`, through the API so plugins can join.
//
// The binary carries its commit, tree state and build date (`kcp version`, `/version`): see buildStamp.
//
// Usage: bun scripts/build.ts [--outfile <path>] [--target <bun-target>]
import { stat } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type BuildInfo, readCheckout } from "../src/version.ts";
import { etcd3CompilePlugin } from "./etcd3-compile-plugin.ts";

const root = join(import.meta.dir, "..");

/**
 * Bundler plugins. etcd3 reads proto/rpc.proto from node_modules when it is imported, which a
 * compiled binary does not have: the plugin embeds the proto as JSON instead (platform-notes,
 * "etcd3 under Bun").
 */
const plugins: Bun.BunPlugin[] = [etcd3CompilePlugin];

/**
 * What a build stamps into the binary: the checkout's HEAD and tree state (git), and the build
 * time, or SOURCE_DATE_EPOCH when set so that a rebuild of one commit can carry the same date.
 * Built outside a git checkout, the commit is "unknown".
 */
export function buildStamp(): BuildInfo {
  const checkout = readCheckout(root);
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  const date = Number.isInteger(epoch) && epoch > 0 ? new Date(epoch * 1000) : new Date();
  return { ...checkout, buildDate: date.toISOString().replace(/\.\d+Z$/, "Z") };
}

/** The file Bun writes: it appends ".exe" for Windows targets when the name lacks it. */
export function compiledPath(outfile: string, target?: string): string {
  return target?.startsWith("bun-windows") && !outfile.endsWith(".exe") ? `${outfile}.exe` : outfile;
}

/** Compile kcp to `outfile` (for `target`, this machine by default); returns the file's size. */
export async function buildBinary(
  outfile: string,
  target?: Bun.Build.CompileTarget,
  stamp: BuildInfo = buildStamp(),
): Promise<number> {
  const result = await Bun.build({
    // The workers are entry points of their own: Bun bundles a Worker's module only when told (they
    // land under /$bunfs/root/ by their path below src/, where offload.ts and checkpointer.ts look).
    entrypoints: [
      join(root, "src/main.ts"),
      join(root, "src/apis/offload/offload-worker.ts"),
      join(root, "src/storage/sqlite/checkpoint-worker.ts"),
    ],
    compile: {
      outfile,
      ...(target ? { target } : {}),
      // Otherwise the binary would read .env and bunfig.toml from whatever directory it starts in.
      autoloadDotenv: false,
      autoloadBunfig: false,
    },
    minify: true,
    bytecode: true,
    format: "esm",
    target: "bun",
    // src/version.ts reads the stamp through this name.
    define: { KCP_BUILD_STAMP: JSON.stringify(stamp) },
    plugins,
  });
  if (!result.success) throw new AggregateError(result.logs, "Bundle failed");
  return (await stat(compiledPath(outfile, target))).size;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { outfile: { type: "string", default: "dist/kcp" }, target: { type: "string" } },
  });
  const outfile = resolve(values.outfile ?? "dist/kcp");
  const started = performance.now();
  const stamp = buildStamp();
  const size = await buildBinary(outfile, values.target as Bun.Build.CompileTarget | undefined, stamp);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const written = compiledPath(outfile, values.target);
  const commit = `${stamp.gitCommit.slice(0, 12)}${stamp.gitTreeState === "dirty" ? "-dirty" : ""}`;
  console.log(
    `built ${relative(process.cwd(), written) || written} (commit ${commit}): ${(size / 1024 / 1024).toFixed(1)} MiB in ${seconds}s`,
  );
}

if (import.meta.main) {
  try {
    await main();
  } catch (err) {
    // Bun.build throws an AggregateError whose message is only "Bundle failed": show the causes.
    const details = err instanceof AggregateError ? err.errors.map(String) : [];
    console.error([err instanceof Error ? err.message : String(err), ...details].join("\n"));
    process.exit(1);
  }
}
