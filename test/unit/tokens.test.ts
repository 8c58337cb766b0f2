import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureAdminToken, generateToken } from "../../src/pki/tokens.ts";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "kcp-token-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("ensureAdminToken", () => {
  test("creates a 32-byte base64url token in admin.token, mode 0600", async () => {
    const dir = tempDir();
    const token = await ensureAdminToken(dir);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
    expect(readFileSync(join(dir, "admin.token"), "utf8").trim()).toBe(token);
    expect(statSync(join(dir, "admin.token")).mode & 0o777).toBe(0o600);
  });

  test("reuses the token on restart", async () => {
    const dir = tempDir();
    const first = await ensureAdminToken(dir);
    expect(await ensureAdminToken(dir)).toBe(first);
  });

  test("replaces an empty or malformed file", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "admin.token"), "\n");
    const token = await ensureAdminToken(dir);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    writeFileSync(join(dir, "admin.token"), "short");
    expect(await ensureAdminToken(dir)).not.toBe("short");
  });

  test("creates the data directory when missing", async () => {
    const dir = join(tempDir(), "nested", "data");
    expect(await ensureAdminToken(dir)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test("tokens are random", () => {
    const seen = new Set(Array.from({ length: 100 }, generateToken));
    expect(seen.size).toBe(100);
  });
});
