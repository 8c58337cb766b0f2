// Tenant isolation (issue 15, item 6) against a real kcp: nothing of logical cluster B can be read,
// listed, watched or written with a credential of logical cluster A, for every resource kcp serves
// (taken from B's own discovery, subresources included) and every verb, whatever the path spelling
// (`/clusters/b/…`, the name percent-encoded, a doubled slash, no prefix at all, the `/clusters/*`
// wildcard). A's service-account token is 401 anywhere but in A; a user that exists everywhere (a
// client certificate's) but is bound in A only is 403 elsewhere, the wildcard included; afterwards
// B is exactly as it was, and no answer carried B's data.

import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parseCertificateRequest } from "../../src/pki/certificate-request.ts";
import { issueCertificate } from "../../src/pki/certs.ts";
import { certificateRequestPem, generateKey } from "../helpers/certificate-request.ts";
import { api, type KcpProcess, kubeconfigWithPath, kubectl, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;
// Client certificates: their users (like a token file's) exist in every logical cluster.
useKcp((k) => (kcp = k), { args: ["--client-certificates"] });

type Obj = Record<string, any>;

const A = "iso-a";
const B = "iso-b";
/** A value only B holds: no answer to A's credentials may contain it. */
const B_SECRET = "b-only-7f3c9e";
const VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"] as const;

interface Served {
  /** "/api/v1" or "/apis/<group>/<version>". */
  base: string;
  group: string;
  version: string;
  /** "configmaps", or "pods/status" for a subresource. */
  name: string;
  kind: string;
  namespaced: boolean;
}

async function adminJson(path: string, init: RequestInit = {}): Promise<Obj> {
  const res = await api(kcp, path, {
    ...init,
    headers: { "content-type": "application/json", ...(init.headers as Record<string, string>) },
  });
  const body = (await res.json()) as Obj;
  if (res.status >= 300) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Every resource and subresource B serves, from B's discovery (as the admin). */
async function servedIn(cluster: string): Promise<Served[]> {
  const bases = ["/api/v1"];
  const groups = (await adminJson(`/clusters/${cluster}/apis`)).groups as Obj[];
  for (const g of groups) for (const v of g.versions as Obj[]) bases.push(`/apis/${v.groupVersion}`);
  const out: Served[] = [];
  for (const base of bases) {
    const list = await adminJson(`/clusters/${cluster}${base}`);
    const [group, version] = base === "/api/v1" ? ["", "v1"] : base.slice("/apis/".length).split("/");
    for (const r of list.resources as Obj[])
      out.push({ base, group, version, name: r.name, kind: r.kind, namespaced: r.namespaced });
  }
  return out;
}

/** The request a verb makes on a resource of `cluster` under `prefix` ("" for the default cluster). */
function requestFor(prefix: string, r: Served, verb: (typeof VERBS)[number]): { path: string; init: RequestInit } {
  const [resource, sub] = r.name.split("/");
  const ns = r.namespaced ? "/namespaces/default" : "";
  const collection = `${prefix}${r.base}${ns}/${resource}`;
  // A name B really has where one exists, else one it could have.
  const name = resource === "configmaps" ? "b-data" : resource === "namespaces" ? "default" : "iso-probe";
  const item = `${collection}/${name}${sub ? `/${sub}` : ""}`;
  const body = JSON.stringify({
    apiVersion: r.group ? `${r.group}/${r.version}` : r.version,
    kind: r.kind,
    metadata: { name, ...(r.namespaced ? { namespace: "default" } : {}) },
  });
  const json = { "content-type": "application/json" };
  switch (verb) {
    case "get":
      return { path: item, init: {} };
    case "list":
      return { path: collection, init: {} };
    case "watch":
      // A short server-side timeout: should a watch ever be served, it ends by itself.
      return { path: `${collection}?watch=1&timeoutSeconds=1`, init: {} };
    case "create":
      return { path: sub ? item : collection, init: { method: "POST", headers: json, body } };
    case "update":
      return { path: item, init: { method: "PUT", headers: json, body } };
    case "patch":
      return {
        path: item,
        init: { method: "PATCH", headers: { "content-type": "application/merge-patch+json" }, body: "{}" },
      };
    case "delete":
      return { path: item, init: { method: "DELETE" } };
    case "deletecollection":
      return { path: collection, init: { method: "DELETE" } };
  }
}

/** Every stored object B can list, as "resource ns/name@resourceVersion", to see that nothing changed. */
async function snapshot(cluster: string, served: Served[]): Promise<string[]> {
  const out: string[] = [];
  for (const r of served) {
    if (r.name.includes("/")) continue;
    const res = await api(kcp, `/clusters/${cluster}${r.base}/${r.name}`);
    if (res.status !== 200) continue;
    const list = (await res.json()) as Obj;
    for (const o of (list.items ?? []) as Obj[])
      out.push(`${r.base}/${r.name} ${o.metadata?.namespace ?? ""}/${o.metadata?.name}@${o.metadata?.resourceVersion}`);
  }
  return out.sort();
}

/** Runs `jobs` with at most `width` at a time. */
async function pool<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await (jobs[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

/** What every authenticated user may do anywhere (kube's system:basic-user): questions about oneself. */
const SELF_REVIEWS = new Set(["selfsubjectreviews", "selfsubjectaccessreviews", "selfsubjectrulesreviews"]);

/**
 * Every verb on every resource B serves, under each spelling, with `send`'s credentials; a failure
 * is an answer outside the spelling's expected codes, or one that carries B's data.
 */
async function sweep(
  send: (path: string, init: RequestInit) => Promise<Response>,
  spellings: [string, number[]][],
  selfReviewsAnswered = false,
): Promise<{ failures: string[]; requests: number }> {
  const jobs: (() => Promise<string | null>)[] = [];
  for (const [prefix, expected] of spellings)
    for (const r of served)
      for (const verb of VERBS) {
        const { path, init } = requestFor(prefix, r, verb);
        jobs.push(async () => {
          const res = await send(path, init);
          const text = await res.text();
          if (text.includes(B_SECRET)) return `${verb} ${path}: the answer carries B's data`;
          // An authenticated user's question about itself is answered anywhere; it carries nothing of B.
          if (selfReviewsAnswered && SELF_REVIEWS.has(r.name) && verb === "create" && res.status < 500) return null;
          return expected.includes(res.status) ? null : `${verb} ${path}: ${res.status} ${text.slice(0, 200)}`;
        });
      }
  const failures = (await pool(jobs, 8)).filter((f): f is string => f !== null);
  return { failures, requests: jobs.length };
}

let served: Served[] = [];
let tokenA = "";
/** carol's client certificate and key, signed by kcp's CA; carol is bound in A only. */
let carol = { cert: "", key: "", ca: "" };

function pemBytes(pem: string): Uint8Array {
  return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64"));
}

/** A client certificate for `cn` signed by the server's CA (as the CSR signer would issue it). */
async function clientCertificate(cn: string, orgs: string[]) {
  const data = join(kcp.rootDir, "data");
  const key = generateKey("ec");
  const request = parseCertificateRequest(pemBytes(certificateRequestPem({ cn, orgs, key: key.privateKey })));
  const ca = await Bun.file(join(data, "ca.crt")).text();
  const cert = issueCertificate({
    caCertPem: ca,
    caKeyPem: await Bun.file(join(data, "ca.key")).text(),
    subject: request.subject,
    publicKey: request.publicKey,
    keyUsage: 1,
    extKeyUsages: ["1.3.6.1.5.5.7.3.2"],
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3600_000),
  });
  return { cert, key: key.keyPem, ca };
}

function asCarol(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${kcp.url}${path}`, { ...init, tls: carol } as RequestInit);
}

beforeAll(async () => {
  for (const cluster of [A, B]) {
    await adminJson(`/clusters/${cluster}/api/v1/namespaces/default/configmaps`, {
      method: "POST",
      body: JSON.stringify({ metadata: { name: "b-data" }, data: { value: cluster === B ? B_SECRET : "a-data" } }),
    });
  }
  await adminJson(`/clusters/${B}/api/v1/namespaces/default/secrets`, {
    method: "POST",
    body: JSON.stringify({ metadata: { name: "b-secret" }, stringData: { token: B_SECRET } }),
  });
  await adminJson(`/clusters/${A}/api/v1/namespaces/default/serviceaccounts`, {
    method: "POST",
    body: JSON.stringify({ metadata: { name: "robot" } }),
  });
  const minted = await adminJson(`/clusters/${A}/api/v1/namespaces/default/serviceaccounts/robot/token`, {
    method: "POST",
    body: JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: {} }),
  });
  tokenA = minted.status.token;
  served = await servedIn(B);
  carol = await clientCertificate("carol", ["tenant-a"]);
  // carol is admin of all of A: a ClusterRoleBinding of A's, which B knows nothing of.
  await adminJson(`/clusters/${A}/apis/rbac.authorization.k8s.io/v1/clusterrolebindings`, {
    method: "POST",
    body: JSON.stringify({
      metadata: { name: "carol-admin" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" },
      subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "carol" }],
    }),
  });
});

describe("a service-account token of A", () => {
  test("works in A by its name; other spellings of A are 400 (one spelling per object)", async () => {
    // One spelling per object: a cluster name with percent escapes, or an empty segment after it,
    // is refused before credentials are looked at.
    for (const prefix of ["/clusters/%69so-a", `/clusters/${A}/`]) {
      const other = await api(kcp, `${prefix}/apis/authentication.k8s.io/v1/selfsubjectreviews`, {
        method: "POST",
        token: tokenA,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }),
      });
      expect(other.status).toBe(400);
    }
    for (const prefix of [`/clusters/${A}`]) {
      const res = await api(kcp, `${prefix}/apis/authentication.k8s.io/v1/selfsubjectreviews`, {
        method: "POST",
        token: tokenA,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }),
      });
      expect(res.status).toBe(201);
      expect(((await res.json()) as Obj).status.userInfo.username).toBe("system:serviceaccount:default:robot");
    }
  });

  test("is 401 in B for every resource and verb, whatever the path spelling, and changes nothing", async () => {
    // The discovery really was B's whole API: the kinds every logical cluster serves are there.
    const names = served.map((r) => `${r.group}/${r.name}`);
    for (const must of ["/configmaps", "/secrets", "/serviceaccounts/token", "rbac.authorization.k8s.io/rolebindings"])
      expect(names).toContain(must);
    const before = await snapshot(B, served);
    expect(before.some((s) => s.includes("default/b-secret@"))).toBe(true);

    // The other spellings of B, and of "not A": the default cluster without a prefix, every cluster.
    const { failures, requests } = await sweep(
      (path, init) => api(kcp, path, { ...init, token: tokenA }),
      [
        [`/clusters/${B}`, [401]],
        ["/clusters/%69so-b", [400]],
        [`/clusters/${B}/`, [400]],
        ["", [401]],
        ["/clusters/*", [401, 403]],
      ],
    );
    expect(failures).toEqual([]);
    // Thousands of requests, none of which got through.
    expect(requests).toBeGreaterThan(1000);
    expect(await snapshot(B, served)).toEqual(before);
  });

  test("kubectl with A's token against B: not logged in", async () => {
    const kubeconfig = await kubeconfigWithPath(kcp, `/clusters/${B}`);
    for (const args of [
      ["get", "secrets", "-o", "yaml"],
      ["get", "configmap", "b-data", "-o", "yaml"],
      ["create", "configmap", "planted", "--from-literal=x=y"],
    ]) {
      const r = await kubectl(kcp, ["--token", tokenA, ...args], { kubeconfig });
      expect(r.code).toBe(1);
      // kubectl get says it from discovery's 401, kubectl create from the POST's.
      expect(r.stderr).toMatch(/error: (You must be logged in to the server|failed to create configmap: Unauthorized)/);
      expect(r.stdout).not.toContain(B_SECRET);
    }
    const planted = await api(kcp, `/clusters/${B}/api/v1/namespaces/default/configmaps/planted`);
    expect(planted.status).toBe(404);
  });
});

describe("a user bound in A only", () => {
  test("reads A", async () => {
    // RBAC's index follows a watch: the binding is there within moments.
    const deadline = Date.now() + 5000;
    let res = await asCarol(`/clusters/${A}/api/v1/namespaces/default/configmaps/b-data`);
    while (res.status !== 200 && Date.now() < deadline) {
      await Bun.sleep(50);
      res = await asCarol(`/clusters/${A}/api/v1/namespaces/default/configmaps/b-data`);
    }
    expect(res.status).toBe(200);
    expect(((await res.json()) as Obj).data).toEqual({ value: "a-data" });
  });

  test("is 403 in B, in the admin cluster and across clusters, for every resource and verb", async () => {
    const before = await snapshot(B, served);
    const { failures, requests } = await sweep(
      asCarol,
      [
        [`/clusters/${B}`, [403]],
        ["/clusters/%69so-b", [400]],
        [`/clusters/${B}/`, [400]],
        ["", [403]],
        ["/clusters/*", [403]],
      ],
      true,
    );
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(1000);
    expect(await snapshot(B, served)).toEqual(before);
  });

  test("the access reviews in B say so", async () => {
    const res = await asCarol(`/clusters/${B}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        spec: { resourceAttributes: { verb: "get", resource: "configmaps", namespace: "default" } },
      }),
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as Obj).status.allowed).toBe(false);
    const inA = await asCarol(`/clusters/${A}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        spec: { resourceAttributes: { verb: "get", resource: "configmaps", namespace: "default" } },
      }),
    });
    expect(((await inA.json()) as Obj).status.allowed).toBe(true);
  });
});
