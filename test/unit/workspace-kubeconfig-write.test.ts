// `kcp workspace use` rewrites the user's kubeconfig: a write that fails part-way (here: a file
// size limit the new content exceeds) must leave the old file whole, and a kubeconfig that is a
// symlink, or has a mode of its own, stays so.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  chmodSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";

const MAIN = join(import.meta.dir, "../../src/main.ts");

// Long enough that the rewritten file (two contexts more) is well past the 1 KiB limit below.
const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:6443/clusters/team-a
    certificate-authority-data: ${"A".repeat(700)}
contexts:
- name: x
  context:
    cluster: c
    user: u
current-context: x
users:
- name: u
  user:
    token: t
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "kcp-ws-write-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** `kcp ws use <target>` on `kc`, under a file size limit of `limitKiB` (bash's ulimit -f). */
async function use(kc: string, target: string, limitKiB?: number): Promise<number> {
  const limit = limitKiB === undefined ? "" : `ulimit -f ${limitKiB}; `;
  const proc = Bun.spawn(["bash", "-c", `${limit}exec "$0" "$1" ws use "$2"`, process.execPath, MAIN, target], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1", KUBECONFIG: kc },
  });
  await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return proc.exited;
}

describe("kcp workspace use writes the kubeconfig", () => {
  test("a write that fails part-way leaves the old kubeconfig whole", async () => {
    const kc = join(dir, "config");
    writeFileSync(kc, KUBECONFIG, { mode: 0o600 });
    expect(await use(kc, "~", 1)).toBe(1);
    expect(readFileSync(kc, "utf8")).toBe(KUBECONFIG);
    expect(readdirSync(dir)).toEqual(["config"]);
  });

  test("a symlinked kubeconfig stays a symlink; the file keeps its mode", async () => {
    const real = join(dir, "real-config");
    writeFileSync(real, KUBECONFIG);
    chmodSync(real, 0o640);
    const kc = join(dir, "config");
    symlinkSync(real, kc);
    expect(await use(kc, "~")).toBe(0);
    expect(lstatSync(kc).isSymbolicLink()).toBe(true);
    expect(statSync(real).mode & 0o777).toBe(0o640);
    const doc = parse(readFileSync(real, "utf8"));
    expect(doc["current-context"]).toBe("workspace.kcp.io/current");
    expect(readdirSync(dir).sort()).toEqual(["config", "real-config"]);
  });
});
