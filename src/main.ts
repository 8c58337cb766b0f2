#!/usr/bin/env bun
// The `kcp` command. Sub-commands load lazily so each pays start-up only for what it runs.
// We drive citty ourselves rather than with runMain, to print errors for people (no stack unless
// debug logging) and to exit 1 on every failure.
import { type CommandDef, defineCommand, runCommand, showUsage } from "citty";
import { isDebugLogging, log } from "./log.ts";
import { KCP_VERSION } from "./version.ts";

const subCommands: Record<string, () => Promise<CommandDef<any>>> = {
  start: () => import("./cli/start.ts").then((m) => m.default),
  migrate: () => import("./cli/migrate.ts").then((m) => m.default),
  backup: () => import("./cli/backup.ts").then((m) => m.default),
  restore: () => import("./cli/restore.ts").then((m) => m.default),
  sync: () => import("./cli/sync.ts").then((m) => m.default),
  split: () => import("./cli/split.ts").then((m) => m.default),
  cluster: () => import("./cli/cluster.ts").then((m) => m.default),
  version: () => import("./cli/version.ts").then((m) => m.default),
  crds: () => import("./cli/crds.ts").then((m) => m.default),
  "pull-crds": () => import("./cli/pull-crds.ts").then((m) => m.default),
  workspace: () => import("./cli/workspace.ts").then((m) => m.default),
  ws: () => import("./cli/workspace.ts").then((m) => m.default),
  completion: () => import("./cli/completion.ts").then((m) => m.completionCommand(main)),
  help: async () => helpCommand,
};

export const main = defineCommand({
  meta: {
    name: "kcp",
    version: KCP_VERSION,
    description: "A minimal Kubernetes-style API server with logical clusters",
  },
  subCommands,
});

// `kcp help [command]`, the same as `kcp [command] --help`.
const helpCommand = defineCommand({
  meta: { name: "help", description: "Show help for kcp or one of its commands" },
  args: { command: { type: "positional", required: false, description: "Command to describe" } },
  async run({ args }) {
    const name = args.command;
    if (name === undefined) return showUsage(main);
    const load = subCommands[name];
    if (!load) throw new UsageError(`Unknown command ${name}`);
    await showUsage(await load(), main);
  },
});

class UsageError extends Error {
  override name = "UsageError";
}

/** Runs the CLI and returns the process exit code. */
export async function runCli(rawArgs: string[]): Promise<number> {
  const args = rawArgs.includes("--") ? rawArgs.slice(0, rawArgs.indexOf("--")) : rawArgs;
  try {
    if (args.includes("--help") || args.includes("-h")) {
      await showUsage(...(await commandFor(args)));
      return 0;
    }
    if (args.length === 1 && (args[0] === "--version" || args[0] === "-v")) {
      console.log(KCP_VERSION);
      return 0;
    }
    await runCommand(main, { rawArgs });
    return 0;
  } catch (err) {
    // citty's own argument errors (unknown command, bad enum value) are CLIError; name survives minify.
    if (err instanceof Error && (err.name === "CLIError" || err instanceof UsageError)) {
      await showUsage(...(await commandFor(args)));
    }
    reportError(err, isDebugLogging() || wantsDebug(args));
    return 1;
  }
}

/** The command a command line names, with its parent, for usage output. */
async function commandFor(args: string[]): Promise<[CommandDef<any>, CommandDef<any>?]> {
  const [name, sub] = args.filter((a) => !a.startsWith("-"));
  const load = name === undefined ? undefined : subCommands[name];
  if (!load) return [main];
  const cmd = await load();
  // One level of nesting (`kcp cluster add --help`): the subcommand's own usage.
  const subs = (cmd.subCommands ?? {}) as Record<string, CommandDef<any>>;
  if (sub !== undefined && Object.hasOwn(subs, sub)) return [subs[sub] as CommandDef<any>, cmd];
  return [cmd, main];
}

function reportError(err: unknown, withStack: boolean): void {
  if (!(err instanceof Error)) {
    log.error(String(err));
    return;
  }
  if (withStack) {
    log.error(err);
    return;
  }
  // The message and its causes on one line: what went wrong, then why.
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 5; e = e.cause) parts.push(e.message);
  log.error(stripAnsi(parts.join(": ")));
}

/** Errors can happen before `start` applies --log-level, so look at the flag itself. */
function wantsDebug(args: string[]): boolean {
  return args.some(
    (a, i) =>
      /^--log-level=(debug|trace)$/.test(a) || (a === "--log-level" && /^(debug|trace)$/.test(args[i + 1] ?? "")),
  );
}

function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escapes is the point
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

if (import.meta.main) {
  process.exit(await runCli(process.argv.slice(2)));
}
