// The project's own checks, run with the suite so that `npm test` (and CI) fails on a type error,
// a lint error or a file the formatter would change, not only on a failing test.
import { expect, test } from "bun:test";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");

async function run(cmd: string[]): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn(cmd, { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, out: `${out}${err}` };
}

test("the TypeScript sources type-check (tsc --noEmit)", async () => {
  const { code, out } = await run([join(ROOT, "node_modules/.bin/tsc"), "--noEmit", "-p", "."]);
  if (code !== 0) console.error(out);
  expect(code).toBe(0);
}, 120_000);

test("biome check finds no lint error and no unformatted file", async () => {
  const { code, out } = await run([join(ROOT, "node_modules/.bin/biome"), "check", "src", "test", "scripts"]);
  if (code !== 0) console.error(out);
  expect(code).toBe(0);
}, 60_000);
