// The CSR signing and cleaning controllers of kube-controller-manager (csrsigning, csrcleaner),
// in-process, for every logical cluster with one informer on certificatesigningrequests:
//
// - signing: an approved CSR for a signer kcp handles (see signer.ts) gets status.certificate,
//   signed by kcp's CA, or a `Failed` condition (reason SignerValidationFailure) when it breaks its
//   signer's rules. Pending, denied, failed and already issued CSRs are left alone. As in kube,
//   there is no `Issued` condition: kubectl shows `Approved,Issued` from the certificate's presence.
// - cleaning (kube's csrcleaner, every hour by default): a CSR is deleted once it is issued and
//   approved for over 1 hour, denied or failed for over 1 hour, pending (no condition) for over
//   24 hours, or its certificate has expired.

import { X509Certificate } from "node:crypto";
import type { ObjectStore } from "../../apis/store.ts";
import type { KObject, RequestContext, ResourceDef } from "../../apis/types.ts";
import { Informer } from "../../client/informer.ts";
import { log } from "../../log.ts";
import { StatusError } from "../../machinery/status.ts";
import { WorkQueue } from "../../client/work-queue.ts";
import { certificateOf, decide, isSignerHandled, type SigningCA } from "./signer.ts";

const HOUR_MS = 60 * 60 * 1000;

/** kube's csrcleaner periods. */
export const DEFAULT_CLEANUP = {
  intervalMs: HOUR_MS,
  approvedMs: HOUR_MS,
  deniedMs: HOUR_MS,
  failedMs: HOUR_MS,
  pendingMs: 24 * HOUR_MS,
};

export type CleanupSettings = typeof DEFAULT_CLEANUP;

export interface CsrControllerOptions {
  /** The longest certificate signed (kube's --cluster-signing-duration); default one year. */
  maxDurationMs?: number;
  cleanup?: Partial<CleanupSettings>;
}

const SIGNER_USER = {
  username: "system:serviceaccount:kube-system:certificate-controller",
  groups: ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"],
};

interface Condition {
  type?: string;
  status?: string;
  lastUpdateTime?: string;
}

function conditionsOf(csr: KObject): Condition[] {
  const list = (csr.status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(list) ? (list as Condition[]) : [];
}

/** Whether a condition of this type was last updated longer than `ms` ago. */
function conditionOlderThan(csr: KObject, type: string, ms: number, now: number): boolean {
  return conditionsOf(csr).some((c) => c?.type === type && olderThan(c.lastUpdateTime, ms, now));
}

function olderThan(time: string | undefined, ms: number, now: number): boolean {
  if (!time) return false;
  const t = Date.parse(time);
  return !Number.isNaN(t) && t + ms < now;
}

/** The end of validity of the first certificate in a PEM bundle (base64 in the object), if readable. */
function certificateNotAfter(base64: string): number | undefined {
  try {
    const pem = Buffer.from(base64, "base64").toString("latin1");
    return new X509Certificate(pem).validToDate.getTime();
  } catch {
    return undefined;
  }
}

/** Why the cleaner deletes this CSR now (kube's csrcleaner rules), or undefined to keep it. */
export function cleanupReason(csr: KObject, settings: CleanupSettings, now: number): string | undefined {
  const cert = certificateOf(csr);
  if (cert && conditionOlderThan(csr, "Approved", settings.approvedMs, now)) return "issued and approved";
  if (conditionOlderThan(csr, "Denied", settings.deniedMs, now)) return "denied";
  if (conditionOlderThan(csr, "Failed", settings.failedMs, now)) return "failed";
  if (conditionsOf(csr).length === 0 && olderThan(csr.metadata.creationTimestamp, settings.pendingMs, now))
    return "pending";
  if (cert) {
    const notAfter = certificateNotAfter(cert);
    if (notAfter !== undefined && notAfter < now) return "its certificate expired";
  }
  return undefined;
}

export class CsrController {
  private readonly informer: Informer;
  private readonly work = new WorkQueue("csr signing controller", (item) => this.syncItem(item));
  private readonly cleanup: CleanupSettings;
  private cleanupTimer?: ReturnType<typeof setInterval>;
  /** `<cluster>/<name>` of every cached CSR, for the cleaner (cached objects do not carry their cluster). */
  private readonly known = new Set<string>();
  private stopped = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly def: ResourceDef,
    private readonly ca: SigningCA,
    private readonly opts: CsrControllerOptions = {},
  ) {
    this.cleanup = { ...DEFAULT_CLEANUP, ...opts.cleanup };
    const consider = (csr: KObject, cluster: string) => {
      this.known.add(`${cluster}/${csr.metadata.name}`);
      if (this.needsSigning(csr)) this.work.add(`${cluster}/${csr.metadata.name}`);
    };
    this.informer = new Informer(store, def, {
      name: "certificatesigningrequests",
      onAdd: consider,
      onUpdate: (_old, csr, cluster) => consider(csr, cluster),
      onDelete: (csr, cluster) => this.known.delete(`${cluster}/${csr.metadata.name}`),
    });
  }

  async start(): Promise<void> {
    await this.informer.start();
    if (this.stopped) return;
    this.sweep();
    this.cleanupTimer = setInterval(() => this.sweep(), this.cleanup.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.cleanupTimer) clearInterval(this.cleanupTimer);
    this.informer.stop();
    this.work.stop();
  }

  private needsSigning(csr: KObject): boolean {
    const signer = (csr.spec as { signerName?: unknown } | undefined)?.signerName;
    return typeof signer === "string" && isSignerHandled(signer) && decideCheap(csr);
  }

  /** An item is `<cluster>/<name>`: CSRs are cluster-scoped and names cannot hold a slash. */
  private async syncItem(item: string): Promise<boolean> {
    const slash = item.indexOf("/");
    const cluster = item.slice(0, slash);
    const name = item.slice(slash + 1);
    const csr = this.informer.get(undefined, name, cluster);
    if (!csr) return true;
    const decision = decide(csr, this.ca, { maxDurationMs: this.opts.maxDurationMs });
    if (decision.action === "none") return true;
    const ctx: RequestContext = { cluster, user: SIGNER_USER, dryRun: false, warnings: [] };
    const uid = csr.metadata.uid;
    try {
      await this.store.update(
        this.def,
        ctx,
        undefined,
        name,
        (current) => {
          // Another object by the same name, or issued, denied or failed meanwhile: write nothing.
          if (current.metadata.uid !== uid || !decideCheap(current)) throw new Skip();
          // A write in between re-runs this on the newer object rather than failing with a conflict.
          delete current.metadata.resourceVersion;
          const status = (current.status ?? {}) as { certificate?: string; conditions?: unknown[] };
          if (decision.action === "issue") {
            status.certificate = Buffer.from(decision.certificate).toString("base64");
          } else {
            status.conditions = [
              ...(Array.isArray(status.conditions) ? status.conditions : []),
              { type: "Failed", status: "True", reason: decision.reason, message: decision.message },
            ];
          }
          current.status = status;
          return current;
        },
        { subresource: "status" },
      );
      if (decision.action === "issue") log.info(`csr signing: issued a certificate for ${cluster}/${name}`);
      else log.info(`csr signing: ${cluster}/${name} failed: ${decision.message}`);
    } catch (e) {
      if (e instanceof Skip) return true;
      if (e instanceof StatusError && e.code === 404) return true;
      throw e;
    }
    return true;
  }

  /** One cleaning pass over the cached CSRs of every logical cluster. */
  private sweep(): void {
    const now = Date.now();
    for (const key of this.known) {
      const slash = key.indexOf("/");
      const cluster = key.slice(0, slash);
      const name = key.slice(slash + 1);
      const csr = this.informer.get(undefined, name, cluster);
      const reason = csr && cleanupReason(csr, this.cleanup, now);
      if (csr && reason) void this.remove(csr, cluster, name, reason);
    }
  }

  private async remove(csr: KObject, cluster: string, name: string, reason: string): Promise<void> {
    const ctx: RequestContext = { cluster, user: SIGNER_USER, dryRun: false, warnings: [] };
    try {
      const uid = csr.metadata.uid;
      await this.store.delete(this.def, ctx, undefined, name, uid ? { preconditions: { uid } } : {});
      log.info(`csr cleaner: deleted ${cluster}/${name} (${reason})`);
    } catch (e) {
      if (e instanceof StatusError && (e.code === 404 || e.code === 409)) return;
      log.warn(`csr cleaner: ${cluster}/${name}: ${(e as Error).message}`);
    }
  }
}

class Skip extends Error {}

/** Approved, not failed, not yet issued: worth a look by the signer. */
function decideCheap(csr: KObject): boolean {
  const conditions = conditionsOf(csr);
  const has = (t: string) => conditions.some((c) => c?.type === t && c.status === "True");
  return has("Approved") && !has("Denied") && !has("Failed") && !certificateOf(csr);
}
