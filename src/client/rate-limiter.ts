// A token bucket, client-go's default client-side limit (`qps` steady, `burst` at once): every
// request takes a token; when none is left it waits its turn. Callers are served in arrival order
// because each one reserves its slot on arrival (the balance may go negative: that is the queue).

export class TokenBucket {
  private tokens: number;
  private last = performance.now();

  constructor(
    private readonly qps: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  /** Resolves when the caller may go; rejects with the signal's reason when aborted while waiting. */
  async acquire(signal?: AbortSignal): Promise<void> {
    if (this.qps <= 0) return;
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return;
    const waitMs = (-this.tokens * 1000) / this.qps;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(done, waitMs);
      function done() {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }
      const onAbort = () => {
        clearTimeout(timer);
        this.tokens += 1; // the slot is given back
        reject(signal?.reason ?? new Error("aborted"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
