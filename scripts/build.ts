// `npm run build`: one self-contained executable, dist/kcp, that needs no node_modules.
// Same as `bun build --compile --minify --bytecode --format=esm --no-compile-autoload-dotenv
// --no-compile-autoload-bunfig src/main.ts --outfile dist/kcp`, through the API so plugins can join.
//
// Usage: bun scripts/build.ts [--outfile <path>] [--target <bun-target>]
import { stat } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { etcd3CompilePlugin } from "./etcd3-compile-plugin.ts";

const root = join(import.meta.dir, "..");

/**
 * Bundler plugins. etcd3 reads proto/rpc.proto from node_modules when it is imported, which a
 * compiled binary does not have: the plugin embeds the proto as JSON instead (platform-notes,
 * "etcd3 under Bun").
 */
const plugins: Bun.BunPlugin[] = [etcd3CompilePlugin];

export async function buildBinary(outfile: string, target?: Bun.Build.CompileTarget): Promise<number> {
  const result = await Bun.build({
    // The offload worker is an entry point of its own: Bun bundles a Worker's module only when told
    // (it lands at /$bunfs/root/apis/offload/, where src/apis/offload/offload.ts looks for it).
    entrypoints: [join(root, "src/main.ts"), join(root, "src/apis/offload/offload-worker.ts")],
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
    plugins,
  });
  if (!result.success) throw new AggregateError(result.logs, "Bundle failed");
  return (await stat(outfile)).size;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { outfile: { type: "string", default: "dist/kcp" }, target: { type: "string" } },
  });
  const outfile = resolve(values.outfile ?? "dist/kcp");
  const started = performance.now();
  const size = await buildBinary(outfile, values.target as Bun.Build.CompileTarget | undefined);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `built ${relative(process.cwd(), outfile) || outfile}: ${(size / 1024 / 1024).toFixed(1)} MiB in ${seconds}s`,
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
