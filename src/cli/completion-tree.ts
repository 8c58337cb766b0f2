// The citty command tree as plain data for the shell completion writers (completion-bash/zsh/fish.ts)
// and the CLI reference (cli-reference.ts). Everything a shell offers is read from the commands' own
// definitions, so a new command, flag or enum value shows up in the completions and docs/cli.md once
// they are regenerated (scripts/gen-completions.ts, scripts/gen-cli-reference.ts).
import type { ArgDef, CommandDef } from "citty";

/** What a flag's value (or a positional argument) completes to. */
export type ValueCompletion =
  | { kind: "choices"; values: string[]; nospace: boolean } // nospace: a prefix such as "etcd:" comes before more text
  | { kind: "file" }
  | { kind: "dir" }
  | { kind: "text"; hint: string }; // free-form: nothing to offer, the hint is shown where the shell can

export interface FlagSpec {
  name: string; // without dashes
  short: string[]; // one-letter aliases, without the dash
  description: string;
  /** Absent for boolean flags. */
  value?: ValueCompletion;
  /** The `--no-` form is offered for boolean flags that default to true. */
  negatable: boolean;
  /** For the CLI reference (cli-reference.ts): the whole description, the default and the value's name. */
  doc: { description: string; default?: string; valueName?: string; required: boolean };
}

/** A positional argument, for the CLI reference. */
export interface ArgumentSpec {
  name: string;
  description: string;
  required: boolean;
}

export interface CommandSpec {
  name: string;
  /** Words from the root to this command ([] for the root itself). */
  path: string[];
  description: string;
  flags: FlagSpec[];
  /** What positional arguments complete to, when the command says. */
  positional?: ValueCompletion;
  /** The whole description and the positional arguments, for the CLI reference. */
  doc: { description: string; arguments: ArgumentSpec[] };
  subcommands: CommandSpec[];
}

type Resolvable<T> = T | Promise<T> | (() => T) | (() => Promise<T>);

async function resolveValue<T>(value: Resolvable<T>): Promise<T> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

/** Loads every (lazy) command below root and describes it. */
export async function completionTree(root: CommandDef<any>): Promise<CommandSpec> {
  const spec = await describeCommand(root, [], true);
  // `kcp help <command>` names a sibling command; its definition cannot say so without importing them all.
  const help = spec.subcommands.find((c) => c.name === "help");
  if (help)
    help.positional = {
      kind: "choices",
      values: spec.subcommands.map((c) => c.name),
      nospace: false,
    };
  return spec;
}

async function describeCommand(cmd: CommandDef<any>, path: string[], isRoot: boolean): Promise<CommandSpec> {
  const meta = (await resolveValue(cmd.meta ?? {})) ?? {};
  const args = ((await resolveValue(cmd.args ?? {})) ?? {}) as Record<string, ArgDef>;
  const subs = ((await resolveValue(cmd.subCommands ?? {})) ?? {}) as Record<string, Resolvable<CommandDef<any>>>;

  const flags: FlagSpec[] = [];
  const positionals: ArgumentSpec[] = [];
  let positional: ValueCompletion | undefined;
  for (const [name, arg] of Object.entries(args)) {
    if (arg.type === "positional") {
      const value = valueCompletion(arg);
      if (value.kind !== "text") positional ??= value;
      positionals.push({ name, description: flat(arg.description ?? ""), required: arg.required !== false });
      continue;
    }
    const valueName = (arg as { valueHint?: string }).valueHint;
    flags.push({
      name,
      short: aliases(arg).filter((a) => a.length === 1),
      description: oneLine(arg.description ?? ""),
      value: arg.type === "boolean" ? undefined : valueCompletion(arg),
      negatable: arg.type === "boolean" && arg.default === true,
      doc: {
        description: flat(arg.description ?? ""),
        default: arg.default === undefined ? undefined : String(arg.default),
        valueName:
          arg.type === "boolean"
            ? undefined
            : arg.type === "enum"
              ? (arg.options ?? []).join("|")
              : valueName || "value",
        required: arg.required === true,
      },
    });
  }
  const builtin = (name: string, short: string, description: string): FlagSpec => ({
    name,
    short: [short],
    description,
    negatable: false,
    doc: { description, required: false },
  });
  flags.push(builtin("help", "h", "Show help"));
  if (isRoot) flags.push(builtin("version", "v", "Print the version"));

  const subcommands: CommandSpec[] = [];
  for (const [name, sub] of Object.entries(subs)) {
    subcommands.push(await describeCommand(await resolveValue(sub), [...path, name], false));
    (subcommands.at(-1) as CommandSpec).name = name; // an alias (cluster register) keeps its own name
  }
  const description = meta.description ?? "";
  return {
    name: meta.name ?? "",
    path,
    description: oneLine(description),
    flags,
    positional,
    doc: { description: flat(description), arguments: positionals },
    subcommands,
  };
}

function aliases(arg: ArgDef): string[] {
  const alias = (arg as { alias?: string | string[] }).alias;
  return alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
}

/**
 * Enum options are choices. For string flags the valueHint says the rest: "file" and "dir" complete
 * paths, "a|b|c" lists choices, "sqlite:<path>|etcd:<urls>" lists the prefixes (without a space after).
 */
function valueCompletion(arg: ArgDef): ValueCompletion {
  if (arg.type === "enum") return { kind: "choices", values: [...(arg.options ?? [])].map(String), nospace: false };
  const hint = (arg as { valueHint?: string }).valueHint ?? "";
  if (hint === "file") return { kind: "file" };
  if (hint === "dir") return { kind: "dir" };
  const parts = hint.split("|");
  if (parts.length > 1) {
    const plain = parts.every((p) => /^[\w.-]+$/.test(p));
    if (plain) return { kind: "choices", values: parts, nospace: false };
    const prefixes = parts.map((p) => /^([\w.-]+:)<[^<>]*>$/.exec(p)?.[1]);
    if (prefixes.every((p) => p !== undefined)) return { kind: "choices", values: prefixes as string[], nospace: true };
  }
  return { kind: "text", hint: hint || "value" };
}

/** The text without line breaks or runs of spaces. */
function flat(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** Shells show one line: the description up to its first clause, without line breaks. */
function oneLine(text: string): string {
  const whole = flat(text);
  const cut = whole.search(/ \(|; |: |\. /);
  return cut > 0 ? whole.slice(0, cut) : whole.replace(/\.$/, "");
}

/** Every command of the tree, depth first, root first. */
export function allCommands(root: CommandSpec): CommandSpec[] {
  return [root, ...root.subcommands.flatMap(allCommands)];
}
