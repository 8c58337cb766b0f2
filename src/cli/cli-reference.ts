// docs/cli.md, the command reference, rendered from the same command tree as the completions
// (completion-tree.ts): every command with its whole description, its arguments and a table of its
// flags with their values and defaults. scripts/gen-cli-reference.ts writes it;
// test/unit/cli-reference.test.ts fails when the checked-in file is stale.
import type { CommandDef } from "citty";
import { allCommands, type CommandSpec, completionTree, type FlagSpec } from "./completion-tree.ts";

/** The Markdown reference of every command below root. */
export async function cliReference(root: CommandDef<any>): Promise<string> {
  const tree = await completionTree(root);
  const commands = allCommands(tree);
  const out: string[] = [
    `# ${tree.name} command reference`,
    "",
    "<!-- Generated from the command tree by `npm run gen:cli-reference`: edit the commands, not this file. -->",
    "",
    "Every command also takes `--help` (`-h`), which prints what its section here says. Durations are",
    "written as `30s`, `5m`, `1h30m`; sizes as `1.5Mi`, `512Ki`. A command exits 0 when it did what it was",
    "asked and non-zero otherwise, with the reason on standard error.",
    "",
  ];
  for (const cmd of commands) {
    const depth = cmd.path.length;
    if (depth === 0) continue;
    out.push(`${"  ".repeat(depth - 1)}- [${title(tree, cmd)}](#${anchor(tree, cmd)}): ${prose(cmd.description)}`);
  }
  for (const cmd of commands) out.push("", ...section(tree, cmd));
  return `${out.join("\n")}\n`;
}

function title(root: CommandSpec, cmd: CommandSpec): string {
  return [root.name, ...cmd.path].join(" ");
}

/** GitHub's heading anchor for the title: lower case, spaces to dashes, punctuation other than - dropped. */
function anchor(root: CommandSpec, cmd: CommandSpec): string {
  return title(root, cmd)
    .toLowerCase()
    .replace(/[^\w\- ]/g, "")
    .replace(/ /g, "-");
}

function section(root: CommandSpec, cmd: CommandSpec): string[] {
  const lines = [`## ${title(root, cmd)}`, ""];
  if (cmd.doc.description) lines.push(prose(sentence(cmd.doc.description)), "");
  lines.push("```", usage(root, cmd), "```", "");
  if (cmd.subcommands.length > 0) {
    lines.push("Commands:", "");
    for (const sub of cmd.subcommands)
      lines.push(`- [\`${sub.name}\`](#${anchor(root, sub)}): ${prose(sub.description)}`);
    lines.push("");
  }
  if (cmd.doc.arguments.length > 0) {
    lines.push("| Argument | Required | Description |", "|---|---|---|");
    for (const arg of cmd.doc.arguments)
      lines.push(
        `| \`${arg.name.toUpperCase()}\` | ${arg.required ? "yes" : "no"} | ${cell(prose(sentence(arg.description)))} |`,
      );
    lines.push("");
  }
  const flags = cmd.flags.filter((f) => f.name !== "help");
  if (flags.length > 0) {
    lines.push("| Flag | Value | Default | Description |", "|---|---|---|---|");
    for (const flag of flags) lines.push(flagRow(flag));
    lines.push("");
  }
  return lines.slice(0, lines.at(-1) === "" ? -1 : undefined);
}

function usage(root: CommandSpec, cmd: CommandSpec): string {
  const words = [title(root, cmd)];
  if (cmd.subcommands.length > 0) words.push(`<${cmd.subcommands.map((s) => s.name).join("|")}>`);
  if (cmd.flags.some((f) => f.name !== "help" && f.name !== "version")) words.push("[flags]");
  for (const arg of cmd.doc.arguments) {
    const name = arg.name.toUpperCase();
    words.push(arg.required ? name : `[${name}]`);
  }
  for (const flag of cmd.flags) if (flag.doc.required) words.push(`--${flag.name}=<${flag.doc.valueName}>`);
  return words.join(" ");
}

function flagRow(flag: FlagSpec): string {
  const names = [`\`--${flag.name}\``, ...flag.short.map((s) => `\`-${s}\``)];
  if (flag.negatable) names.push(`\`--no-${flag.name}\``);
  const value = flag.doc.valueName === undefined ? "" : `\`${flag.doc.valueName}\``;
  const fallback = flag.doc.required
    ? "required"
    : flag.doc.default === undefined || flag.doc.default === ""
      ? ""
      : `\`${flag.doc.default}\``;
  return `| ${names.join(", ")} | ${cell(value)} | ${cell(fallback)} | ${cell(prose(sentence(flag.doc.description)))} |`;
}

/** A table cell: pipes escaped so they do not end the cell. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

/**
 * Prose from a description as Markdown: outside `code spans`, <, > and * are escaped, so that
 * "kcp.dev/cluster=<name>" is not read as an HTML tag nor "/clusters/*" as emphasis.
 */
function prose(text: string): string {
  return text
    .split("`")
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/[<>*]/g, (c) => `\\${c}`)))
    .join("`");
}

function sentence(text: string): string {
  return text === "" || /[.!?)`]$/.test(text) ? text : `${text}.`;
}
