// Ages as kube-apiserver prints them in Table cells: apimachinery's duration.HumanDuration
// ("5s", "3m2s", "5h3m", "3d", "2y30d"), and "<unknown>" for an unset timestamp.

/** HumanDuration of a duration in milliseconds: precise when short, coarser as it grows. */
export function humanDuration(ms: number): string {
  // Go truncates toward zero when converting to whole seconds, minutes and hours.
  const seconds = Math.trunc(ms / 1000);
  // Up to 2 s in the future counts as now (clock skew between machines).
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / 3_600_000);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const y = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** The time a timestamp field holds, or undefined when unset or unparseable. */
export function parseTimestamp(ts: unknown): number | undefined {
  if (typeof ts !== "string" || ts === "") return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? undefined : t;
}

/** kube's translateTimestampSince: the age of `ts` at `now`, "<unknown>" when unset. */
export function ageSince(ts: unknown, now: number): string {
  const t = parseTimestamp(ts);
  return t === undefined ? "<unknown>" : humanDuration(now - t);
}
