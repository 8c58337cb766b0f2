// Two `kcp start` replicas on one etcd and prefix serve one API: a write through either is read
// through the other at once, a watch on either sees every write made through both in order and
// exactly once, a CRD created through one is served by the other, namespace deletion completes
// while both controllers run, and both compact etcd's history without complaint. The replicas
// share their root directory, hence the CA, serving certificate, service-account key and token.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { type EtcdCluster, etcdMissingReason, startEtcd } from "../helpers/etcd-process.ts";
import { call, configMap, etcdArgs, problems, until } from "../helpers/etcd-kcp.ts";
import { api, type KcpProcess, kubectl, removeDir, startKcp, tempDir } from "../helpers/kcp-process.ts";
import { WatchStream } from "../helpers/watch-stream.ts";

function hostnameForFile(): string {
  return (
    hostname()
      .toLowerCase()
      .replace(/[^a-z0-9.-]+/g, "_")
      .slice(0, 63) || "host"
  );
}

const missing = etcdMissingReason();

if (missing) {
  test("etcd is installed", () => {
    throw new Error(missing);
  });
} else {
  describe("two kcp replicas on one etcd", () => {
    let etcd: EtcdCluster;
    let root: string;
    let a: KcpProcess;
    let b: KcpProcess;

    beforeAll(async () => {
      etcd = await startEtcd();
      root = tempDir("kcp-replicas-");
      // The first start writes the shared credentials; the second reads them.
      a = await startKcp({ rootDir: root, args: etcdArgs(etcd, ["--etcd-compaction-interval", "1s"]) });
      b = await startKcp({ rootDir: root, args: etcdArgs(etcd, ["--etcd-compaction-interval", "1s"]) });
    }, 60_000);

    afterAll(async () => {
      const own = b?.kubeconfig;
      await Promise.all([a?.stop(), b?.stop()]);
      // A replica's own kubeconfig goes with it; admin.kubeconfig stays.
      if (own) expect(existsSync(own)).toBe(false);
      if (root) expect(existsSync(join(root, "data", "admin.kubeconfig"))).toBe(true);
      await etcd?.stop();
      if (root) removeDir(root);
    });

    test("sharing a root directory, each replica's kubeconfig names itself; kubectl reaches each", async () => {
      // The first keeps admin.kubeconfig; the second, finding it names a replica that answers, writes its own.
      expect(a.kubeconfig).toBe(join(root, "data", "admin.kubeconfig"));
      expect(b.kubeconfig).toBe(join(root, "data", `admin-${hostnameForFile()}-${b.port}.kubeconfig`));
      expect(b.output()).toContain(`admin.kubeconfig names the replica at ${a.url}, which answers: kept as it is`);
      for (const k of [a, b]) {
        const r = await kubectl(k, ["config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}"]);
        expect(r.stdout).toBe(k.url);
        const ns = await kubectl(k, ["get", "ns", "default", "-o", "name"]);
        expect(ns.stderr).toBe("");
        expect(ns.stdout.trim()).toBe("namespace/default");
      }
    });

    test("a write through one replica is read through the other at once", async () => {
      expect(await call(a, "POST", "/api/v1/namespaces", { metadata: { name: "rw" } })).toMatchObject({ status: 201 });
      for (let i = 0; i < 20; i++) {
        const [writer, reader] = i % 2 === 0 ? [a, b] : [b, a];
        const created = await call(
          writer,
          "POST",
          "/api/v1/namespaces/rw/configmaps",
          configMap(`cm-${i}`, { n: "0" }),
        );
        expect(created.status).toBe(201);
        const read = await call(reader, "GET", `/api/v1/namespaces/rw/configmaps/cm-${i}`);
        expect(read.status).toBe(200);
        expect(read.body.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
        const updated = await call(reader, "PUT", `/api/v1/namespaces/rw/configmaps/cm-${i}`, {
          ...read.body,
          data: { n: "1" },
        });
        expect(updated.status).toBe(200);
        const again = await call(writer, "GET", `/api/v1/namespaces/rw/configmaps/cm-${i}`);
        expect(again.body.data).toEqual({ n: "1" });
        expect(again.body.metadata.resourceVersion).toBe(updated.body.metadata.resourceVersion);
        // A stale update through the other replica is a conflict, as on one server.
        const stale = await call(writer, "PUT", `/api/v1/namespaces/rw/configmaps/cm-${i}`, {
          ...read.body,
          data: { n: "2" },
        });
        expect(stale.status).toBe(409);
      }
      const listA = await call(a, "GET", "/api/v1/namespaces/rw/configmaps");
      const listB = await call(b, "GET", "/api/v1/namespaces/rw/configmaps");
      expect(listA.body.items.map((o: any) => o.metadata.name)).toEqual(
        listB.body.items.map((o: any) => o.metadata.name),
      );
      expect(listA.body.items).toHaveLength(20);
      // A new logical cluster bootstrapped through one replica exists through the other.
      expect((await call(a, "GET", "/clusters/team-x/api/v1/namespaces/default")).status).toBe(200);
      expect(
        (await call(b, "GET", "/clusters/team-x/api/v1/namespaces")).body.items.map((o: any) => o.metadata.name),
      ).toEqual(["default", "kube-node-lease", "kube-public", "kube-system"]);
    });

    test("a watch on either replica sees every write through both, in order, exactly once", async () => {
      expect((await call(b, "POST", "/api/v1/namespaces", { metadata: { name: "w" } })).status).toBe(201);
      const start = (await call(a, "GET", "/api/v1/namespaces/w/configmaps")).body.metadata.resourceVersion;
      const path = `/api/v1/namespaces/w/configmaps?watch=1&resourceVersion=${start}&allowWatchBookmarks=false`;
      const watches = [new WatchStream(await api(a, path)), new WatchStream(await api(b, path))];
      // [type, name, resourceVersion]; a delete answers with a Status, so its revision is not known here.
      const expected: [string, string, string | null][] = [];
      for (let i = 0; i < 30; i++) {
        const [via, other] = i % 2 === 0 ? [a, b] : [b, a];
        const name = `w-${i % 7}`;
        const created = await call(via, "POST", "/api/v1/namespaces/w/configmaps", configMap(name, { i: String(i) }));
        if (created.status === 201) {
          expected.push(["ADDED", name, created.body.metadata.resourceVersion]);
          const updated = await call(other, "PUT", `/api/v1/namespaces/w/configmaps/${name}`, {
            ...created.body,
            data: { i: `${i}+` },
          });
          expect(updated.status).toBe(200);
          expected.push(["MODIFIED", name, updated.body.metadata.resourceVersion]);
        } else {
          expect(created.status).toBe(409);
          const deleted = await call(other, "DELETE", `/api/v1/namespaces/w/configmaps/${name}`);
          expect(deleted.status).toBe(200);
          expected.push(["DELETED", name, null]);
        }
      }
      for (const w of watches) {
        const events = await w.take(expected.length);
        const seen = events.map((e, i) => [
          e.type,
          e.object.metadata.name,
          expected[i]?.[2] === null ? null : e.object.metadata.resourceVersion,
        ]);
        expect(seen).toEqual(expected);
        const revisions = events.map((e) => Number(e.object.metadata.resourceVersion));
        expect(revisions).toEqual([...revisions].sort((x, y) => x - y));
        expect(new Set(revisions).size).toBe(revisions.length);
        // And nothing after them.
        expect(await w.drain(300)).toEqual([]);
        w.close();
      }
    });

    test("a CRD created through one replica is served by the other", async () => {
      const crd = {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: "gizmos.example.com" },
        spec: {
          group: "example.com",
          scope: "Namespaced",
          names: { plural: "gizmos", singular: "gizmo", kind: "Gizmo" },
          versions: [
            {
              name: "v1",
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
            },
          ],
        },
      };
      expect((await call(a, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)).status).toBe(201);
      await until("replica b to serve gizmos", async () =>
        (await call(b, "GET", "/apis/example.com/v1")).status === 200 ? true : undefined,
      );
      const made = await call(b, "POST", "/apis/example.com/v1/namespaces/default/gizmos", {
        apiVersion: "example.com/v1",
        kind: "Gizmo",
        metadata: { name: "g1" },
        spec: { size: 3 },
      });
      expect(made.status).toBe(201);
      const read = await call(a, "GET", "/apis/example.com/v1/namespaces/default/gizmos/g1");
      expect(read.body.spec).toEqual({ size: 3 });
      // Both replicas settle the CRD's status to the same thing.
      const established = await until("the CRD to be Established", async () => {
        const r = await call(b, "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gizmos.example.com");
        return r.body.status?.conditions?.some((c: any) => c.type === "Established" && c.status === "True")
          ? r.body
          : undefined;
      });
      expect(established.status.acceptedNames.kind).toBe("Gizmo");
    });

    test("namespace deletion completes with both replicas' controllers running", async () => {
      expect((await call(a, "POST", "/api/v1/namespaces", { metadata: { name: "doomed" } })).status).toBe(201);
      for (let i = 0; i < 10; i++) {
        expect(
          (await call(i % 2 ? a : b, "POST", "/api/v1/namespaces/doomed/configmaps", configMap(`c${i}`))).status,
        ).toBe(201);
      }
      expect((await call(b, "DELETE", "/api/v1/namespaces/doomed")).status).toBe(200);
      await until(
        "namespace doomed to be gone",
        async () => ((await call(a, "GET", "/api/v1/namespaces/doomed")).status === 404 ? true : undefined),
        20_000,
      );
      expect((await call(b, "GET", "/api/v1/namespaces/doomed/configmaps")).body.items).toEqual([]);
    });

    test("both replicas compact etcd's history; old resourceVersions become 410 Expired", async () => {
      const first = (await call(a, "GET", "/api/v1/namespaces/rw")).body.metadata.resourceVersion;
      await until(
        "a compaction past the first namespace's revision",
        async () => {
          await call(a, "POST", "/api/v1/namespaces/rw/configmaps", {
            ...configMap(""),
            metadata: { generateName: "tick-" },
          });
          const r = await call(
            b,
            "GET",
            `/api/v1/namespaces/rw/configmaps?watch=1&resourceVersion=${first}&timeoutSeconds=1`,
          );
          const text = typeof r.body === "string" ? r.body : JSON.stringify(r.body);
          return text.includes('"code":410') ? true : undefined;
        },
        15_000,
      );
    });

    test("neither replica logged a warning or an error", () => {
      expect(problems(a)).toEqual([]);
      expect(problems(b)).toEqual([]);
    });
  });
}
