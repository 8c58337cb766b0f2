// Flow control for the whole server: two seat pools, as kube-apiserver's in-flight limits split
// them — mutating requests (`--max-mutating-requests-inflight`, 200) and read-only ones
// (`--max-requests-inflight`, 400) — each shared fairly among flows (seat-pool.ts), and the
// counts /metrics shows. With a share per flow, one usage ledger for both pools (flow-usage.ts):
// a flow yields to a much lighter one, whichever pool their requests are in, since both share the
// one event loop. Which requests are exempt is the filter's business (filters/fairness.ts).

import { type ExpositionWriter, labelSet } from "../../util/prometheus.ts";
import { type Clock, FlowUsage } from "./flow-usage.ts";
import { type RejectReason, type Release, SeatPool, type Timers } from "./seat-pool.ts";

/** kube-apiserver's --max-requests-inflight default. */
export const DEFAULT_MAX_REQUESTS_INFLIGHT = 400;
/** kube-apiserver's --max-mutating-requests-inflight default. */
export const DEFAULT_MAX_MUTATING_REQUESTS_INFLIGHT = 200;
/**
 * A flow's share of each pool. Measured (docs/performance.md, `npm run bench -- fairness`): one
 * event loop commits as fast with a handful of creates in flight as with 200, so a small share
 * costs a lone tenant nothing, and the fewer the noisy tenant has in progress the sooner another
 * tenant's request is through; 4 did at least as well as 8 on both counts.
 */
export const DEFAULT_MAX_REQUESTS_INFLIGHT_PER_FLOW = 4;
/**
 * Requests one flow may have waiting. API Priority and Fairness' suggested priority levels deal
 * each flow a hand of 6 queues (handSize) of 50 (queueLengthLimit) and put a request in the
 * shortest of them, so one flow may have 300 waiting before a 429. Waiting costs a queue entry,
 * not event-loop time; a flow that overflows its queue gets 429s, and its client retries them all
 * a second later at once, a burst of work for the server (measured: 12-21 ms of loop every second
 * with a queue of 50 beside 200 concurrent creates).
 */
export const FLOW_QUEUE_LENGTH = 300;

export type RequestKind = "mutating" | "readOnly";

export interface FlowControlOptions {
  /** Read-only seats in all; 0: no limit. */
  maxRequestsInflight: number;
  /** Mutating seats in all; 0: no limit. */
  maxMutatingRequestsInflight: number;
  /** Seats of each pool one flow may hold; 0: no share. */
  perFlow: number;
  /** The longest wait for a seat. */
  waitLimitMs: number;
  timers?: Timers;
  clock?: Clock;
}

/**
 * The server's flow control for its settings (kube's defaults when absent), or undefined when all
 * limits are 0. A request waits for a seat at most a quarter of the request timeout, as kube's does.
 */
export function flowControlFor(
  settings: Pick<FlowControlOptions, "maxRequestsInflight" | "maxMutatingRequestsInflight" | "perFlow"> | undefined,
  requestTimeoutMs: number,
): FlowControl | undefined {
  const s = settings ?? {
    maxRequestsInflight: DEFAULT_MAX_REQUESTS_INFLIGHT,
    maxMutatingRequestsInflight: DEFAULT_MAX_MUTATING_REQUESTS_INFLIGHT,
    perFlow: DEFAULT_MAX_REQUESTS_INFLIGHT_PER_FLOW,
  };
  if (s.maxRequestsInflight <= 0 && s.maxMutatingRequestsInflight <= 0 && s.perFlow <= 0) return undefined;
  return new FlowControl({ ...s, waitLimitMs: Math.ceil(requestTimeoutMs / 4) });
}

export class FlowControl {
  readonly pools: Record<RequestKind, SeatPool>;
  /** Rejections by kind and reason: `${kind} ${reason}` → count. */
  private readonly rejections = new Map<string, number>();

  /** Seat time per flow, shared by both pools; only with a share per flow. */
  readonly usage: FlowUsage | undefined;

  constructor(opts: FlowControlOptions) {
    this.usage = opts.perFlow > 0 ? new FlowUsage(opts.clock ? { clock: opts.clock } : {}) : undefined;
    const usage = this.usage;
    const pool = (seats: number) =>
      new SeatPool({
        seats,
        perFlow: opts.perFlow,
        queueLength: FLOW_QUEUE_LENGTH,
        // All flows' queues together hold at most as many requests as there are seats (or, with no
        // total, as many as 8 flows' full queues), so what waits here stays bounded too.
        maxWaiting: seats > 0 ? Math.max(seats, FLOW_QUEUE_LENGTH) : 8 * FLOW_QUEUE_LENGTH,
        waitLimitMs: opts.waitLimitMs,
        ...(opts.timers ? { timers: opts.timers } : {}),
        ...(usage ? { usage } : {}),
      });
    this.pools = {
      mutating: pool(opts.maxMutatingRequestsInflight),
      readOnly: pool(opts.maxRequestsInflight),
    };
  }

  acquire(kind: RequestKind, flow: string, signal?: AbortSignal): Release | Promise<Release> {
    return this.pools[kind].acquire(flow, signal);
  }

  noteRejected(kind: RequestKind, reason: RejectReason): void {
    const key = `${kind} ${reason}`;
    this.rejections.set(key, (this.rejections.get(key) ?? 0) + 1);
  }

  /** Requests rejected so far (all kinds and reasons). */
  get rejected(): number {
    let n = 0;
    for (const v of this.rejections.values()) n += v;
    return n;
  }

  /** The metric families for /metrics (kube's names; `request_kind` as its in-flight limits label them). */
  write(w: ExpositionWriter): void {
    w.family(
      "apiserver_current_inflight_requests",
      "gauge",
      "Number of requests being served now per request kind (watches and exempt requests not counted).",
    );
    for (const kind of ["mutating", "readOnly"] as const)
      w.sample("apiserver_current_inflight_requests", labelSet([["request_kind", kind]]), this.pools[kind].inFlight);
    w.family(
      "apiserver_flowcontrol_current_inqueue_requests",
      "gauge",
      "Number of requests currently pending in queues of the API Priority and Fairness subsystem.",
    );
    for (const kind of ["mutating", "readOnly"] as const)
      w.sample(
        "apiserver_flowcontrol_current_inqueue_requests",
        labelSet([["request_kind", kind]]),
        this.pools[kind].waiting,
      );
    w.family(
      "kcp_flowcontrol_paced_requests_total",
      "counter",
      "Number of requests started paced: their flow yielded to a much lighter active flow.",
    );
    for (const kind of ["mutating", "readOnly"] as const)
      w.sample("kcp_flowcontrol_paced_requests_total", labelSet([["request_kind", kind]]), this.pools[kind].pacedTotal);
    w.family(
      "apiserver_flowcontrol_rejected_requests_total",
      "counter",
      "Number of requests rejected by API Priority and Fairness subsystem.",
    );
    for (const [key, n] of this.rejections) {
      const [kind, reason] = key.split(" ") as [string, string];
      w.sample(
        "apiserver_flowcontrol_rejected_requests_total",
        labelSet([
          ["request_kind", kind],
          ["reason", reason],
        ]),
        n,
      );
    }
  }
}
