// A write admitted into a logical cluster before it was deleted, but worked after (its body sent
// slowly here; a large patch or a slow store do the same), must not survive the deletion: the
// controller waits for it before deleting, and its create, reaching the store while the cluster
// is Terminating, is refused there. Before, it landed after the finalizer was removed and showed
// up in the next cluster of that name.
import { expect, test } from "bun:test";
import { call, until } from "../helpers/etcd-kcp.ts";
import { type KcpProcess, useKcp } from "../helpers/kcp-process.ts";
import { slowPost } from "../helpers/slow-body.ts";

let kcp: KcpProcess;
useKcp((k) => (kcp = k), { env: { KCP_LOGICAL_CLUSTER_REFRESH_MS: "300" } });

const LC = "/apis/tenancy.kcp.io/v1alpha1/logicalclusters";

test("a write admitted before the deletion holds it up, is refused when it reaches the store, and leaves nothing", async () => {
  expect((await call(kcp, "POST", LC, { metadata: { name: "slowpoke" } })).status).toBe(201);
  let send!: () => void;
  const release = new Promise<void>((r) => (send = r));
  const late = slowPost(
    kcp,
    "/clusters/slowpoke/api/v1/namespaces",
    JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: "late" } }),
    release,
  );
  // The request is admitted when its headers arrive; its body is still on its way.
  await Bun.sleep(500);
  expect((await call(kcp, "DELETE", `${LC}/slowpoke`)).status).toBe(200);
  // Longer than the quiet period and a deletion pass: before, the cluster was gone by now.
  await Bun.sleep(2500);
  const waiting = await call(kcp, "GET", `${LC}/slowpoke`);
  expect(waiting.status).toBe(200);
  expect(waiting.body.status.phase).toBe("Terminating");
  send();
  // Its create reaches the store while the cluster is Terminating: refused there (LogicalClusterLifecycle).
  const answer = await late;
  expect(answer.status).toBe(403);
  expect(((await answer.json()) as { message: string }).message).toBe(
    "unable to create or change content in logical cluster slowpoke because it is being terminated",
  );
  await until("slowpoke deleted", async () =>
    (await call(kcp, "GET", `${LC}/slowpoke`)).status === 404 ? true : undefined,
  );
  // The next cluster of the name starts empty.
  expect((await call(kcp, "GET", "/clusters/slowpoke/api/v1/namespaces/late")).status).toBe(404);
  const namespaces = await call(kcp, "GET", "/clusters/slowpoke/api/v1/namespaces");
  expect((namespaces.body.items as { metadata: { name: string } }[]).map((n) => n.metadata.name).sort()).toEqual([
    "default",
    "kube-node-lease",
    "kube-public",
    "kube-system",
  ]);
}, 30_000);
