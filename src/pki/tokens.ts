// The admin bearer token. Kept across restarts (unlike kcp's loopback token) so a kubeconfig
// written once keeps working.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic-write.ts";

export const ADMIN_TOKEN_FILE = "admin.token";

/** 32 random bytes in base64url is 43 characters; anything shorter was not written by us. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43,}$/;

export async function ensureAdminToken(dataDir: string): Promise<string> {
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  const existing = await readFile(path, "utf8").then(
    (text) => text.trim(),
    () => undefined,
  );
  if (existing !== undefined && TOKEN_PATTERN.test(existing)) return existing;
  const token = generateToken();
  await writeFileAtomic(path, `${token}\n`, 0o600);
  return token;
}

export function generateToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}
