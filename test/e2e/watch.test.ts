// Watch: `kubectl get -w`, raw watches resumed from a resourceVersion (nothing missed, nothing
// repeated), watch-list with the initial-events-end bookmark, ParseBool casing, and selector
// watches where an object that stops matching arrives as DELETED.
// (A too-old resourceVersion → 410 Expired is tested against storage directly: test/unit/watch-expired.test.ts.)
import { describe, expect, test } from "bun:test";
import { stringify as stringifyYaml } from "yaml";
import { api, type KcpProcess, kubectl, spawnKubectl, useKcp } from "../helpers/kcp-process.ts";
import { type WatchEvent, WatchStream } from "../helpers/watch-stream.ts";

let kcp: KcpProcess;

useKcp((k) => (kcp = k));

type Obj = Record<string, any>;
const JSON_HEADERS = { "Content-Type": "application/json" };

async function createNamespace(name: string): Promise<void> {
  const res = await api(kcp, "/api/v1/namespaces", {
    method: "POST",
    body: JSON.stringify({ metadata: { name } }),
    headers: JSON_HEADERS,
  });
  expect(res.status).toBe(201);
}

async function createCm(ns: string, name: string, labels: Record<string, string> = {}): Promise<Obj> {
  const res = await api(kcp, `/api/v1/namespaces/${ns}/configmaps`, {
    method: "POST",
    body: JSON.stringify({ metadata: { name, labels } }),
    headers: JSON_HEADERS,
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Obj;
}

async function patchCm(ns: string, name: string, patch: Obj): Promise<Obj> {
  const res = await api(kcp, `/api/v1/namespaces/${ns}/configmaps/${name}`, {
    method: "PATCH",
    body: JSON.stringify(patch),
    headers: { "Content-Type": "application/merge-patch+json" },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Obj;
}

async function deleteCm(ns: string, name: string): Promise<void> {
  const res = await api(kcp, `/api/v1/namespaces/${ns}/configmaps/${name}`, { method: "DELETE" });
  expect(res.status).toBe(200);
}

async function listRV(path: string): Promise<string> {
  const res = await api(kcp, path);
  expect(res.status).toBe(200);
  return ((await res.json()) as Obj).metadata.resourceVersion;
}

async function openWatch(path: string): Promise<WatchStream> {
  const res = await api(kcp, path);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toStartWith("application/json");
  return new WatchStream(res);
}

const summary = (evs: WatchEvent[]) => evs.map((e) => `${e.type} ${e.object.metadata.name ?? ""}`);

describe("kubectl get -w", () => {
  test("sees ADDED, MODIFIED and DELETED (--output-watch-events -o json)", async () => {
    const ns = "watch-kubectl";
    await createNamespace(ns);
    await createCm(ns, "before");
    const w = spawnKubectl(kcp, ["get", "cm", "-n", ns, "-w", "--output-watch-events", "-o", "json"]);
    try {
      const events = () =>
        w
          .stdout()
          .split("\n")
          .filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l) as WatchEvent);
      await w.waitFor(() => events().length >= 1);
      // The list kubectl started with, then everything after it.
      await kubectl(kcp, ["create", "--validate=false", "-f", "-"], {
        stdin: stringifyYaml({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "live", namespace: ns } }),
      });
      await kubectl(kcp, ["label", "cm", "live", "-n", ns, "step=two"]);
      await kubectl(kcp, ["delete", "cm", "live", "-n", ns]);
      await w.waitFor(() => events().length >= 4);
      const evs = events();
      expect(summary(evs)).toEqual(["ADDED before", "ADDED live", "MODIFIED live", "DELETED live"]);
      expect(evs[2].object.metadata.labels).toEqual({ step: "two" });
      expect(evs[3].object.kind).toBe("ConfigMap");
      expect(evs[3].object.apiVersion).toBe("v1");
    } finally {
      await w.stop();
    }
    expect(w.stderr()).toBe("");
  });

  test("-o name prints each change as it happens", async () => {
    const ns = "watch-kubectl-name";
    await createNamespace(ns);
    const w = spawnKubectl(kcp, ["get", "cm", "-n", ns, "-w", "-o", "name"]);
    try {
      // Whether kubectl lists or watches it, "one" is printed exactly once.
      await createCm(ns, "one");
      await w.waitFor((out) => out.includes("configmap/one"));
      await createCm(ns, "two");
      await w.waitFor((out) => out.includes("configmap/two"));
    } finally {
      await w.stop();
    }
    expect(w.stdout().trim().split("\n")).toEqual(["configmap/one", "configmap/two"]);
  });
});

describe("raw watch", () => {
  test("resumed from the last resourceVersion seen: nothing missed, nothing repeated", async () => {
    const ns = "watch-resume";
    await createNamespace(ns);
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    const startRV = await listRV(path);

    // What the writer did, in order: the events a watcher must see.
    const expected: { type: string; name: string; rv?: string }[] = [];
    const writer = (async () => {
      for (let i = 0; i < 12; i++) {
        const name = `obj-${i % 4}`;
        if (i < 4) expected.push({ type: "ADDED", name, rv: (await createCm(ns, name)).metadata.resourceVersion });
        else if (i < 8)
          expected.push({
            type: "MODIFIED",
            name,
            rv: (await patchCm(ns, name, { data: { i: String(i) } })).metadata.resourceVersion,
          });
        else {
          await deleteCm(ns, name);
          expected.push({ type: "DELETED", name });
        }
      }
    })();

    // First watcher: from the list's revision, takes five events, then goes away.
    const first = await openWatch(`${path}?watch=true&resourceVersion=${startRV}`);
    const part1 = await first.take(5);
    first.close();
    // Second watcher: resumes from the last revision the first one saw.
    const resumeAt = part1[4].object.metadata.resourceVersion;
    await writer;
    const second = await openWatch(`${path}?watch=true&resourceVersion=${resumeAt}`);
    const part2 = await second.take(7);
    const extra = await second.drain(300);
    second.close();
    expect(extra).toEqual([]);

    const seen = [...part1, ...part2];
    expect(seen.map((e) => ({ type: e.type, name: e.object.metadata.name }))).toEqual(
      expected.map(({ type, name }) => ({ type, name })),
    );
    const rvs = seen.map((e) => Number(e.object.metadata.resourceVersion));
    for (let i = 1; i < rvs.length; i++) expect(rvs[i]).toBeGreaterThan(rvs[i - 1]);
    expected.forEach((e, i) => {
      if (e.rv) expect(seen[i].object.metadata.resourceVersion).toBe(e.rv);
    });
    expect(rvs[0]).toBeGreaterThan(Number(startRV));
  });

  test("no resourceVersion: ADDED for what exists, then live changes", async () => {
    const ns = "watch-initial";
    await createNamespace(ns);
    await createCm(ns, "a");
    await createCm(ns, "b");
    const w = await openWatch(`/api/v1/namespaces/${ns}/configmaps?watch=true`);
    try {
      expect(summary(await w.take(2))).toEqual(["ADDED a", "ADDED b"]);
      await patchCm(ns, "a", { data: { x: "1" } });
      expect(summary(await w.take(1))).toEqual(["MODIFIED a"]);
    } finally {
      w.close();
    }
  });

  test("sendInitialEvents=true: ADDED for each object, then a BOOKMARK marking the end of initial events", async () => {
    const ns = "watch-list";
    await createNamespace(ns);
    const created = [await createCm(ns, "x"), await createCm(ns, "y"), await createCm(ns, "z")];
    const w = await openWatch(
      `/api/v1/namespaces/${ns}/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=`,
    );
    try {
      const initial = await w.take(4);
      expect(summary(initial.slice(0, 3))).toEqual(["ADDED x", "ADDED y", "ADDED z"]);
      const bookmark = initial[3];
      expect(bookmark.type).toBe("BOOKMARK");
      expect(bookmark.object.kind).toBe("ConfigMap");
      expect(bookmark.object.apiVersion).toBe("v1");
      expect(bookmark.object.metadata.annotations).toEqual({ "k8s.io/initial-events-end": "true" });
      const maxRV = Math.max(...created.map((o) => Number(o.metadata.resourceVersion)));
      expect(Number(bookmark.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(maxRV);
      await createCm(ns, "later");
      expect(summary(await w.take(1))).toEqual(["ADDED later"]);
    } finally {
      w.close();
    }
  });

  test("sendInitialEvents without resourceVersionMatch=NotOlderThan is Invalid", async () => {
    const res = await api(
      kcp,
      "/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&allowWatchBookmarks=true",
    );
    expect(res.status).toBe(422);
    const status = (await res.json()) as Obj;
    expect(status.reason).toBe("Invalid");
    expect(status.message).toContain("resourceVersionMatch");
  });

  test("watch=True (Python's casing) and watch=1 stream events, watch=false lists", async () => {
    const ns = "watch-parsebool";
    await createNamespace(ns);
    await createCm(ns, "only");
    for (const value of ["True", "1", "TRUE", "t"]) {
      const w = await openWatch(`/api/v1/namespaces/${ns}/configmaps?watch=${value}`);
      try {
        expect(summary(await w.take(1))).toEqual(["ADDED only"]);
      } finally {
        w.close();
      }
    }
    const list = await api(kcp, `/api/v1/namespaces/${ns}/configmaps?watch=false`);
    expect(((await list.json()) as Obj).kind).toBe("ConfigMapList");
  });

  test("a label-selector watch sees an object leave (DELETED) and come back (ADDED)", async () => {
    const ns = "watch-selector";
    await createNamespace(ns);
    const rv = await listRV(`/api/v1/namespaces/${ns}/configmaps`);
    const w = await openWatch(
      `/api/v1/namespaces/${ns}/configmaps?watch=true&labelSelector=team%3Da&resourceVersion=${rv}`,
    );
    try {
      await createCm(ns, "member", { team: "a" });
      await createCm(ns, "outsider", { team: "b" });
      await patchCm(ns, "outsider", { data: { k: "v" } });
      await patchCm(ns, "member", { metadata: { labels: { team: "b" } } });
      await patchCm(ns, "member", { data: { while: "away" } });
      await patchCm(ns, "member", { metadata: { labels: { team: "a" } } });
      await patchCm(ns, "member", { data: { back: "yes" } });
      await deleteCm(ns, "member");
      await deleteCm(ns, "outsider");
      const evs = await w.take(5);
      expect(summary(evs)).toEqual([
        "ADDED member",
        "DELETED member",
        "ADDED member",
        "MODIFIED member",
        "DELETED member",
      ]);
      // DELETED on leaving carries the object as it is now (no longer matching).
      expect(evs[1].object.metadata.labels).toEqual({ team: "b" });
      expect(await w.drain(300)).toEqual([]);
    } finally {
      w.close();
    }
  });

  test("a field-selector watch on metadata.name sees only that object", async () => {
    const ns = "watch-field";
    await createNamespace(ns);
    const rv = await listRV(`/api/v1/namespaces/${ns}/configmaps`);
    const w = await openWatch(
      `/api/v1/namespaces/${ns}/configmaps?watch=true&fieldSelector=metadata.name%3Dwanted&resourceVersion=${rv}`,
    );
    try {
      await createCm(ns, "other");
      await createCm(ns, "wanted");
      await deleteCm(ns, "wanted");
      expect(summary(await w.take(2))).toEqual(["ADDED wanted", "DELETED wanted"]);
    } finally {
      w.close();
    }
  });

  test("timeoutSeconds ends the stream", async () => {
    const w = await openWatch(
      `/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1&resourceVersion=${await listRV("/api/v1/namespaces/default/configmaps")}`,
    );
    expect(await w.closedByServer(10_000)).toBe(true);
  });
});
