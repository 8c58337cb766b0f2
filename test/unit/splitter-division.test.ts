// The replica division: table cases, then each promised property over random weights (0
// included), replica counts (0..1000) and cluster sets, from a seeded PRNG whose seed is printed
// (KCP_TEST_SEED=<n> replays a run).
import { describe, expect, test } from "bun:test";
import { type Claim, divide, MAX_REPLICAS, MAX_WEIGHT } from "../../src/controllers/splitter/division.ts";
import { parseWeights, weightOf } from "../../src/controllers/splitter/weights.ts";

const SEED = Number(process.env.KCP_TEST_SEED ?? Date.now() % 2 ** 31);
console.log(`splitter division property seed: ${SEED} (KCP_TEST_SEED=${SEED} replays it)`);

/** mulberry32: small, seedable, good enough for test inputs. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(SEED);
const int = (n: number) => Math.floor(rand() * n);

const NAMES = ["a", "b", "c", "d", "e", "f", "g", "h", "east", "west", "north", "south"];

function randomClaims(): Claim[] {
  const pool = [...NAMES].sort(() => rand() - 0.5);
  const n = 1 + int(8);
  const smallWeights = rand() < 0.5;
  return pool.slice(0, n).map((name) => ({
    name,
    // Small weights make ties frequent; some zeros; now and then a large one.
    weight: rand() < 0.15 ? 0 : smallWeights ? 1 + int(3) : rand() < 0.1 ? int(MAX_WEIGHT + 1) : 1 + int(100),
  }));
}

function shares(r: number, claims: Claim[]): Record<string, number> {
  return Object.fromEntries(divide(r, claims));
}

/** The definition, seat by seat: repeatedly give the next replica to the highest w/(s+½), ties by name. */
function reference(r: number, claims: Claim[]): Record<string, number> {
  const total = claims.reduce((s, c) => s + c.weight, 0);
  const ws = claims.map((c) => ({ name: c.name, w: total === 0 ? 1 : c.weight, s: 0 }));
  for (let i = 0; i < r; i++) {
    let best = ws[0] as (typeof ws)[number];
    for (const p of ws) {
      const lhs = p.w * (2 * best.s + 1);
      const rhs = best.w * (2 * p.s + 1);
      if (lhs > rhs || (lhs === rhs && p.name < best.name)) best = p;
    }
    best.s++;
  }
  return Object.fromEntries(ws.map((p) => [p.name, p.s]));
}

const RUNS = 400;

describe("divide: table", () => {
  const even = (...names: string[]) => names.map((name) => ({ name, weight: 1 }));
  test.each([
    [10, even("east", "west"), { east: 5, west: 5 }],
    [15, even("east", "west"), { east: 8, west: 7 }],
    [15, even("west", "east"), { east: 8, west: 7 }],
    [3, even("a", "b"), { a: 2, b: 1 }],
    [1, even("c", "b", "a"), { a: 1, b: 0, c: 0 }],
    [0, even("a", "b"), { a: 0, b: 0 }],
    [10, even("a", "b", "c"), { a: 4, b: 3, c: 3 }],
    [11, even("a", "b", "c"), { a: 4, b: 4, c: 3 }],
    [
      9,
      [
        { name: "east", weight: 2 },
        { name: "west", weight: 1 },
      ],
      { east: 6, west: 3 },
    ],
    [
      10,
      [
        { name: "east", weight: 2 },
        { name: "west", weight: 1 },
      ],
      { east: 7, west: 3 },
    ],
    [
      10,
      [
        { name: "a", weight: 0 },
        { name: "b", weight: 1 },
      ],
      { a: 0, b: 10 },
    ],
    [
      5,
      [
        { name: "a", weight: 0 },
        { name: "b", weight: 0 },
      ],
      { a: 3, b: 2 },
    ],
    // Webster, not Hamilton: 7 over 5:2:... shows the divisor rounding (quotas 3.5/1.4/2.1).
    [
      7,
      [
        { name: "a", weight: 50 },
        { name: "b", weight: 20 },
        { name: "c", weight: 30 },
      ],
      { a: 4, b: 1, c: 2 },
    ],
    [MAX_REPLICAS, even("a", "b"), { a: 2 ** 30, b: 2 ** 30 - 1 }],
  ])("%p replicas over %j", (r, claims, want) => {
    expect(shares(r, claims)).toEqual(want);
  });

  test("no clusters: nothing", () => {
    expect(divide(5, []).size).toBe(0);
  });

  test("bad input throws", () => {
    expect(() => divide(-1, [{ name: "a", weight: 1 }])).toThrow(RangeError);
    expect(() => divide(1.5, [{ name: "a", weight: 1 }])).toThrow(RangeError);
    expect(() => divide(1, [{ name: "a", weight: MAX_WEIGHT + 1 }])).toThrow(RangeError);
    expect(() =>
      divide(1, [
        { name: "a", weight: 1 },
        { name: "a", weight: 2 },
      ]),
    ).toThrow(RangeError);
  });
});

describe("divide: properties", () => {
  test("sums to R and equals the seat-by-seat definition", () => {
    for (let i = 0; i < RUNS; i++) {
      const claims = randomClaims();
      const r = int(1001);
      const got = shares(r, claims);
      expect(Object.values(got).reduce((s, v) => s + v, 0)).toBe(r);
      if (r <= 300) expect(got).toEqual(reference(r, claims));
    }
  });

  test("idempotent: same input, same shares, whatever the claims' order", () => {
    for (let i = 0; i < RUNS; i++) {
      const claims = randomClaims();
      const r = int(1001);
      const shuffled = [...claims].sort(() => rand() - 0.5);
      expect(shares(r, shuffled)).toEqual(shares(r, claims));
      expect(shares(r, claims)).toEqual(shares(r, claims));
    }
  });

  test("monotone: R+1 never lowers a share, R-1 never raises one", () => {
    for (let i = 0; i < RUNS; i++) {
      const claims = randomClaims();
      const r = int(1000);
      const lo = shares(r, claims);
      const hi = shares(r + 1 + int(50), claims);
      for (const c of claims) expect(hi[c.name] as number).toBeGreaterThanOrEqual(lo[c.name] as number);
    }
  });

  test("inert: a joiner only takes, a leaver only frees", () => {
    for (let i = 0; i < RUNS; i++) {
      const claims = randomClaims();
      const r = int(1001);
      const fresh = NAMES.find((n) => !claims.some((c) => c.name === n));
      if (!fresh) continue;
      const joiner = { name: fresh, weight: rand() < 0.2 ? 0 : 1 + int(5) };
      const before = shares(r, claims);
      const after = shares(r, [...claims, joiner]);
      let lost = 0;
      for (const c of claims) {
        expect(after[c.name] as number).toBeLessThanOrEqual(before[c.name] as number);
        lost += (before[c.name] as number) - (after[c.name] as number);
      }
      expect(lost).toBe(after[fresh] as number);
      // Leaving is joining backwards: from `after` the joiner leaves and `before` comes back.
      for (const c of claims) expect(before[c.name] as number).toBeGreaterThanOrEqual(after[c.name] as number);
    }
  });

  test("inert: a member leaving frees exactly its share to the others", () => {
    for (let i = 0; i < RUNS; i++) {
      const claims = randomClaims();
      if (claims.length < 2) continue;
      const r = int(1001);
      const leaver = claims[int(claims.length)] as Claim;
      const rest = claims.filter((c) => c !== leaver);
      const before = shares(r, claims);
      const after = shares(r, rest);
      let gained = 0;
      for (const c of rest) {
        expect(after[c.name] as number).toBeGreaterThanOrEqual(before[c.name] as number);
        gained += (after[c.name] as number) - (before[c.name] as number);
      }
      expect(gained).toBe(before[leaver.name] as number);
    }
  });

  test("fair: Webster's divisor criterion holds; equal weights differ by at most one, extras to the first names", () => {
    for (let i = 0; i < RUNS; i++) {
      const claims = randomClaims();
      const r = int(1001);
      const got = shares(r, claims);
      const total = claims.reduce((s, c) => s + c.weight, 0);
      const w = (c: Claim) => (total === 0 ? 1 : c.weight);
      // Some divisor d rounds every w/d to its share: max over taken (s−½)/w ≤ min over all (s+½)/w.
      const positive = claims.filter((c) => w(c) > 0);
      for (const x of positive) {
        for (const y of positive) {
          const sx = got[x.name] as number;
          const sy = got[y.name] as number;
          if (sx === 0) continue;
          // (sx − ½)/wx ≤ (sy + ½)/wy  ⇔  (2sx − 1)·wy ≤ (2sy + 1)·wx
          expect((2 * sx - 1) * w(y)).toBeLessThanOrEqual((2 * sy + 1) * w(x));
        }
      }
      for (const c of claims) if (total > 0 && c.weight === 0) expect(got[c.name]).toBe(0);
    }
    for (let i = 0; i < RUNS; i++) {
      const names = NAMES.slice(0, 1 + int(NAMES.length)).sort();
      const r = int(1001);
      const got = shares(
        r,
        names.map((name) => ({ name, weight: 1 })),
      );
      const values = names.map((n) => got[n] as number);
      expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1);
      // Sorted names: the larger shares come first.
      expect([...values].sort((x, y) => y - x)).toEqual(values);
    }
  });

  test("large replica counts and weights stay exact", () => {
    for (let i = 0; i < 50; i++) {
      const claims = randomClaims().map((c) => ({ ...c, weight: int(MAX_WEIGHT + 1) }));
      // r + 1 is divided too, so r stays below the bound.
      const r = MAX_REPLICAS - 1 - int(1000);
      const got = shares(r, claims);
      expect(Object.values(got).reduce((s, v) => s + v, 0)).toBe(r);
      const more = shares(r + 1, claims);
      for (const c of claims) expect(more[c.name] as number).toBeGreaterThanOrEqual(got[c.name] as number);
    }
  });
});

describe("weights annotation", () => {
  test("parses names, * and defaults", () => {
    const r = parseWeights("east=2, west=1,*=0");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(weightOf(r.weights, "east")).toBe(2);
    expect(weightOf(r.weights, "west")).toBe(1);
    expect(weightOf(r.weights, "north")).toBe(0);
    const none = parseWeights(undefined);
    expect(none.ok && weightOf(none.weights, "x")).toBe(1);
    const proto = parseWeights("constructor=3");
    expect(proto.ok && weightOf(proto.weights, "toString")).toBe(1);
  });

  test.each([
    ["east", "is not <cluster>=<weight>"],
    ["east=-1", "not a whole number"],
    ["east=1.5", "not a whole number"],
    ["east=2000000", "not a whole number"],
    ["east=1,east=2", "east is given twice"],
    ["*=1,*=2", "* is given twice"],
    ["bad name=1", "is not a cluster name"],
    ["=1", "is not a cluster name"],
  ])("%p is refused (%p)", (value, message) => {
    const r = parseWeights(value);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(message);
  });
});
