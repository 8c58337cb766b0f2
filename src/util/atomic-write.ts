// Write-then-rename, so a crash never leaves a half-written key, token or kubeconfig behind, and
// the file has its final mode from the moment it exists (a secret is never world-readable).
import { chmod, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

export async function writeFileAtomic(path: string, data: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    await writeFile(tmp, data, { mode });
    // The umask may have narrowed or (if 0) kept the mode: set it exactly.
    await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
