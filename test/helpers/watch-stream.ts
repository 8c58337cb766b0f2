// Read a watch response (newline-delimited `{"type","object"}` events) one event at a time, with a
// deadline per event so a missing event fails the test instead of hanging it.

export interface WatchEvent {
  type: string;
  object: any;
}

export class WatchStream {
  private readonly reader: { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> };
  private readonly decoder = new TextDecoder();
  private buffer = "";
  private readonly queued: WatchEvent[] = [];
  private ended = false;
  private pending?: Promise<{ done: boolean; value?: Uint8Array }>;

  constructor(readonly response: Response) {
    if (!response.body) throw new Error(`watch response has no body (status ${response.status})`);
    this.reader = response.body.getReader();
  }

  /** The next event; throws if none arrives within `timeoutMs` or the stream ends. */
  async next(timeoutMs = 10_000): Promise<WatchEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ev = this.queued.shift();
      if (ev) return ev;
      if (this.ended) throw new Error("the watch stream ended");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no watch event within ${timeoutMs} ms`);
      this.pending ??= this.reader.read();
      const res = await Promise.race([this.pending, Bun.sleep(left).then(() => null)]);
      if (res === null) continue;
      this.pending = undefined;
      if (res.done || !res.value) {
        this.ended = true;
        this.parse(true);
        continue;
      }
      this.buffer += this.decoder.decode(res.value, { stream: true });
      this.parse(false);
    }
  }

  /** The next `n` events. */
  async take(n: number, timeoutMs = 10_000): Promise<WatchEvent[]> {
    const out: WatchEvent[] = [];
    while (out.length < n) out.push(await this.next(timeoutMs));
    return out;
  }

  /** Every event that arrives until the stream has been quiet for `quietMs`; never throws on silence. */
  async drain(quietMs: number): Promise<WatchEvent[]> {
    const out: WatchEvent[] = [];
    for (;;) {
      try {
        out.push(await this.next(quietMs));
      } catch {
        return out;
      }
    }
  }

  /** True once the server has closed the stream (reads what is left first). */
  async closedByServer(timeoutMs = 10_000): Promise<boolean> {
    try {
      for (;;) await this.next(timeoutMs);
    } catch (e) {
      return this.ended && (e as Error).message === "the watch stream ended";
    }
  }

  close(): void {
    this.ended = true;
    this.reader.cancel().catch(() => {});
  }

  private parse(final: boolean): void {
    const lines = this.buffer.split("\n");
    this.buffer = final ? "" : (lines.pop() ?? "");
    for (const line of lines) {
      if (line.trim() === "") continue;
      this.queued.push(JSON.parse(line) as WatchEvent);
    }
  }
}
