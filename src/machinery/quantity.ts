// resource.Quantity as k8s.io/apimachinery parses and prints it: "500m", "1.5Gi", "1e3".
// kube re-serialises quantities in canonical form ("1000m" reads back as "1", "1.5Gi" as "1536Mi"),
// so a server that keeps the input verbatim would disagree with kubectl diffs against a real one.

export type QuantityFormat = "DecimalSI" | "BinarySI" | "DecimalExponent";

export interface Quantity {
  /** The value in units of 10^-9: kube keeps nano precision and rounds finer values away from zero. */
  nanos: bigint;
  format: QuantityFormat;
  /** The input itself, when kube keeps it because it is already canonical. */
  cached?: string;
}

export const ERR_FORMAT_WRONG =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
export const ERR_NUMERIC = "unable to parse quantity's numeric part";
export const ERR_SUFFIX = "unable to parse quantity's suffix";

export class QuantityError extends Error {}

const NANO = 1_000_000_000n;
const MAX_INT64 = (1n << 63n) - 1n;
/** Beyond this decimal exponent we refuse rather than build astronomically large integers. */
const MAX_EXPONENT = 1000;

const DEC_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BIN_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DEC_BY_EXPONENT = new Map(Object.entries(DEC_SUFFIXES).map(([s, e]) => [e, s]));
const BIN_BY_EXPONENT = new Map([[0, ""], ...Object.entries(BIN_SUFFIXES).map(([s, e]) => [e, s] as [number, string])]);

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";

interface Parts {
  positive: boolean;
  /** Sign, integer and fraction digits as written, for the exact slow path. */
  num: string;
  denom: string;
  suffix: string;
}

/** parseQuantityString, step for step, including its leniencies (".", "1.", a lone "-"). */
function split(str: string): Parts {
  let pos = 0;
  const end = str.length;
  let positive = true;
  if (str[0] === "-") {
    positive = false;
    pos++;
  } else if (str[0] === "+") pos++;
  while (pos < end && str[pos] === "0") pos++;
  if (pos >= end) return { positive, num: "0", denom: "", suffix: "" };
  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  let num = str.slice(pos, i);
  pos = i;
  if (num === "") num = "0";
  let denom = "";
  if (pos < end && str[pos] === ".") {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    pos = i;
    if (pos >= end) return { positive, num, denom, suffix: "" };
  }
  const suffixStart = pos;
  i = pos;
  while (i < end && "eEinumkKMGTP".includes(str[i] as string)) i++;
  if (i >= end) return { positive, num, denom, suffix: str.slice(suffixStart) };
  pos = i;
  if (str[pos] === "-" || str[pos] === "+") pos++;
  for (i = pos; i < end; i++) if (!isDigit(str[i])) throw new QuantityError(ERR_FORMAT_WRONG);
  return { positive, num, denom, suffix: str.slice(suffixStart) };
}

function interpretSuffix(suffix: string): { base: 2 | 10; exponent: number; format: QuantityFormat } {
  if (Object.hasOwn(DEC_SUFFIXES, suffix))
    return { base: 10, exponent: DEC_SUFFIXES[suffix] as number, format: "DecimalSI" };
  if (Object.hasOwn(BIN_SUFFIXES, suffix))
    return { base: 2, exponent: BIN_SUFFIXES[suffix] as number, format: "BinarySI" };
  if (suffix.length > 1 && (suffix[0] === "e" || suffix[0] === "E") && /^[+-]?\d+$/.test(suffix.slice(1))) {
    return { base: 10, exponent: Number(suffix.slice(1)), format: "DecimalExponent" };
  }
  throw new QuantityError(ERR_SUFFIX);
}

/** Parse a quantity as it appears in JSON (a string, or a bare number). Throws QuantityError. */
export function parseQuantity(input: string): Quantity {
  const str = input.trim();
  if (str.length === 0) throw new QuantityError(ERR_FORMAT_WRONG);
  if (str === "0") return { nanos: 0n, format: "DecimalSI", cached: str };
  const { positive, num, denom, suffix } = split(str);
  const { base, exponent, format: parsedFormat } = interpretSuffix(suffix);
  if (Math.abs(exponent) > MAX_EXPONENT) throw new QuantityError(ERR_NUMERIC);
  let format = parsedFormat;
  const digits = BigInt(num + denom);

  // value = digits × 10^(e10) × 2^e2, held as nanos.
  const e10 = (base === 10 ? exponent : 0) - denom.length + 9;
  const e2 = base === 2 ? exponent : 0;
  let magnitude = digits << BigInt(e2);
  if (e10 >= 0) magnitude *= 10n ** BigInt(e10);
  else {
    const div = 10n ** BigInt(-e10);
    const rem = magnitude % div;
    magnitude /= div;
    if (rem !== 0n) magnitude += 1n;
  }
  if (format === "BinarySI" && magnitude > MAX_INT64 * NANO) magnitude = MAX_INT64 * NANO;
  if (format === "BinarySI" && magnitude > 0n && magnitude < NANO) format = "DecimalSI";
  const nanos = positive ? magnitude : -magnitude;
  const q: Quantity = { nanos, format };
  if (keepsInput(num, denom, base, exponent, digits)) q.cached = str;
  return q;
}

/** kube's fast path keeps the input string when it is already in canonical form. */
function keepsInput(num: string, denom: string, base: number, exponent: number, digits: bigint): boolean {
  const shifted = num + denom;
  if (base === 2) {
    if (denom.length !== 0) return false;
    const precision = 15 - num.length - Math.trunc((exponent * 3) / 10) - 1;
    if (precision < 0) return false;
    if (digits << BigInt(exponent) > MAX_INT64) return false;
    return exponent % 10 === 0 && (digits & 7n) !== 0n;
  }
  if (18 - shifted.length < 0) return false;
  const scale = exponent - denom.length;
  if (scale < -9) return false;
  return scale % 3 === 0 && !shifted.endsWith("000") && shifted[0] !== "0";
}

function removeFactors(v: bigint, base: bigint): [bigint, number] {
  const negative = v < 0n;
  let r = negative ? -v : v;
  let times = 0;
  while (r >= base && r % base === 0n) {
    r /= base;
    times++;
  }
  return [negative ? -r : r, times];
}

/** The canonical text kube serialises (Quantity.String / MarshalJSON). */
export function formatQuantity(q: Quantity): string {
  if (q.cached !== undefined) return q.cached;
  if (q.nanos === 0n) return "0";
  let format = q.format;
  if (format === "BinarySI") {
    const limit = 1024n * NANO;
    if (q.nanos > -limit && q.nanos < limit) format = "DecimalSI";
    else if (q.nanos % NANO !== 0n) format = "DecimalSI";
  }
  if (format === "BinarySI") {
    const [n, times] = removeFactors(q.nanos / NANO, 1024n);
    return `${n}${BIN_BY_EXPONENT.get(times * 10) ?? ""}`;
  }
  let [m, times] = removeFactors(q.nanos, 10n);
  let exp = times - 9;
  // Go's % keeps the sign, like JS's: bring the exponent down to a multiple of 3.
  while (exp % 3 !== 0) {
    m *= 10n;
    exp--;
  }
  if (format === "DecimalExponent") return exp === 0 ? `${m}` : `${m}e${exp}`;
  return `${m}${DEC_BY_EXPONENT.get(exp) ?? ""}`;
}

export function compareQuantities(a: Quantity, b: Quantity): number {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

/** Quantity.MilliValue: the value in thousandths, rounded up. */
export function milliValue(q: Quantity): bigint {
  const div = 1_000_000n;
  const m = q.nanos / div;
  return q.nanos % div > 0n ? m + 1n : m;
}

/** A JSON value where a Quantity is expected: strings and bare numbers both decode. */
export function quantityFromJSON(v: unknown): Quantity {
  if (typeof v === "string") return parseQuantity(v);
  if (typeof v === "number") return parseQuantity(String(v));
  // Anything else reaches ParseQuantity as its JSON text and fails its syntax check.
  return parseQuantity(JSON.stringify(v) ?? "");
}
