// Writes completions/kcp.{bash,zsh,fish} from the command tree (`npm run gen:completions`).
// Run it after adding or changing a command or flag; test/unit/completions.test.ts fails until then.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { COMPLETION_SHELLS, completionScript } from "../src/cli/completion.ts";
import { main } from "../src/main.ts";

const dir = join(import.meta.dir, "../completions");
for (const shell of COMPLETION_SHELLS) {
  const file = join(dir, `kcp.${shell}`);
  writeFileSync(file, await completionScript(main, shell));
  console.log(`wrote ${file}`);
}
