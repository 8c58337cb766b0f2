// Dividing a Deployment's replicas over clusters: Webster's divisor method (Sainte-Laguë), the
// method Karmada moved to in 1.16 for its users' complaints about uneven and jumpy splits.
//
// Think of every cluster c with weight w as offering an endless list of "seats" k = 0, 1, 2, …,
// seat k having the priority w / (k + ½). The division of R replicas is the R seats of highest
// priority among all clusters' lists; cluster c's share is how many of its seats are among them.
// Ties are broken by a total order fixed in advance — higher priority first, then the cluster's
// name (ascending), then the seat number — so the chosen set is a function of the lists alone.
// That one order gives every property the splitter promises, ties included:
//
// - idempotent: the same clusters, weights and R always give the same shares;
// - monotone: R + 1 takes the top R seats plus the next one, so raising R never lowers a share,
//   and lowering it never raises one;
// - inert: a cluster joining adds its seats to the merged list, which only pushes other seats out
//   of the top R (their shares shrink, by exactly what the joiner takes); a cluster leaving only
//   lets others' seats in (they grow by exactly what it held);
// - fair: the result is Webster's: some divisor d makes every share w/d rounded to the nearest whole
//   number, so equal weights give shares that differ by at most one, the larger ones going to the
//   first names in sorted order.
//
// Weight 0 means "only if nobody else can": a zero-weight cluster's seats have priority 0 and come
// after every seat of a positive one. When every cluster weighs 0 they are all treated as weight 1
// (replicas must go somewhere while any cluster is Ready); that keeps the inert property, because
// the switch happens only when the one positive cluster joins or leaves.
//
// Computing it seat by seat costs O(R); replicas go up to 2^31 − 1, so the shares start from the
// proportional guess floor(R·w/W) and seats are then added, removed and swapped one at a time (a few
// per cluster) until the set is exactly the top R of the order. Priorities are compared exactly, by
// cross-multiplying whole numbers (w·(2k'+1) against w'·(2k+1)), which stays below 2^53 for the
// bounds below.

/** The largest weight a cluster may have (keeps the exact comparisons within 2^53). */
export const MAX_WEIGHT = 1_000_000;
/** The most replicas a Deployment may ask for (spec.replicas is an int32). */
export const MAX_REPLICAS = 2 ** 31 - 1;

export interface Claim {
  /** The cluster's name: ties go to the name that sorts first. */
  name: string;
  /** A whole number from 0 to MAX_WEIGHT. */
  weight: number;
}

interface Seat {
  name: string;
  weight: number;
  k: number;
}

/** Whether seat a comes before seat b in the order: higher priority, then name, then seat number. */
function before(a: Seat, b: Seat): boolean {
  // w_a / (k_a + ½) > w_b / (k_b + ½)  ⇔  w_a·(2k_b + 1) > w_b·(2k_a + 1)
  const lhs = a.weight * (2 * b.k + 1);
  const rhs = b.weight * (2 * a.k + 1);
  if (lhs !== rhs) return lhs > rhs;
  if (a.name !== b.name) return a.name < b.name;
  return a.k < b.k;
}

/**
 * Divides `replicas` over `claims` (distinct names). Returns each name's share, in the claims' own
 * order, summing to `replicas` (an empty claim list gets nothing). Throws on input outside the
 * documented bounds: callers validate user input before.
 */
export function divide(replicas: number, claims: readonly Claim[]): Map<string, number> {
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > MAX_REPLICAS) {
    throw new RangeError(`replicas must be a whole number from 0 to ${MAX_REPLICAS}, not ${replicas}`);
  }
  const names = new Set<string>();
  for (const c of claims) {
    if (names.has(c.name)) throw new RangeError(`cluster ${c.name} is named twice`);
    names.add(c.name);
    if (!Number.isInteger(c.weight) || c.weight < 0 || c.weight > MAX_WEIGHT) {
      throw new RangeError(`the weight of ${c.name} must be a whole number from 0 to ${MAX_WEIGHT}`);
    }
  }
  const shares = new Map<string, number>();
  for (const c of claims) shares.set(c.name, 0);
  if (claims.length === 0 || replicas === 0) return shares;

  const total = claims.reduce((sum, c) => sum + c.weight, 0);
  const parties = claims.map((c) => ({ name: c.name, weight: total === 0 ? 1 : c.weight, share: 0 }));
  const weightSum = total === 0 ? parties.length : total;
  // The proportional guess: never more than a few seats per cluster away from the answer.
  let seated = 0;
  for (const p of parties) {
    p.share = Math.floor((replicas * p.weight) / weightSum);
    seated += p.share;
  }
  // The best seat not taken (each cluster's next one), and the worst seat taken (each one's last).
  const bestOut = () => {
    let best: Seat | undefined;
    let at = -1;
    parties.forEach((p, i) => {
      const s = { name: p.name, weight: p.weight, k: p.share };
      if (!best || before(s, best)) {
        best = s;
        at = i;
      }
    });
    return at;
  };
  const worstIn = () => {
    let worst: Seat | undefined;
    let at = -1;
    parties.forEach((p, i) => {
      if (p.share === 0) return;
      const s = { name: p.name, weight: p.weight, k: p.share - 1 };
      if (!worst || before(worst, s)) {
        worst = s;
        at = i;
      }
    });
    return at;
  };
  while (seated < replicas) {
    (parties[bestOut()] as { share: number }).share++;
    seated++;
  }
  while (seated > replicas) {
    (parties[worstIn()] as { share: number }).share--;
    seated--;
  }
  // Swap while a seat left out comes before one taken: the set becomes exactly the top R.
  for (;;) {
    const i = bestOut();
    const j = worstIn();
    const pi = parties[i] as (typeof parties)[number];
    const pj = parties[j] as (typeof parties)[number];
    const out = { name: pi.name, weight: pi.weight, k: pi.share };
    const inside = { name: pj.name, weight: pj.weight, k: pj.share - 1 };
    if (!before(out, inside)) break;
    pi.share++;
    pj.share--;
  }
  for (const p of parties) shares.set(p.name, p.share);
  return shares;
}
