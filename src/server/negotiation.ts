// Accept-header negotiation as kube-apiserver does it (goautoneg order, then the first clause an
// offer satisfies). The `as`, `g` and `v` parameters name a conversion target (Table, aggregated
// discovery): a clause that names one matches only an offer serving exactly that target.

import { BoundedMemo } from "../util/bounded-memo.ts";

export interface AcceptEntry {
  type: string;
  subtype: string;
  /** Parameters other than q, names and values trimmed. */
  params: Record<string, string>;
  q: number;
}

export interface Offer {
  type: string;
  subtype: string;
  /** Conversion parameters this offer serves (as, g, v); none for a plain serialization. */
  params: Record<string, string>;
  /** The exact media type to answer with in Content-Type. */
  mediaType: string;
}

const CONVERSION_PARAMS = ["as", "g", "v"] as const;

/** Build an offer from its media type, e.g. `application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`. */
export function offer(mediaType: string): Offer {
  const [range = "", ...rest] = mediaType.split(";");
  const [type = "", subtype = ""] = range.trim().toLowerCase().split("/");
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf("=");
    if (eq > 0) params[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
  }
  return { type, subtype, params, mediaType };
}

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

/** More specific ranges first among equal q, as goautoneg sorts. */
function specificity(e: AcceptEntry): number {
  return (e.type === "*" ? 0 : 1) + (e.subtype === "*" ? 0 : 1);
}

/**
 * Parse an Accept header into entries ordered by preference: q descending, then exact types before
 * wildcards, then header order. Malformed ranges are dropped (goautoneg skips them too).
 */
export function parseAccept(header: string): readonly AcceptEntry[] {
  return parsedAccepts.get(header);
}

/** Clients send the same few headers over and over: each is parsed once (frozen: every caller shares it). */
const MAX_REMEMBERED_HEADERS = 256;
const MAX_REMEMBERED_HEADER_LENGTH = 1024;
const parsedAccepts = new BoundedMemo(parseAcceptUncached, MAX_REMEMBERED_HEADERS, MAX_REMEMBERED_HEADER_LENGTH);

function parseAcceptUncached(header: string): readonly AcceptEntry[] {
  const entries: AcceptEntry[] = [];
  for (const part of header.split(",")) {
    const [range = "", ...paramParts] = part.split(";");
    const sp = range.trim().split("/");
    const type = (sp[0] ?? "").trim().toLowerCase();
    let subtype: string;
    if (sp.length === 1 && type === "*") subtype = "*";
    else if (sp.length === 2) subtype = (sp[1] ?? "").trim().toLowerCase();
    else continue;
    if (!type || !subtype) continue;
    // Parameter names come from the client: no prototype to find `constructor` or `__proto__` on.
    const params: Record<string, string> = Object.create(null);
    let q = 1;
    for (const p of paramParts) {
      const eq = p.indexOf("=");
      if (eq < 0) continue;
      const name = p.slice(0, eq).trim();
      const value = unquote(p.slice(eq + 1).trim());
      if (name === "q") {
        const n = Number(value);
        q = value !== "" && Number.isFinite(n) ? Math.min(Math.max(n, 0), 1) : 0;
      } else {
        params[name] = value;
      }
    }
    entries.push({ type, subtype, params, q });
  }
  // Array.prototype.sort is stable, so equal entries keep header order.
  entries.sort((a, b) => b.q - a.q || specificity(b) - specificity(a));
  for (const e of entries) Object.freeze(Object.freeze(e).params);
  return Object.freeze(entries);
}

function conversionMatches(entry: AcceptEntry, o: Offer): boolean {
  return CONVERSION_PARAMS.every((p) => (entry.params[p] ?? "") === (o.params[p] ?? ""));
}

function rangeMatches(entry: AcceptEntry, o: Offer): boolean {
  if (entry.type === "*") return entry.subtype === "*";
  return entry.type === o.type && (entry.subtype === "*" || entry.subtype === o.subtype);
}

function isPlain(o: Offer): boolean {
  return CONVERSION_PARAMS.every((p) => !o.params[p]);
}

/**
 * The offer to answer with, or null when none is acceptable (the caller answers 406). A missing or
 * empty header gets the first plain JSON offer (else the first plain offer). Clauses with q=0 are
 * refusals and never match. Offers are tried in the order given for each clause.
 */
export function negotiate<T extends Offer>(accept: string | null | undefined, offers: readonly T[]): T | null {
  // Negotiated once per offer list and header.
  let answers = negotiated.get(offers);
  if (!answers) {
    answers = new BoundedMemo(
      (header) => negotiateUncached(header, offers),
      MAX_REMEMBERED_HEADERS,
      MAX_REMEMBERED_HEADER_LENGTH,
    );
    negotiated.set(offers, answers);
  }
  return answers.get(accept ?? "") as T | null;
}

const negotiated = new WeakMap<readonly Offer[], BoundedMemo<Offer | null>>();

function negotiateUncached<T extends Offer>(accept: string, offers: readonly T[]): T | null {
  if (accept.trim() === "") {
    const plain = offers.filter(isPlain);
    return plain.find((o) => o.type === "application" && o.subtype === "json") ?? plain[0] ?? null;
  }
  for (const entry of parseAccept(accept)) {
    if (entry.q <= 0) continue;
    for (const o of offers) if (rangeMatches(entry, o) && conversionMatches(entry, o)) return o;
  }
  return null;
}
