// Failed requests of a bench workload: how many, and the first one, for the row's note.

/** Count of failed requests and the first failure. */
export class Failures {
  count = 0;
  sample = "";
  check(status: number, want: number, body: string): void {
    if (status === want) return;
    this.count++;
    this.sample ||= `HTTP ${status} ${body.slice(0, 200)}`;
  }
  note(): string {
    return `${this.count} errors${this.sample ? ` (${this.sample})` : ""}`;
  }
}
