// apiserver_request_total and apiserver_request_duration_seconds, as kube-apiserver names and
// labels them (verb, group, version, resource, subresource; code on the counter only, as kube's
// histogram has none). By default there is no logical cluster label: a series per tenant would grow
// without bound, and the audit log already says who asked for what where. `--metrics-cluster-label`
// adds `logical_cluster` for those who want per-tenant numbers; the series cap below still holds.
//
// Recording is on every request's path, so it costs a few Map lookups and increments: the series
// live in nested Maps keyed by the label values the request info already holds, and a new label
// combination is made (and judged) only the first time it is seen. Label values come from request
// URLs, so they are bounded: a resource that is not served in the request's logical cluster is
// recorded with empty group, version, resource and subresource, and past MAX_SERIES series every
// new combination is folded into that empty one too.

import type { ResourceRegistry } from "../../apis/registry.ts";
import { type ExpositionWriter, Histogram, KUBE_REQUEST_DURATION_BUCKETS, labelSet } from "../../util/prometheus.ts";
import type { RequestInfo } from "../request-info.ts";

/** Series with a resource kept apart before new ones fold into the empty resource (one more per verb). */
export const MAX_SERIES = 2000;

interface Series {
  readonly labels: readonly (readonly [string, string])[];
  /** Requests per response code. */
  readonly codes: Map<number, number>;
  readonly duration: Histogram;
}

/** kube's reported verb per request-info verb (kube's CleanVerb: DELETE covers deletecollection). */
const RESOURCE_VERBS = new Map([
  ["get", "GET"],
  ["list", "LIST"],
  ["watch", "WATCH"],
  ["create", "POST"],
  ["update", "PUT"],
  ["patch", "PATCH"],
  ["delete", "DELETE"],
  ["deletecollection", "DELETE"],
]);
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT"]);
const APPLY_PATCH = "application/apply-patch+yaml";

type Level<T> = Map<string, T>;

export interface RequestMetricsOptions {
  /** Label each series with the request's logical cluster (`logical_cluster`); off by default. */
  clusterLabel?: boolean;
}

export class RequestMetrics {
  // logical cluster ("" without the label) → verb → group → version → resource → subresource → series
  private readonly tree: Level<Level<Level<Level<Level<Level<Series>>>>>> = new Map();
  private readonly all: Series[] = [];
  private readonly clusterLabel: boolean;

  constructor(
    private readonly registry?: ResourceRegistry,
    opts: RequestMetricsOptions = {},
  ) {
    this.clusterLabel = opts.clusterLabel === true;
  }

  /** Count one answered request and observe how long it took (seconds). */
  record(method: string, contentType: string | null, info: RequestInfo | undefined, code: number, seconds: number) {
    const verb = reportedVerb(method, contentType, info);
    const resource = info?.kind === "resource" ? info : undefined;
    const series = this.series(
      this.clusterLabel ? (info?.cluster ?? "") : "",
      verb,
      resource?.group ?? "",
      resource?.version ?? "",
      resource?.resource ?? "",
      resource?.subresource ?? "",
      resource?.cluster,
    );
    series.codes.set(code, (series.codes.get(code) ?? 0) + 1);
    series.duration.observe(seconds);
  }

  private series(
    label: string,
    verb: string,
    group: string,
    version: string,
    resource: string,
    sub: string,
    cluster?: string,
  ) {
    const found = this.tree.get(label)?.get(verb)?.get(group)?.get(version)?.get(resource)?.get(sub);
    if (found) return found;
    // First sight of this combination (or one that is never kept): judge it. Past the cap, a new
    // logical cluster folds into the unlabelled series as a new resource does.
    if (this.all.length >= MAX_SERIES) return this.make("", verb, "", "", "", "");
    if (resource === "") return this.make(label, verb, "", "", "", "");
    if (this.registry) {
      const def = cluster === undefined ? undefined : this.registry.lookup(cluster, group, version, resource);
      if (!def) return this.make(label, verb, "", "", "", "");
      // A subresource the resource does not have keeps the resource, not the made-up name.
      if (sub !== "" && !def.subresources.some((s) => s.name === sub))
        return this.make(label, verb, group, version, resource, "");
    }
    return this.make(label, verb, group, version, resource, sub);
  }

  private make(label: string, verb: string, group: string, version: string, resource: string, sub: string): Series {
    const groups = child(child(this.tree, label), verb);
    const versions = child(groups, group);
    const resources = child(versions, version);
    const subs = child(resources, resource);
    let s = subs.get(sub);
    if (!s) {
      s = {
        labels: [
          ["verb", verb],
          ["group", group],
          ["version", version],
          ["resource", resource],
          ["subresource", sub],
          ["component", "apiserver"],
          ...(this.clusterLabel ? [["logical_cluster", label] as const] : []),
        ],
        codes: new Map(),
        duration: new Histogram(KUBE_REQUEST_DURATION_BUCKETS),
      };
      subs.set(sub, s);
      this.all.push(s);
    }
    return s;
  }

  write(w: ExpositionWriter): void {
    w.family(
      "apiserver_request_total",
      "counter",
      "Counter of apiserver requests broken out for each verb, group, version, resource, subresource, component, and HTTP response code.",
    );
    for (const s of this.all) {
      for (const [code, n] of s.codes)
        w.sample("apiserver_request_total", labelSet([...s.labels, ["code", String(code)]]), n);
    }
    w.family(
      "apiserver_request_duration_seconds",
      "histogram",
      "Response latency distribution in seconds for each verb, group, version, resource, subresource, and component.",
    );
    for (const s of this.all) w.histogram("apiserver_request_duration_seconds", s.labels, s.duration);
  }
}

function child<T>(m: Map<string, Map<string, T>>, key: string): Map<string, T> {
  let c = m.get(key);
  if (!c) {
    c = new Map();
    m.set(key, c);
  }
  return c;
}

/** The verb label: kube's (LIST, WATCH, APPLY for server-side apply), else the HTTP method, else "other". */
export function reportedVerb(method: string, contentType: string | null, info: RequestInfo | undefined): string {
  if (info?.kind === "resource") {
    const v = RESOURCE_VERBS.get(info.verb);
    if (v === "PATCH" && contentType?.startsWith(APPLY_PATCH)) return "APPLY";
    if (v) return v;
  }
  return METHODS.has(method) ? method : "other";
}
