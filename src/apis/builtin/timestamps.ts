// metav1.Time and metav1.MicroTime on the wire. kube parses them with Go's time.Parse (RFC 3339;
// MicroTime insists on exactly six fraction digits) and writes them back in UTC, Time without a
// fraction and MicroTime with six digits. Parse errors are worded as Go's time.ParseError.

export const RFC3339 = "2006-01-02T15:04:05Z07:00";
export const RFC3339_MICRO = "2006-01-02T15:04:05.000000Z07:00";

export type TimeLayout = "time" | "micro";

export class TimeParseError extends Error {}

interface Parsed {
  /** Seconds since the epoch, UTC. */
  seconds: number;
  /** Fraction of the second in nanoseconds. */
  nanos: number;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

function quote(s: string): string {
  return JSON.stringify(s);
}

/** Go's time.Parse for the two layouts kube uses, with its error texts. */
export function parseGoTime(value: string, layout: TimeLayout): Parsed {
  const layoutText = layout === "micro" ? RFC3339_MICRO : RFC3339;
  let rest = value;
  const cannot = (elem: string): never => {
    throw new TimeParseError(
      `parsing time ${quote(value)} as ${quote(layoutText)}: cannot parse ${quote(rest)} as ${quote(elem)}`,
    );
  };
  const outOfRange = (what: string): never => {
    throw new TimeParseError(`parsing time ${quote(value)}: ${what} out of range`);
  };
  const digits = (n: number, elem: string): number => {
    const part = rest.slice(0, n);
    if (part.length < n || !/^\d+$/.test(part)) cannot(elem);
    rest = rest.slice(n);
    return Number(part);
  };
  const literal = (lit: string) => {
    if (!rest.startsWith(lit)) cannot(lit);
    rest = rest.slice(lit.length);
  };

  const year = digits(4, "2006");
  literal("-");
  const month = digits(2, "01");
  if (month < 1 || month > 12) outOfRange("month");
  literal("-");
  const day = digits(2, "02");
  if (day < 1 || day > 31) outOfRange("day");
  literal("T");
  const hour = digits(2, "15");
  if (hour >= 24) outOfRange("hour");
  literal(":");
  const minute = digits(2, "04");
  if (minute >= 60) outOfRange("minute");
  literal(":");
  const second = digits(2, "05");
  if (second >= 60) outOfRange("second");

  let nanos = 0;
  if (layout === "micro") {
    if (!/^[.,]\d{6}/.test(rest)) cannot(".000000");
    nanos = Number(rest.slice(1, 7)) * 1000;
    rest = rest.slice(7);
  } else {
    // Go accepts a fraction after the seconds even when the layout has none.
    const m = /^[.,](\d+)/.exec(rest);
    if (m) {
      nanos = Number(`${(m[1] as string).slice(0, 9)}`.padEnd(9, "0"));
      rest = rest.slice(m[0].length);
    }
  }

  let offsetSeconds = 0;
  if (rest.startsWith("Z")) rest = rest.slice(1);
  else {
    const m = /^([+-])(\d{2}):(\d{2})/.exec(rest);
    if (!m) cannot("Z07:00");
    const [, sign, hh, mm] = m as RegExpExecArray;
    offsetSeconds = (Number(hh) * 3600 + Number(mm) * 60) * (sign === "-" ? -1 : 1);
    rest = rest.slice(6);
  }
  if (rest.length > 0) throw new TimeParseError(`parsing time ${quote(value)}: extra text: ${quote(rest)}`);

  const dim = month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] as number);
  if (day > dim) outOfRange("day");

  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return { seconds: d.getTime() / 1000 - offsetSeconds, nanos };
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** Format an instant as kube writes it: UTC, RFC 3339, seconds (Time) or microseconds (MicroTime). */
export function formatGoTime(t: Parsed, layout: TimeLayout): string {
  const d = new Date(t.seconds * 1000);
  const base = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  if (layout === "micro") return `${base}.${pad(Math.floor(t.nanos / 1000), 6)}Z`;
  return `${base}Z`;
}

/** Parse and re-format: what a value looks like after a round trip through kube-apiserver. */
export function normalizeGoTime(value: string, layout: TimeLayout): string {
  return formatGoTime(parseGoTime(value, layout), layout);
}

/** The current time as a metav1.Time. */
export function nowTime(): string {
  return formatGoTime({ seconds: Math.floor(Date.now() / 1000), nanos: 0 }, "time");
}
