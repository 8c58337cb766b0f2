// Bearer-token authentication against a static set of tokens (the admin token for now).

import { timingSafeEqual } from "node:crypto";
import type { Authenticator, UserInfo } from "./types.ts";

export class StaticTokenAuthenticator implements Authenticator {
  private readonly tokens: { token: Buffer; user: UserInfo }[];

  constructor(entries: { token: string; user: UserInfo }[]) {
    this.tokens = entries.map((e) => ({ token: Buffer.from(e.token), user: e.user }));
  }

  authenticateToken(token: string): UserInfo | null {
    const t = Buffer.from(token);
    for (const e of this.tokens) {
      if (e.token.length === t.length && timingSafeEqual(e.token, t)) return e.user;
    }
    return null;
  }
}

export function adminUser(): UserInfo {
  return { username: "kcp-admin", uid: "kcp-admin", groups: ["system:masters", "system:authenticated"] };
}
