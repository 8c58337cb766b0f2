// Writes docs/cli.md from the command tree (`npm run gen:cli-reference`). Run it after adding or
// changing a command or flag, as gen-completions.ts; test/unit/cli-reference.test.ts fails until then.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cliReference } from "../src/cli/cli-reference.ts";
import { main } from "../src/main.ts";

const file = join(import.meta.dir, "../docs/cli.md");
writeFileSync(file, await cliReference(main));
console.log(`wrote ${file}`);
