// Several authenticators in turn, as kube-apiserver's union token authenticator: the first that
// knows the token decides who it belongs to.

import type { Authenticator, UserInfo } from "./types.ts";

export class UnionAuthenticator implements Authenticator {
  private readonly authenticators: Authenticator[];

  constructor(...authenticators: Authenticator[]) {
    this.authenticators = authenticators;
  }

  async authenticateToken(token: string): Promise<UserInfo | null> {
    for (const a of this.authenticators) {
      const user = await a.authenticateToken(token);
      if (user) return user;
    }
    return null;
  }
}
