import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defineCommand } from "citty";
import { bashCompletion } from "../../src/cli/completion-bash.ts";
import { COMPLETION_SHELLS, completionScript } from "../../src/cli/completion.ts";
import { allCommands, completionTree } from "../../src/cli/completion-tree.ts";
import { main } from "../../src/main.ts";
import { tempDir } from "../helpers/kcp-process.ts";

const DIR = join(import.meta.dir, "../../completions");
const MAIN = join(import.meta.dir, "../../src/main.ts");
const BASH_FILE = join(DIR, "kcp.bash");

/** What a real bash offers for a command line whose last word is being completed (split as bash splits it). */
async function bashComplete(line: string, opts: { file?: string; cwd?: string; fn?: string } = {}): Promise<string[]> {
  const words = line.split(" ");
  const script = `source ${JSON.stringify(opts.file ?? BASH_FILE)}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}
${opts.fn ?? "_kcp"}; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const proc = Bun.spawn(["bash", "--norc", "--noprofile", "-c", script], {
    stdout: "pipe",
    stderr: "pipe",
    cwd: opts.cwd,
  });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  expect(err).toBe("");
  expect(await proc.exited).toBe(0);
  return out.split("\n").filter(Boolean);
}

function hasShell(shell: string): boolean {
  return Bun.which(shell) !== null;
}

async function syntaxCheck(shell: string, file: string): Promise<void> {
  const proc = Bun.spawn([shell, "-n", file], { stdout: "pipe", stderr: "pipe" });
  const err = await new Response(proc.stderr).text();
  expect(err).toBe("");
  expect(await proc.exited).toBe(0);
}

describe("shell completions", () => {
  test("the files in completions/ are what the generator prints (npm run gen:completions)", async () => {
    for (const shell of COMPLETION_SHELLS) {
      const checkedIn = readFileSync(join(DIR, `kcp.${shell}`), "utf8");
      const generated = await completionScript(main, shell);
      expect(checkedIn === generated, `completions/kcp.${shell} is stale: run npm run gen:completions`).toBe(true);
    }
  });

  test("kcp completion <shell> prints the same scripts; an unknown shell exits 1", async () => {
    for (const shell of COMPLETION_SHELLS) {
      const proc = Bun.spawn([process.execPath, MAIN, "completion", shell], { stdout: "pipe", stderr: "pipe" });
      const out = await new Response(proc.stdout).text();
      expect(await proc.exited).toBe(0);
      expect(out).toBe(readFileSync(join(DIR, `kcp.${shell}`), "utf8"));
    }
    const bad = Bun.spawn([process.execPath, MAIN, "completion", "tcsh"], { stdout: "pipe", stderr: "pipe" });
    const err = await new Response(bad.stderr).text();
    expect(await bad.exited).toBe(1);
    expect(err).toContain("Unknown shell tcsh");
  });

  test("bash: subcommands, flags, enum values, files and directories", async () => {
    const registered = Bun.spawnSync(["bash", "--norc", "--noprofile", "-c", `source '${BASH_FILE}'; complete -p kcp`]);
    expect(registered.stdout.toString()).toBe("complete -F _kcp kcp\n");
    expect(await bashComplete("kcp st")).toEqual(["start"]);
    expect(await bashComplete("kcp start --lis")).toEqual(["--listen"]);
    expect(await bashComplete("kcp start --log-level d")).toEqual(["debug"]);
    expect(await bashComplete("kcp start --log-level = t")).toEqual(["trace"]);
    expect(await bashComplete("kcp start --no-cl")).toEqual(["--no-cluster-controller"]);
    expect(await bashComplete("kcp start --cluster-syncer-mode ")).toEqual(["push", "pull", "none"]);
    expect(await bashComplete("kcp cluster ")).toEqual(["add", "register", "list", "remove", "--help"]);
    expect(await bashComplete("kcp cluster add --mo")).toEqual(["--mode"]);
    expect(await bashComplete("kcp cluster add --mode p")).toEqual(["push", "pull"]);
    // A flag's value is not taken for a subcommand: "list" is --context's value, not cluster list.
    expect(await bashComplete("kcp cluster add --context list --ti")).toEqual(["--timeout"]);
    expect(await bashComplete("kcp migrate --to e")).toEqual(["etcd:"]);
    expect(await bashComplete("kcp version -o ")).toEqual(["text", "json"]);
    expect(await bashComplete("kcp crds print -o j")).toEqual(["json"]);
    expect(await bashComplete("kcp help v")).toEqual(["version"]);
    expect(await bashComplete("kcp completion ")).toEqual(["bash", "zsh", "fish"]);

    const cwd = tempDir("kcp-complete-");
    mkdirSync(join(cwd, "state-dir"));
    writeFileSync(join(cwd, "tokens.csv"), "");
    expect(await bashComplete("kcp start --token-auth-file to", { cwd })).toEqual(["tokens.csv"]);
    expect(await bashComplete("kcp start --root-dir s", { cwd })).toEqual(["state-dir"]);
    expect(await bashComplete("kcp start --root-dir t", { cwd })).toEqual([]);
  });

  test("bash offers every command's subcommands and flags, and every enum's values", async () => {
    const tree = await completionTree(main);
    for (const cmd of allCommands(tree)) {
      const line = ["kcp", ...cmd.path].join(" ");
      const flags = cmd.flags.flatMap((f) => [`--${f.name}`, ...(f.negatable ? [`--no-${f.name}`] : [])]);
      expect(await bashComplete(`${line} --`), line).toEqual(flags);
      if (cmd.subcommands.length > 0)
        expect(await bashComplete(`${line} `), line).toEqual([...cmd.subcommands.map((s) => s.name), ...flags]);
      for (const f of cmd.flags)
        if (f.value?.kind === "choices")
          expect(await bashComplete(`${line} --${f.name} `), `${line} --${f.name}`).toEqual(f.value.values);
    }
  });

  test("a new command tree's subcommands, boolean, enum and --no- flags reach the bash script", async () => {
    const tool = defineCommand({
      meta: { name: "tool", description: "A tool" },
      subCommands: {
        serve: defineCommand({
          meta: { name: "serve", description: "Serve" },
          args: {
            color: { type: "enum", options: ["red", "green"], description: "Colour" },
            watch: { type: "boolean", default: true, description: "Watch files" },
            fast: { type: "boolean", description: "Go fast" },
            mode: { type: "string", valueHint: "on|off", description: "Mode" },
          },
          subCommands: { deep: defineCommand({ meta: { name: "deep" }, args: { level: { type: "string" } } }) },
        }),
      },
    });
    const file = join(tempDir("kcp-complete-"), "tool.bash");
    writeFileSync(file, bashCompletion(await completionTree(tool), "test"));
    const complete = (line: string) => bashComplete(line, { file, fn: "_tool" });
    expect(await complete("tool s")).toEqual(["serve"]);
    expect(await complete("tool serve --")).toEqual(["--color", "--watch", "--no-watch", "--fast", "--mode", "--help"]);
    expect(await complete("tool serve --color g")).toEqual(["green"]);
    expect(await complete("tool serve --mode o")).toEqual(["on", "off"]);
    expect(await complete("tool serve --fast d")).toEqual(["deep"]);
    expect(await complete("tool serve deep --")).toEqual(["--level", "--help"]);
  });

  test("zsh and fish scripts parse (zsh -n, fish -n)", async () => {
    for (const shell of ["zsh", "fish"]) {
      if (!hasShell(shell)) {
        console.warn(
          `${shell} is not installed: not checking completions/kcp.${shell}'s syntax (apt-get install ${shell})`,
        );
        continue;
      }
      await syntaxCheck(shell, join(DIR, `kcp.${shell}`));
    }
    expect(hasShell("bash")).toBe(true);
    await syntaxCheck("bash", BASH_FILE);
  });

  test("zsh completes subcommands, flags and enum values at a real prompt", async () => {
    if (!hasShell("zsh")) {
      console.warn("zsh is not installed: not running zsh completions (apt-get install zsh)");
      return;
    }
    // An interactive zsh on a pseudo-terminal (zsh/zpty): type the line and TAB, then wait until the
    // screen shows the completed text; timeout(1) is the deadline when it never does.
    const driver = join(tempDir("kcp-complete-"), "drive.zsh");
    writeFileSync(
      driver,
      `zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z 'PROMPT="%% "; autoload -U compinit; compinit -u -D; source '"$1"'; echo RE""ADY'
zpty -r z out '*READY*'
zpty -w -n z "$2"$'\\t'
zpty -r z out "*\${(b)3}*"
zpty -d z
`,
    );
    const cases: [string, string][] = [
      ["kcp st", "kcp start"],
      ["kcp start --lis", "kcp start --listen"],
      ["kcp start --log-level d", "kcp start --log-level debug"],
      ["kcp start --no-cl", "--no-cluster-controller"],
      ["kcp cluster rem", "kcp cluster remove"],
      ["kcp cluster add --mode pus", "--mode push"],
      ["kcp migrate --to e", "--to etcd:"],
      ["kcp help v", "kcp help version"],
    ];
    for (const [line, shown] of cases) {
      const proc = Bun.spawn(["timeout", "20", "zsh", "-f", driver, join(DIR, "kcp.zsh"), line, shown], {
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(await proc.exited, `zsh: ${line}<TAB> should show ${shown}`).toBe(0);
    }
  }, 60_000);

  test("fish completes subcommands, flags and enum values", async () => {
    if (!hasShell("fish")) {
      console.warn("fish is not installed: not running fish completions (apt-get install fish)");
      return;
    }
    const complete = async (line: string) => {
      const script = `source ${JSON.stringify(join(DIR, "kcp.fish"))}; complete -C ${JSON.stringify(line)}`;
      const proc = Bun.spawn(["fish", "--no-config", "-c", script], { stdout: "pipe", stderr: "pipe" });
      const out = await new Response(proc.stdout).text();
      expect(await proc.exited).toBe(0);
      return out
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("\t")[0]);
    };
    expect(await complete("kcp st")).toEqual(["start"]);
    expect(await complete("kcp start --lis")).toEqual(["--listen"]);
    expect(await complete("kcp start --log-level d")).toEqual(["debug"]);
    expect(await complete("kcp cluster ")).toEqual(["add", "list", "register", "remove"]);
    expect(await complete("kcp cluster add --mode p")).toEqual(["pull", "push"]);
  });
});
