// Static bearer tokens from a file (`kcp start --token-auth-file`), in kube-apiserver's CSV format:
//   token,user,uid[,"group1,group2"]
// These users exist in every logical cluster; what they may do in each is up to its authorizer.
// kube-apiserver accepts a few shapes that only hide mistakes (a `#` line becomes a token starting
// with `#`, a duplicate token silently replaces the first); here they are errors naming the line,
// so a typo stops `kcp start` instead of creating an unexpected credential.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Authenticator, UserInfo } from "./types.ts";

/** The group kube's authenticators add to every authenticated user. */
export const AUTHENTICATED_GROUP = "system:authenticated";

export class TokenFileError extends Error {}

/** One CSV record split into fields: commas separate, double quotes quote (`""` is a quote). */
function csvFields(line: string, where: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    // kube's reader trims leading spaces of each field (TrimLeadingSpace).
    while (line[i] === " " || line[i] === "\t") i++;
    let field = "";
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new TokenFileError(`${where}: a quoted field is not closed`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      if (i < line.length && line[i] !== ",") throw new TokenFileError(`${where}: text after a closing quote`);
    } else {
      const end = line.indexOf(",", i);
      field = end < 0 ? line.slice(i) : line.slice(i, end);
      if (field.includes('"')) throw new TokenFileError(`${where}: a quote inside an unquoted field`);
      i = end < 0 ? line.length : end;
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

export interface TokenFileEntry {
  token: string;
  user: UserInfo;
}

/** Parse a token file's text; `name` names it in errors. Blank lines are skipped, anything else must be a record. */
export function parseTokenFile(text: string, name: string): TokenFileEntry[] {
  const entries: TokenFileEntry[] = [];
  const seen = new Map<string, number>();
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].replace(/\r$/, "");
    if (line.trim() === "") continue;
    const where = `${name} line ${n + 1}`;
    if (line.trimStart().startsWith("#")) {
      throw new TokenFileError(`${where}: comments are not allowed (kube-apiserver would read "#…" as a token)`);
    }
    const f = csvFields(line, where);
    if (f.length < 3) {
      throw new TokenFileError(`${where}: needs at least 3 columns (token, user name, user uid), found ${f.length}`);
    }
    const [token, username, uid] = f;
    if (token === "") throw new TokenFileError(`${where}: empty token`);
    if (/\s/.test(token)) throw new TokenFileError(`${where}: the token contains white space`);
    if (username === "") throw new TokenFileError(`${where}: empty user name`);
    const first = seen.get(token);
    if (first !== undefined) throw new TokenFileError(`${where}: the same token as line ${first}`);
    seen.set(token, n + 1);
    const groups = f.length >= 4 && f[3] !== "" ? f[3].split(",").map((g) => g.trim()) : [];
    if (groups.some((g) => g === "")) throw new TokenFileError(`${where}: an empty group name`);
    // As kube's authenticated-group wrapper: every authenticated user is in system:authenticated.
    if (!groups.includes(AUTHENTICATED_GROUP)) groups.push(AUTHENTICATED_GROUP);
    entries.push({ token, user: { username, ...(uid ? { uid } : {}), groups } });
  }
  return entries;
}

/** Read and parse a token file (at start-up; a bad file is a TokenFileError). */
export function loadTokenFile(path: string): TokenFileEntry[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new TokenFileError(`--token-auth-file ${path}: ${(e as Error).message}`);
  }
  return parseTokenFile(text, path);
}

function digest(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * The token file's users, looked up by the SHA-256 of the token: one map lookup whatever the
 * number of users, and the map's timing says nothing about the tokens themselves.
 */
export class TokenFileAuthenticator implements Authenticator {
  private readonly users = new Map<string, UserInfo>();

  constructor(entries: TokenFileEntry[]) {
    for (const e of entries) this.users.set(digest(e.token), e.user);
  }

  get size(): number {
    return this.users.size;
  }

  authenticateToken(token: string): UserInfo | null {
    const user = this.users.get(digest(token));
    // A copy: later filters may not change the shared entry.
    return user ? { ...user, groups: [...user.groups] } : null;
  }
}
