// A cap on each user's concurrent watches (`kcp start --max-watches-per-user`): a watch holds a
// connection, a storage watcher and buffers for as long as its client likes, so one identity may not
// hold them without bound. Over the cap a new watch is a 429 TooManyRequests with Retry-After, as
// kube-apiserver's in-flight limits answer; ending a watch frees its place at once.

import { errors } from "../../machinery/status.ts";

export const DEFAULT_MAX_WATCHES_PER_USER = 1000;

export class WatchesPerUser {
  // User names come from requests: a Map, so no name reaches Object.prototype.
  private readonly open = new Map<string, number>();

  /** `max` 0: no cap. `exempt`: users never capped (the server's own in-process clients). */
  constructor(
    readonly max: number,
    private readonly exempt: ReadonlySet<string> = new Set(),
  ) {}

  /** Counts a new watch of `username`, or throws 429 when the user holds `max` already; returns its release. */
  acquire(username: string): () => void {
    if (this.max <= 0 || this.exempt.has(username)) return () => {};
    const held = this.open.get(username) ?? 0;
    if (held >= this.max) throw errors.tooManyRequests("Too many requests, please try again later.", 1);
    this.open.set(username, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const now = (this.open.get(username) ?? 1) - 1;
      if (now <= 0) this.open.delete(username);
      else this.open.set(username, now);
    };
  }

  /** How many watches `username` holds now. */
  held(username: string): number {
    return this.open.get(username) ?? 0;
  }
}
