import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import migrateCommand from "../../src/cli/migrate.ts";
import pullCrdsCommand from "../../src/cli/pull-crds.ts";
import startCommand from "../../src/cli/start.ts";
import splitCommand from "../../src/cli/split.ts";
import syncCommand from "../../src/cli/sync.ts";
import versionCommand from "../../src/cli/version.ts";
import { main } from "../../src/main.ts";

const DIR = join(import.meta.dir, "../../completions");
const SHELLS = ["kcp.bash", "kcp.zsh", "kcp.fish"];

/** What bash offers for a command line whose last word is being completed. */
async function bashComplete(line: string): Promise<string[]> {
  const words = line.split(" ");
  const script = `source ${JSON.stringify(join(DIR, "kcp.bash"))}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}
_kcp; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const proc = Bun.spawn(["bash", "-c", script], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(proc.stdout).text();
  expect(await proc.exited).toBe(0);
  return out.split("\n").filter(Boolean);
}

describe("shell completions", () => {
  test("every command and flag of the CLI appears in each shell's file", async () => {
    const commands = Object.keys((await main.subCommands) as object);
    // Positional arguments (sync's resource types) are not flags.
    const flags = [startCommand, migrateCommand, syncCommand, splitCommand, versionCommand, pullCrdsCommand].flatMap(
      (cmd) =>
        Object.entries((cmd.args ?? {}) as Record<string, { type?: string }>)
          .filter(([, a]) => a.type !== "positional")
          .map(([name]) => name),
    );
    const enums = [startCommand, migrateCommand, syncCommand, splitCommand, versionCommand, pullCrdsCommand].flatMap(
      (cmd) =>
        Object.values((cmd.args ?? {}) as Record<string, { options?: string[] }>).flatMap((a) => a.options ?? []),
    );
    for (const shell of SHELLS) {
      const text = readFileSync(join(DIR, shell), "utf8");
      for (const c of commands) expect(text).toContain(c);
      for (const f of flags) expect(text, `${shell} lacks --${f}`).toMatch(new RegExp(`(--|-l )${f}\\b`));
      for (const v of enums) expect(text, `${shell} lacks ${v}`).toMatch(new RegExp(`\\b${v}\\b`));
    }
  });

  test("bash: commands, flags, enum values", async () => {
    expect(await bashComplete("kcp ")).toEqual([
      "start",
      "migrate",
      "sync",
      "split",
      "cluster",
      "version",
      "crds",
      "pull-crds",
      "help",
      "--help",
      "--version",
    ]);
    expect(await bashComplete("kcp st")).toEqual(["start"]);
    expect(await bashComplete("kcp start --l")).toEqual(["--listen", "--log-level"]);
    expect(await bashComplete("kcp start --embedded-etcd-")).toEqual([
      "--embedded-etcd-client-port",
      "--embedded-etcd-peer-port",
    ]);
    expect(await bashComplete("kcp migrate --f")).toEqual(["--from", "--force"]);
    expect(await bashComplete("kcp migrate --to e")).toEqual(["etcd:"]);
    expect(await bashComplete("kcp start --log-level d")).toEqual(["debug"]);
    expect(await bashComplete("kcp start --log-level = t")).toEqual(["trace"]);
    expect(await bashComplete("kcp version -o ")).toEqual(["text", "json"]);
    expect(await bashComplete("kcp help v")).toEqual(["version"]);
    expect(await bashComplete("kcp crds ")).toEqual(["print", "list", "--help"]);
    expect(await bashComplete("kcp crds print -o ")).toEqual(["yaml", "json"]);
    expect(await bashComplete("kcp pull-crds --o")).toEqual(["--output", "--output-dir"]);
    expect(await bashComplete("kcp pull-crds -o ")).toEqual(["yaml", "json"]);
  });
});
