// The layering rules (scripts/check-layers.ts): the checker itself on small made-up trees, then
// the real src/ tree, so that `npm test` fails on an upward import or an import cycle.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { checkGraph, cyclesOf, importsOf, LAYERS } from "../../scripts/check-layers.ts";

describe("check-layers", () => {
  test("reads static, type-only, re-export and dynamic imports, not comments", () => {
    const src = [
      'import { a } from "./a.ts";',
      'import type { B } from "../b.ts";',
      'export { c } from "./c.ts";',
      'export type { D } from "./d.ts";',
      'import "./side-effect.ts";',
      "// a comment that names /clusters/* (not the start of a block comment: the */ below ends nothing)",
      'import { g } from "./after-comment.ts";',
      'const m = await import("./lazy.ts");',
      '// import { x } from "./commented.ts";',
      '/* import { y } from "./block.ts"; */',
      'import { z } from "node:fs";',
      "import {\n  e,\n  f,\n} from './multi.ts';",
      "const s = \"import { h } from './in-a-string.ts'\";",
    ].join("\n");
    expect(importsOf(src)).toEqual([
      "./a.ts",
      "../b.ts",
      "./c.ts",
      "./d.ts",
      "./side-effect.ts",
      "./after-comment.ts",
      "./lazy.ts",
      "./multi.ts",
    ]);
  });

  test("an import of src/server from a lower folder is a violation, from src/app it is not", () => {
    const files = new Map([
      ["src/server/app.ts", ""],
      ["src/apis/store.ts", 'import type { X } from "../server/app.ts";'],
      ["src/app/start-server.ts", 'import { createApp } from "../server/app.ts";'],
    ]);
    const { violations, cycles } = checkGraph(files);
    expect(violations.map((v) => v.file)).toEqual(["src/apis/store.ts"]);
    expect(cycles).toEqual([]);
  });

  test("the machinery floor may not import the folders above it", () => {
    const files = new Map([
      ["src/machinery/status.ts", 'import { log } from "../util/log.ts"; import type { K } from "../apis/types.ts";'],
      ["src/util/log.ts", ""],
      ["src/apis/types.ts", ""],
    ]);
    const { violations } = checkGraph(files);
    expect(violations.map((v) => v.imports)).toEqual(["src/apis/types.ts"]);
  });

  test("a folder may import only lower layers: not its peers, and every folder needs a layer", () => {
    const files = new Map([
      ["src/admission/chain.ts", 'import { x } from "../controllers/work-queue.ts";'],
      ["src/controllers/work-queue.ts", 'import { y } from "../client/informer.ts";'],
      ["src/client/informer.ts", 'import { z } from "../apis/store.ts";'],
      ["src/apis/store.ts", ""],
      ["src/newroom/thing.ts", 'import { z } from "../apis/store.ts";'],
    ]);
    const { violations } = checkGraph(files);
    expect(violations.map((v) => `${v.file} -> ${v.imports}`)).toEqual([
      "src/admission/chain.ts -> src/controllers/work-queue.ts",
      "src/newroom/thing.ts -> ",
    ]);
    expect(LAYERS.server).toBeGreaterThan(LAYERS.apis as number);
  });

  test("finds cycles, including through type-only imports and self-imports", () => {
    const files = new Map([
      ["src/a.ts", 'import type { B } from "./b.ts";'],
      ["src/b.ts", 'import { c } from "./c.ts";'],
      ["src/c.ts", 'import { a } from "./a.ts";'],
      ["src/d.ts", 'import { d } from "./d.ts";'],
      ["src/e.ts", 'import { a } from "./a.ts";'],
    ]);
    expect(checkGraph(files).cycles).toEqual([["src/a.ts", "src/b.ts", "src/c.ts"], ["src/d.ts"]]);
    expect(
      cyclesOf(
        new Map([
          ["x", ["y"]],
          ["y", []],
        ]),
      ),
    ).toEqual([]);
  });

  test("src/ has no forbidden import and no import cycle", async () => {
    const proc = Bun.spawn([process.execPath, join(import.meta.dir, "../../scripts/check-layers.ts")], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, err, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    if (code !== 0) console.error(err);
    expect(code).toBe(0);
    expect(out).toContain("no forbidden import, no cycle");
  });
});
