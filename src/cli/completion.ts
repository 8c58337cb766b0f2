// `kcp completion bash|zsh|fish`: prints a completion script written from the command tree it is
// given (main.ts passes the root command; this layer cannot import it). The files in completions/
// are the same scripts, regenerated with `npm run gen:completions`.
import { type CommandDef, defineCommand } from "citty";
import { bashCompletion } from "./completion-bash.ts";
import { fishCompletion } from "./completion-fish.ts";
import { completionTree } from "./completion-tree.ts";
import { zshCompletion } from "./completion-zsh.ts";

export const COMPLETION_SHELLS = ["bash", "zsh", "fish"] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

/** The command that regenerates completions/, named in each script's header. */
export const GENERATED_BY = "npm run gen:completions";

/** The completion script of one shell for the command tree below root. */
export async function completionScript(root: CommandDef<any>, shell: CompletionShell): Promise<string> {
  const tree = await completionTree(root);
  if (shell === "bash") return bashCompletion(tree, GENERATED_BY);
  if (shell === "zsh") return zshCompletion(tree, GENERATED_BY);
  return fishCompletion(tree, GENERATED_BY);
}

export function completionCommand(root: CommandDef<any>): CommandDef<any> {
  return defineCommand({
    meta: {
      name: "completion",
      description: "Print the bash, zsh or fish completion script (e.g. source <(kcp completion bash))",
    },
    args: {
      shell: {
        type: "positional",
        required: true,
        valueHint: COMPLETION_SHELLS.join("|"),
        description:
          "bash: add source <(kcp completion bash) to ~/.bashrc; zsh: source <(kcp completion zsh) in ~/.zshrc (after compinit); fish: kcp completion fish > ~/.config/fish/completions/kcp.fish",
      },
    },
    async run({ args }) {
      const shell = String(args.shell);
      if (!(COMPLETION_SHELLS as readonly string[]).includes(shell))
        throw new Error(`Unknown shell ${shell}: kcp completes ${COMPLETION_SHELLS.join(", ")}`);
      const text = await completionScript(root, shell as CompletionShell);
      await new Promise<void>((resolve, reject) =>
        process.stdout.write(text, (err) => (err ? reject(err) : resolve())),
      );
    },
  });
}
