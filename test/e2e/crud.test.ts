// Create, read, update, patch, label, annotate and delete with the real kubectl, for several kinds
// of several groups: configmaps, secrets, serviceaccounts (core), leases (coordination), roles (rbac).
import { beforeAll, describe, expect, test } from "bun:test";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { parseTable } from "../helpers/kubectl-table.ts";
import { api, type KcpProcess, kubectl, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;

useKcp((k) => (kcp = k));

type Obj = Record<string, any>;

interface KindCase {
  /** What kubectl is given: `configmap`, `lease`, … */
  resource: string;
  /** How kubectl names an object: `configmap` or `lease.coordination.k8s.io`. */
  printed: string;
  /** How the server names the resource in messages: `configmaps` or `leases.coordination.k8s.io`. */
  qualified: string;
  apiVersion: string;
  kind: string;
  body: Obj;
  checkCreated: (o: Obj) => void;
  mergePatch: Obj;
  checkMerged: (o: Obj) => void;
  jsonPatch: Obj[];
  checkJsonPatched: (o: Obj) => void;
  /** kubectl 1.31 (JSON bodies) imperative create, when kubectl has one for the kind. */
  imperative?: (name: string) => string[];
  checkImperative?: (o: Obj) => void;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

const CASES: KindCase[] = [
  {
    resource: "configmap",
    printed: "configmap",
    qualified: "configmaps",
    apiVersion: "v1",
    kind: "ConfigMap",
    body: { data: { k: "v" } },
    checkCreated: (o) => expect(o.data).toEqual({ k: "v" }),
    mergePatch: { data: { m: "1", k: null } },
    checkMerged: (o) => expect(o.data).toEqual({ m: "1" }),
    jsonPatch: [{ op: "add", path: "/data/j", value: "2" }],
    checkJsonPatched: (o) => expect(o.data).toEqual({ m: "1", j: "2" }),
    imperative: (name) => ["create", "configmap", name, "--from-literal=x=y"],
    checkImperative: (o) => expect(o.data).toEqual({ x: "y" }),
  },
  {
    resource: "secret",
    printed: "secret",
    qualified: "secrets",
    apiVersion: "v1",
    kind: "Secret",
    body: { stringData: { a: "hello" } },
    checkCreated: (o) => {
      expect(o.data).toEqual({ a: b64("hello") });
      expect(o.stringData).toBeUndefined();
      expect(o.type).toBe("Opaque");
    },
    mergePatch: { data: { b: b64("bye") } },
    checkMerged: (o) => expect(o.data).toEqual({ a: b64("hello"), b: b64("bye") }),
    jsonPatch: [{ op: "remove", path: "/data/a" }],
    checkJsonPatched: (o) => expect(o.data).toEqual({ b: b64("bye") }),
    imperative: (name) => ["create", "secret", "generic", name, "--from-literal=x=y"],
    checkImperative: (o) => expect(o.data).toEqual({ x: b64("y") }),
  },
  {
    resource: "serviceaccount",
    printed: "serviceaccount",
    qualified: "serviceaccounts",
    apiVersion: "v1",
    kind: "ServiceAccount",
    body: { automountServiceAccountToken: true },
    checkCreated: (o) => expect(o.automountServiceAccountToken).toBe(true),
    mergePatch: { automountServiceAccountToken: false },
    checkMerged: (o) => expect(o.automountServiceAccountToken).toBe(false),
    jsonPatch: [{ op: "add", path: "/imagePullSecrets", value: [{ name: "registry" }] }],
    checkJsonPatched: (o) => expect(o.imagePullSecrets).toEqual([{ name: "registry" }]),
    imperative: (name) => ["create", "serviceaccount", name],
    checkImperative: (o) => expect(o.kind).toBe("ServiceAccount"),
  },
  {
    resource: "lease",
    printed: "lease.coordination.k8s.io",
    qualified: "leases.coordination.k8s.io",
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    body: { spec: { holderIdentity: "me", leaseDurationSeconds: 10 } },
    checkCreated: (o) => expect(o.spec).toEqual({ holderIdentity: "me", leaseDurationSeconds: 10 }),
    mergePatch: { spec: { holderIdentity: "you" } },
    checkMerged: (o) => expect(o.spec).toEqual({ holderIdentity: "you", leaseDurationSeconds: 10 }),
    jsonPatch: [{ op: "replace", path: "/spec/leaseDurationSeconds", value: 30 }],
    checkJsonPatched: (o) => expect(o.spec).toEqual({ holderIdentity: "you", leaseDurationSeconds: 30 }),
  },
  {
    resource: "role",
    printed: "role.rbac.authorization.k8s.io",
    qualified: "roles.rbac.authorization.k8s.io",
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    body: { rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }] },
    checkCreated: (o) => expect(o.rules).toEqual([{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }]),
    mergePatch: { rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }] },
    checkMerged: (o) => expect(o.rules).toEqual([{ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }]),
    jsonPatch: [
      {
        op: "add",
        path: "/rules/-",
        value: { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["*"] },
      },
    ],
    checkJsonPatched: (o) =>
      expect(o.rules).toEqual([
        { apiGroups: [""], resources: ["secrets"], verbs: ["list"] },
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["*"] },
      ]),
    imperative: (name) => ["create", "role", name, "--verb=get,list", "--resource=configmaps"],
    checkImperative: (o) =>
      expect(o.rules).toEqual([{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] }]),
  },
];

async function createNamespace(name: string): Promise<void> {
  const res = await api(kcp, "/api/v1/namespaces", {
    method: "POST",
    body: JSON.stringify({ metadata: { name } }),
    headers: { "Content-Type": "application/json" },
  });
  expect(res.status).toBe(201);
}

function manifest(c: KindCase, name: string, namespace: string, extra: Obj = {}): string {
  return stringifyYaml({ apiVersion: c.apiVersion, kind: c.kind, metadata: { name, namespace, ...extra }, ...c.body });
}

async function getJson(resource: string, name: string, namespace: string): Promise<Obj> {
  const r = await kubectl(kcp, ["get", resource, name, "-n", namespace, "-o", "json"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

for (const c of CASES) {
  describe(c.resource, () => {
    const ns = `crud-${c.resource}`;
    const other = `crud-${c.resource}-other`;

    beforeAll(async () => {
      await createNamespace(ns);
      await createNamespace(other);
    });

    test("create -f - (--validate=false), then get -o yaml and -o json", async () => {
      const created = await kubectl(kcp, ["create", "--validate=false", "-f", "-"], {
        stdin: manifest(c, "first", ns, { labels: { app: "demo" } }),
      });
      expect(created.stderr).toBe("");
      expect(created.stdout).toBe(`${c.printed}/first created\n`);

      const yaml = await kubectl(kcp, ["get", c.resource, "first", "-n", ns, "-o", "yaml"]);
      expect(yaml.code).toBe(0);
      const o = parseYaml(yaml.stdout) as Obj;
      expect(o.apiVersion).toBe(c.apiVersion);
      expect(o.kind).toBe(c.kind);
      expect(o.metadata.name).toBe("first");
      expect(o.metadata.namespace).toBe(ns);
      expect(o.metadata.labels).toEqual({ app: "demo" });
      expect(o.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(o.metadata.resourceVersion).toMatch(/^[0-9]+$/);
      expect(o.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      c.checkCreated(o);

      const json = await getJson(c.resource, "first", ns);
      expect(json).toEqual(o);
    });

    if (c.imperative) {
      const args = c.imperative("second");
      test(`kubectl 1.31 ${args.slice(0, 2).join(" ")} (imperative, JSON body)`, async () => {
        const r = await kubectl(kcp, [...args, "-n", ns], { version: "1.31" });
        expect(r.stderr).toBe("");
        expect(r.stdout).toBe(`${c.printed}/second created\n`);
        c.checkImperative?.(await getJson(c.resource, "second", ns));
      });
    }

    test("get -A, -l and -o name", async () => {
      const elsewhere = await kubectl(kcp, ["create", "--validate=false", "-f", "-"], {
        stdin: manifest(c, "elsewhere", other, { labels: { app: "demo" } }),
      });
      expect(elsewhere.code).toBe(0);

      const all = await kubectl(kcp, ["get", c.resource, "-A"]);
      expect(all.code).toBe(0);
      const rows = parseTable(all.stdout).map((r) => `${r.NAMESPACE}/${r.NAME}`);
      expect(rows).toContain(`${ns}/first`);
      expect(rows).toContain(`${other}/elsewhere`);
      if (c.imperative) expect(rows).toContain(`${ns}/second`);

      const labelled = await kubectl(kcp, ["get", c.resource, "-A", "-l", "app=demo", "-o", "name"]);
      expect(labelled.code).toBe(0);
      expect(labelled.stdout.trim().split("\n").sort()).toEqual([`${c.printed}/elsewhere`, `${c.printed}/first`]);

      const none = await kubectl(kcp, ["get", c.resource, "-n", ns, "-l", "app=absent", "-o", "name"]);
      expect(none.code).toBe(0);
      expect(none.stdout).toBe("");

      const names = await kubectl(kcp, ["get", c.resource, "-n", other, "-o", "name"]);
      // As on kube, every namespace also has the service accounts controller's `default`.
      const mine = c.resource === "serviceaccount" ? ["default", "elsewhere"] : ["elsewhere"];
      expect(names.stdout).toBe(mine.map((n) => `${c.printed}/${n}\n`).join(""));
    });

    test("replace -f (--validate=false); a stale resourceVersion is a Conflict", async () => {
      const current = (await kubectl(kcp, ["get", c.resource, "first", "-n", ns, "-o", "yaml"])).stdout;
      const edited = parseYaml(current) as Obj;
      edited.metadata.labels.replaced = "true";
      const r = await kubectl(kcp, ["replace", "--validate=false", "-f", "-"], { stdin: stringifyYaml(edited) });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(`${c.printed}/first replaced\n`);
      const after = await getJson(c.resource, "first", ns);
      expect(after.metadata.labels).toEqual({ app: "demo", replaced: "true" });
      expect(Number(after.metadata.resourceVersion)).toBeGreaterThan(Number(edited.metadata.resourceVersion));
      expect(after.metadata.uid).toBe(edited.metadata.uid);

      // The same manifest again carries the old resourceVersion.
      const stale = await kubectl(kcp, ["replace", "--validate=false", "-f", "-"], { stdin: stringifyYaml(edited) });
      expect(stale.code).toBe(1);
      expect(stale.stderr).toContain(
        `Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on ${c.qualified} "first": the object has been modified; please apply your changes to the latest version and try again`,
      );
    });

    test("patch --type merge, then --type json", async () => {
      const merge = await kubectl(kcp, [
        "patch",
        c.resource,
        "first",
        "-n",
        ns,
        "--type",
        "merge",
        "-p",
        JSON.stringify(c.mergePatch),
      ]);
      expect(merge.stderr).toBe("");
      expect(merge.stdout).toBe(`${c.printed}/first patched\n`);
      c.checkMerged(await getJson(c.resource, "first", ns));
      const again = await kubectl(kcp, [
        "patch",
        c.resource,
        "first",
        "-n",
        ns,
        "--type",
        "merge",
        "-p",
        JSON.stringify(c.mergePatch),
      ]);
      expect(again.stdout).toBe(`${c.printed}/first patched (no change)\n`);

      const json = await kubectl(kcp, [
        "patch",
        c.resource,
        "first",
        "-n",
        ns,
        "--type",
        "json",
        "-p",
        JSON.stringify(c.jsonPatch),
      ]);
      expect(json.stderr).toBe("");
      expect(json.stdout).toBe(`${c.printed}/first patched\n`);
      c.checkJsonPatched(await getJson(c.resource, "first", ns));
    });

    // Labels and annotations are generic metadata: one core and one grouped kind are enough.
    if (c.resource === "configmap" || c.resource === "lease") {
      test("label and annotate: add, --overwrite, remove with key-", async () => {
        const add = await kubectl(kcp, ["label", c.resource, "first", "-n", ns, "env=prod"]);
        expect(add.stdout).toBe(`${c.printed}/first labeled\n`);
        const refused = await kubectl(kcp, ["label", c.resource, "first", "-n", ns, "env=dev"]);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain("'env' already has a value (prod), and --overwrite is false");
        const over = await kubectl(kcp, ["label", c.resource, "first", "-n", ns, "env=dev", "--overwrite"]);
        expect(over.code).toBe(0);
        expect((await getJson(c.resource, "first", ns)).metadata.labels.env).toBe("dev");
        const removed = await kubectl(kcp, ["label", c.resource, "first", "-n", ns, "env-"]);
        expect(removed.stdout).toBe(`${c.printed}/first unlabeled\n`);
        expect((await getJson(c.resource, "first", ns)).metadata.labels).toEqual({ app: "demo", replaced: "true" });

        const ann = await kubectl(kcp, ["annotate", c.resource, "first", "-n", ns, "note=hello"]);
        expect(ann.stdout).toBe(`${c.printed}/first annotated\n`);
        const annRefused = await kubectl(kcp, ["annotate", c.resource, "first", "-n", ns, "note=again"]);
        expect(annRefused.code).toBe(1);
        expect(annRefused.stderr).toContain(
          "--overwrite is false but found the following declared annotation(s): 'note' already has a value (hello)",
        );
        await kubectl(kcp, ["annotate", c.resource, "first", "-n", ns, "note=again", "--overwrite"]);
        expect((await getJson(c.resource, "first", ns)).metadata.annotations).toEqual({ note: "again" });
        await kubectl(kcp, ["annotate", c.resource, "first", "-n", ns, "note-"]);
        // An emptied map is omitted, as Go's omitempty does on kube-apiserver.
        expect((await getJson(c.resource, "first", ns)).metadata.annotations).toBeUndefined();
      });
    }

    test("delete, then get is NotFound", async () => {
      const del = await kubectl(kcp, ["delete", c.resource, "first", "-n", ns]);
      expect(del.stderr).toBe("");
      expect(del.stdout).toBe(`${c.printed} "first" deleted\n`);
      const get = await kubectl(kcp, ["get", c.resource, "first", "-n", ns]);
      expect(get.code).toBe(1);
      expect(get.stderr).toContain(`Error from server (NotFound): ${c.qualified} "first" not found`);
      const again = await kubectl(kcp, ["delete", c.resource, "first", "-n", ns]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain(`Error from server (NotFound): ${c.qualified} "first" not found`);
    });
  });
}

describe("collections", () => {
  const ns = "crud-collections";
  beforeAll(() => createNamespace(ns));

  test("generateName gives a fresh name on each create", async () => {
    const doc = stringifyYaml({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { generateName: "gen-", namespace: ns },
    });
    const first = await kubectl(kcp, ["create", "--validate=false", "-f", "-"], { stdin: doc });
    const second = await kubectl(kcp, ["create", "--validate=false", "-f", "-"], { stdin: doc });
    const re = /^configmap\/(gen-[bcdfghjklmnpqrstvwxz2456789]{5}) created\n$/;
    expect(first.stdout).toMatch(re);
    expect(second.stdout).toMatch(re);
    const a = re.exec(first.stdout)?.[1] as string;
    const b = re.exec(second.stdout)?.[1] as string;
    expect(a).not.toBe(b);
    const o = await getJson("configmap", a, ns);
    expect(o.metadata.generateName).toBe("gen-");
  });

  test("delete -l deletes exactly the matching objects", async () => {
    const docs = ["a", "b", "c", "d"].map((n) =>
      stringifyYaml({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `sel-${n}`, namespace: ns, labels: { tier: n === "d" ? "keep" : "drop" } },
      }),
    );
    const created = await kubectl(kcp, ["create", "--validate=false", "-f", "-"], { stdin: docs.join("---\n") });
    expect(created.code).toBe(0);
    const del = await kubectl(kcp, ["delete", "configmap", "-n", ns, "-l", "tier=drop"]);
    expect(del.code).toBe(0);
    expect(del.stdout.trim().split("\n").sort()).toEqual([
      'configmap "sel-a" deleted',
      'configmap "sel-b" deleted',
      'configmap "sel-c" deleted',
    ]);
    const left = await kubectl(kcp, ["get", "configmap", "-n", ns, "-l", "tier", "-o", "name"]);
    expect(left.stdout).toBe("configmap/sel-d\n");
  });
});
