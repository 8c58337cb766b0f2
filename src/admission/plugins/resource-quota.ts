// ResourceQuota admission: a create that would take a namespace past an object-count quota
// (`count/<resource>[.<group>]`, or kube's legacy names `configmaps`, `secrets`, `resourcequotas`)
// is refused with kube-apiserver's 403:
//   configmaps "c3" is forbidden: exceeded quota: q, requested: count/configmaps=1,
//   used: count/configmaps=2, limited: count/configmaps=2
//
// The counts come from memory (the ledger: informers over the counted resources, see
// src/controllers/quota/), never from a list per create. Check and reserve are one synchronous
// step, so within this process they are serialised per namespace by construction: of ten
// concurrent creates against a limit of three, the first three to reach this step reserve the
// three slots and the others see them taken. A reservation counts until the informer sees the
// object (or, when the write failed after admission, until it expires). kube-apiserver serialises
// through the quota's status instead (a compare-and-swap on status.used by every replica); here
// each kcp replica counts its own reservations, so replicas on one etcd enforce the limit up to
// the short window in which another replica's admitted create is not yet in this one's watch
// (docs/etcd.md, "Several kcp servers").

import type { AdmissionAttributes, AdmissionOperation, AdmissionPlugin } from "../../apis/admission.ts";
import type { ResourceDef } from "../../apis/types.ts";
import { compareQuantities, parseQuantity, type Quantity } from "../../machinery/quantity.ts";
import { errors } from "../../machinery/status.ts";

/** One quota's limit on a resource's objects in a namespace. */
export interface QuotaLimit {
  /** The ResourceQuota's name. */
  quota: string;
  /** The name the quota limits it by: `count/configmaps`, `configmaps`, `count/widgets.example.com`. */
  resourceName: string;
  /** spec.hard's value, as stored (canonical). */
  hard: string;
}

/** What the plugin needs of the quota bookkeeping (src/controllers/quota/quota-usage.ts has it). */
export interface QuotaLedger {
  /** The object-count limits on `def` in the namespace, from memory; empty when nothing limits it. */
  limits(cluster: string, namespace: string, def: ResourceDef): QuotaLimit[];
  /** Resolves once `def`'s objects are counted (their first list is in); undefined when they are. */
  whenCounted(def: ResourceDef): Promise<void> | undefined;
  /** How many objects of `def` the namespace holds, with those admitted but not seen yet. */
  used(cluster: string, namespace: string, def: ResourceDef): number;
  /** Whether an object of that name is known to exist (its create will fail: nothing to reserve). */
  exists(cluster: string, namespace: string, def: ResourceDef, name: string): boolean;
  /** Count an admitted create until its object is seen. */
  reserve(cluster: string, namespace: string, def: ResourceDef, name: string): void;
}

const RESOURCE_QUOTA = "ResourceQuota";

/** kube's prettyPrint of a resource list: `name=value` pairs sorted by name, joined by commas. */
function prettyPrint(entries: [string, string][]): string {
  return entries
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

function parsed(hard: string): Quantity | undefined {
  try {
    return parseQuantity(hard);
  } catch {
    return undefined;
  }
}

/** How long a create waits for its resource's first count (kube's quota admission gives up after 10 s too). */
const COUNTING_DEADLINE_MS = 10_000;

/** The counting, or a 504 once it has taken longer than the deadline (storage unreachable). */
function withinDeadline(counting: Promise<void>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(errors.timeout("resource quota evaluation timed out: the objects under quota are not counted yet")),
      COUNTING_DEADLINE_MS,
    );
  });
  return Promise.race([counting, late]).finally(() => clearTimeout(timer));
}

export function resourceQuota(ledger: QuotaLedger): AdmissionPlugin {
  /** Check and reserve: synchronous from the first read to the reservation. */
  const admit = (a: AdmissionAttributes, namespace: string): void => {
    const { cluster } = a.ctx;
    const limits = ledger.limits(cluster, namespace, a.def);
    if (limits.length === 0) return;
    const used = ledger.used(cluster, namespace, a.def);
    const after = parseQuantity(String(used + 1));
    const byQuota = new Map<string, QuotaLimit[]>();
    for (const l of limits) byQuota.set(l.quota, [...(byQuota.get(l.quota) ?? []), l]);
    for (const quota of [...byQuota.keys()].sort()) {
      const exceeded = (byQuota.get(quota) ?? []).filter((l) => {
        const hard = parsed(l.hard);
        return hard !== undefined && compareQuantities(after, hard) > 0;
      });
      if (exceeded.length === 0) continue;
      const name = a.object?.metadata.name || a.name;
      const def = a.def;
      const resource = def.group ? `${def.plural}.${def.group}` : def.plural;
      throw errors.forbidden(
        `${resource} "${name}" is forbidden: exceeded quota: ${quota}, requested: ${prettyPrint(exceeded.map((l) => [l.resourceName, "1"]))}, used: ${prettyPrint(exceeded.map((l) => [l.resourceName, String(used)]))}, limited: ${prettyPrint(exceeded.map((l) => [l.resourceName, l.hard]))}`,
        { group: def.group, resource: def.plural },
        name,
      );
    }
    const name = a.object?.metadata.name;
    if (!a.dryRun && name && !ledger.exists(cluster, namespace, a.def, name)) {
      ledger.reserve(cluster, namespace, a.def, name);
    }
  };

  return {
    name: RESOURCE_QUOTA,
    handles: (operation: AdmissionOperation) => operation === "CREATE",
    validate(a: AdmissionAttributes): Promise<void> | undefined {
      // Stored objects of namespaced kinds only, through the main resource (reviews and token
      // requests store nothing).
      if (!a.def.namespaced || a.def.mode !== "stored" || a.subresource || !a.namespace) return undefined;
      const namespace = a.namespace;
      if (ledger.limits(a.ctx.cluster, namespace, a.def).length === 0) return undefined;
      const counting = ledger.whenCounted(a.def);
      if (counting) return withinDeadline(counting).then(() => admit(a, namespace));
      admit(a, namespace);
      return undefined;
    },
  };
}
