// Durations on the command line, spelled as Go's time.ParseDuration (and so kube-apiserver's flags)
// spell them: "5m", "90s", "1h30m", "250ms", "0". Fractions are allowed ("1.5h"); a unit is required
// except for a bare "0".

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Milliseconds of a Go-style duration; throws a message naming `flag` when it is not one (or negative). */
export function parseDurationFlag(text: string, flag: string): number {
  const s = text.trim();
  if (s === "0") return 0;
  let total = 0;
  let pos = 0;
  PART.lastIndex = 0;
  while (pos < s.length) {
    PART.lastIndex = pos;
    const m = PART.exec(s);
    if (!m) throw new Error(`${flag}: invalid duration "${text}" (examples: 5m, 30s, 1h30m, 0 to disable)`);
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    pos = PART.lastIndex;
  }
  if (s.length === 0) throw new Error(`${flag}: invalid duration "${text}" (examples: 5m, 30s, 1h30m, 0 to disable)`);
  return Math.round(total);
}
