// The cluster controller's stop(): a reconcile still under way (here: waiting on the kubeconfig)
// starts no push syncer once the controller is stopped, and stop() waits for it. A leaked syncer
// would keep syncing (and renewing the heartbeat) after the controller — or the leader — stopped.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { RestClient } from "../../src/client/rest-client.ts";
import { ClusterController, type RunningSyncer } from "../../src/controllers/cluster/cluster-controller.ts";
import { loopbackClientConfig } from "../../src/app/loopback-client.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

let kcp: InMemoryApp;
beforeAll(async () => {
  kcp = await inMemoryApp();
});
afterAll(() => kcp.close());

test("a reconcile under way when stop() is called starts no syncer, and stop() waits for it", async () => {
  const client = new RestClient(loopbackClientConfig(kcp.app, TEST_TOKEN));
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let parsing = false;
  const syncers: { stopped: boolean }[] = [];
  const controller = new ClusterController<RestClient>(
    {
      store: kcp.deps.store,
      registry: kcp.deps.registry,
      parseKubeconfig: async () => {
        parsing = true;
        await gate;
        return {};
      },
      clientFor: () => client,
      targetOf: () => "t",
      upstreamFor: (lc) => client.forCluster(lc),
      // configmaps only: kcp serves them itself, so nothing is ever pulled (or negotiated).
      newCrdPuller: () => {
        throw new Error("nothing to import here");
      },
      startSyncer: (): RunningSyncer => {
        const s = { stopped: false };
        syncers.push(s);
        return {
          started: Promise.resolve(),
          stop: async () => {
            s.stopped = true;
          },
        };
      },
    },
    {
      defaultMode: "push",
      defaultResources: ["configmaps"],
      heartbeatTimeoutMs: 30_000,
      syncerImage: "kcp:test",
      kcp: { url: "https://kcp.example:6443" },
    },
  );
  await controller.start();
  const res = await kcp.app.request("/apis/cluster.example.dev/v1alpha1/clusters", {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({
      apiVersion: "cluster.example.dev/v1alpha1",
      kind: "Cluster",
      metadata: { name: "east" },
      spec: { kubeconfig: "k" },
    }),
  });
  expect(res.status).toBe(201);
  const deadline = Date.now() + 10_000;
  while (!parsing) {
    if (Date.now() > deadline) throw new Error("the controller never reconciled the Cluster");
    await Bun.sleep(20);
  }
  let stopDone = false;
  const stopping = controller.stop().then(() => {
    stopDone = true;
  });
  await Bun.sleep(50);
  // Still waiting for the reconcile under way.
  expect(stopDone).toBe(false);
  release();
  await stopping;
  await Bun.sleep(50);
  expect(syncers.filter((s) => !s.stopped)).toEqual([]);
  expect(controller.runningSyncers()).toBe(0);
});
