// Logical clusters through kubectl: the `user` context of the admin kubeconfig and any
// `/clusters/<name>` server URL are isolated from `admin`; `/clusters/*` reads across all of them
// (naming each object's cluster in the kcp.io/cluster annotation) and refuses writes.
import { describe, expect, test } from "bun:test";
import { stringify as stringifyYaml } from "yaml";
import {
  api,
  type KcpProcess,
  kubeconfigWithPath,
  kubectl,
  type KubectlOptions,
  useKcp,
} from "../helpers/kcp-process.ts";
import { WatchStream } from "../helpers/watch-stream.ts";

let kcp: KcpProcess;
/** How kubectl reaches each logical cluster. */
const targets: Record<string, KubectlOptions> = {};

useKcp((k) => (kcp = k), {
  setup: async () => {
    targets.admin = {};
    targets.user = { context: "user" };
    targets["team-x"] = { kubeconfig: await kubeconfigWithPath(kcp, "/clusters/team-x") };
  },
});

type Obj = Record<string, any>;

const cm = (name: string, data: Record<string, string>) =>
  stringifyYaml({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data });

describe("isolation", () => {
  test("each logical cluster starts with default, kube-node-lease, kube-public and kube-system", async () => {
    for (const [cluster, opts] of Object.entries(targets)) {
      const r = await kubectl(kcp, ["get", "ns", "-o", "name"], opts);
      expect(r.stderr).toBe("");
      expect({ cluster, namespaces: r.stdout.trim().split("\n") }).toEqual({
        cluster,
        namespaces: [
          "namespace/default",
          "namespace/kube-node-lease",
          "namespace/kube-public",
          "namespace/kube-system",
        ],
      });
    }
  });

  test("objects created in one cluster are absent from the others, even with the same name", async () => {
    for (const [cluster, opts] of Object.entries(targets)) {
      const r = await kubectl(kcp, ["create", "--validate=false", "-f", "-"], {
        ...opts,
        stdin: cm(`only-in-${cluster}`, { from: cluster }),
      });
      expect(r.stdout).toBe(`configmap/only-in-${cluster} created\n`);
      const shared = await kubectl(kcp, ["create", "--validate=false", "-f", "-"], {
        ...opts,
        stdin: cm("same-name", { from: cluster }),
      });
      expect(shared.stdout).toBe("configmap/same-name created\n");
    }
    for (const [cluster, opts] of Object.entries(targets)) {
      const r = await kubectl(kcp, ["get", "cm", "-o", "name"], opts);
      expect({ cluster, names: r.stdout.trim().split("\n").sort() }).toEqual({
        cluster,
        names: [`configmap/only-in-${cluster}`, "configmap/same-name"],
      });
      const data = await kubectl(kcp, ["get", "cm", "same-name", "-o", "jsonpath={.data.from}"], opts);
      expect(data.stdout).toBe(cluster);
      for (const other of Object.keys(targets).filter((c) => c !== cluster)) {
        const missing = await kubectl(kcp, ["get", "cm", `only-in-${other}`], opts);
        expect(missing.code).toBe(1);
        expect(missing.stderr).toContain(`configmaps "only-in-${other}" not found`);
      }
    }
  });

  test("namespaces are per cluster", async () => {
    const made = await kubectl(kcp, ["create", "namespace", "team-only"], { ...targets["team-x"], version: "1.31" });
    expect(made.stdout).toBe("namespace/team-only created\n");
    const admin = await kubectl(kcp, ["get", "ns", "team-only"]);
    expect(admin.code).toBe(1);
    expect(admin.stderr).toContain('namespaces "team-only" not found');
    // And so is the namespace check on create.
    const r = await kubectl(kcp, ["create", "--validate=false", "-n", "team-only", "-f", "-"], { stdin: cm("x", {}) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('namespaces "team-only" not found');
  });

  test("watches see only their own cluster", async () => {
    const rv = ((await (await api(kcp, "/clusters/team-x/api/v1/namespaces/default/configmaps")).json()) as Obj)
      .metadata.resourceVersion;
    const res = await api(
      kcp,
      `/clusters/team-x/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`,
    );
    const w = new WatchStream(res);
    try {
      await kubectl(kcp, ["create", "--validate=false", "-f", "-"], { stdin: cm("watched-admin", {}) });
      await kubectl(kcp, ["create", "--validate=false", "-f", "-"], {
        ...targets["team-x"],
        stdin: cm("watched-team", {}),
      });
      const ev = await w.next();
      expect(`${ev.type} ${ev.object.metadata.name}`).toBe("ADDED watched-team");
      expect(await w.drain(300)).toEqual([]);
    } finally {
      w.close();
    }
  });
});

describe("/clusters/*", () => {
  test("lists across every logical cluster, naming each object's cluster in kcp.io/cluster", async () => {
    const res = await api(kcp, "/clusters/*/api/v1/configmaps");
    expect(res.status).toBe(200);
    const list = (await res.json()) as Obj;
    expect(list.kind).toBe("ConfigMapList");
    const seen = list.items
      .filter((i: Obj) => i.metadata.name === "same-name")
      .map((i: Obj) => [i.metadata.annotations["kcp.io/cluster"], i.data.from]);
    expect(seen.sort()).toEqual([
      ["admin", "admin"],
      ["team-x", "team-x"],
      ["user", "user"],
    ]);
    for (const item of list.items) expect(typeof item.metadata.annotations?.["kcp.io/cluster"]).toBe("string");
  });

  test("kubectl with a /clusters/* server lists across clusters, and the annotation is not stored", async () => {
    const wildcard = { kubeconfig: await kubeconfigWithPath(kcp, "/clusters/*", "kubeconfig-wildcard") };
    const r = await kubectl(kcp, ["get", "cm", "-A", "-o", "json"], wildcard);
    expect(r.code).toBe(0);
    const names = (JSON.parse(r.stdout).items as Obj[]).map(
      (i) => `${i.metadata.annotations["kcp.io/cluster"]}/${i.metadata.name}`,
    );
    expect(names).toContain("user/only-in-user");
    expect(names).toContain("team-x/only-in-team-x");
    expect(names).toContain("admin/only-in-admin");
    const own = await kubectl(kcp, ["get", "cm", "only-in-admin", "-o", "json"]);
    expect(JSON.parse(own.stdout).metadata.annotations).toBeUndefined();
  });

  test("refuses writes", async () => {
    const post = await api(kcp, "/clusters/*/api/v1/namespaces/default/configmaps", {
      method: "POST",
      body: JSON.stringify({ metadata: { name: "nope" } }),
      headers: { "Content-Type": "application/json" },
    });
    expect(post.status).toBe(405);
    expect(((await post.json()) as Obj).reason).toBe("MethodNotAllowed");
    for (const method of ["PUT", "PATCH", "DELETE"]) {
      const res = await api(kcp, "/clusters/*/api/v1/namespaces/default/configmaps/same-name", {
        method,
        body: method === "DELETE" ? undefined : "{}",
        headers: { "Content-Type": method === "PATCH" ? "application/merge-patch+json" : "application/json" },
      });
      expect({ method, status: res.status }).toEqual({ method, status: 405 });
    }
    const wildcard = { kubeconfig: await kubeconfigWithPath(kcp, "/clusters/*", "kubeconfig-wildcard") };
    const r = await kubectl(kcp, ["create", "--validate=false", "-f", "-"], { ...wildcard, stdin: cm("nope", {}) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Error from server (MethodNotAllowed)");
    // Nothing was written anywhere.
    const all = (await (await api(kcp, "/clusters/*/api/v1/configmaps")).json()) as Obj;
    expect(all.items.some((i: Obj) => i.metadata.name === "nope")).toBe(false);
  });
});

describe("invalid cluster names", () => {
  test("get a 404 that says what a cluster name must look like", async () => {
    for (const bad of ["Bad_Name", "x", "-lead", "trail-"]) {
      const res = await api(kcp, `/clusters/${bad}/api/v1/configmaps`);
      expect(res.status).toBe(404);
      const status = (await res.json()) as Obj;
      expect(status.kind).toBe("Status");
      expect(status.reason).toBe("NotFound");
      expect(status.message).toStartWith(
        `Unknown cluster "${bad}": a logical cluster name has 2 to 80 lowercase letters, digits or '-'`,
      );
    }
    const r = await kubectl(kcp, ["get", "cm"], { kubeconfig: await kubeconfigWithPath(kcp, "/clusters/Bad_Name") });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Error from server (NotFound)");
  });
});
