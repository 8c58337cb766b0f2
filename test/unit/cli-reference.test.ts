import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { defineCommand } from "citty";
import { cliReference } from "../../src/cli/cli-reference.ts";
import { main } from "../../src/main.ts";

const FILE = join(import.meta.dir, "../../docs/cli.md");

describe("CLI reference (docs/cli.md)", () => {
  test("the checked-in file is what the generator prints (npm run gen:cli-reference)", async () => {
    const generated = await cliReference(main);
    expect(readFileSync(FILE, "utf8") === generated, "docs/cli.md is stale: run npm run gen:cli-reference").toBe(true);
  });

  test("every command has a section, linked from the index, with its flags and defaults", async () => {
    const text = await cliReference(main);
    for (const heading of ["## kcp start", "## kcp cluster add", "## kcp pull-crds", "## kcp completion"]) {
      expect(text).toContain(`\n${heading}\n`);
    }
    expect(text).toContain("- [kcp cluster add](#kcp-cluster-add): ");
    expect(text).toContain("| `--root-dir` | `dir` | `.kcp` | Directory for state");
    // A flag that defaults to true is listed with its --no- form; a required flag says so.
    expect(text).toMatch(/\| `--cluster-controller`, `--no-cluster-controller` \| {2}\| `true` \|/);
    expect(text).toMatch(/\| `--from` \| `sqlite:<path>\\\|etcd:<urls>` \| required \|/);
  });

  test("descriptions are escaped for Markdown: pipes in cells, angle brackets and stars in prose", async () => {
    const cmd = defineCommand({
      meta: { name: "demo", description: "Copy objects labelled a=<name> from /clusters/*/x" },
      subCommands: {
        go: defineCommand({
          meta: { name: "go", description: "Go somewhere; `kubectl get <x>` stays code" },
          args: {
            mode: { type: "enum", options: ["a", "b"], default: "a", description: "Either a|b" },
            target: { type: "positional", required: true, description: "Where to" },
            name: { type: "string", required: true, valueHint: "name", description: "A name" },
          },
          run() {},
        }),
      },
    });
    const text = await cliReference(cmd);
    expect(text).toContain("a=\\<name\\> from /clusters/\\*/x");
    expect(text).toContain("`kubectl get <x>` stays code");
    expect(text).toContain("| `--mode` | `a\\|b` | `a` | Either a\\|b. |");
    expect(text).toContain("| `TARGET` | yes | Where to. |");
    expect(text).toContain("demo go [flags] TARGET --name=<name>");
  });
});
