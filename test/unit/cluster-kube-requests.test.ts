// applyManifest, as the cluster controller re-applies pull installs: a second apply updates the
// content and our labels/annotations, and keeps those others put on the object (the Deployment
// controller's revision annotation, a user's label).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { loopbackClientConfig } from "../../src/app/loopback-client.ts";
import { RestClient } from "../../src/client/rest-client.ts";
import { applyManifest } from "../../src/controllers/cluster/kube-requests.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

let mem: InMemoryApp;
beforeAll(async () => {
  mem = await inMemoryApp();
});
afterAll(() => mem.close());

test("a re-apply keeps others' labels and annotations", async () => {
  const client = new RestClient(loopbackClientConfig(mem.app, TEST_TOKEN));
  const secret = (data: string, ours: string) => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "s", namespace: "default", labels: { mine: ours }, annotations: { "kcp.dev/x": ours } },
    data: { k: Buffer.from(data).toString("base64") },
  });
  await applyManifest(client, secret("one", "1"));
  const path = "/api/v1/namespaces/default/secrets/s";
  const cur = await client.request<Record<string, any>>({ method: "GET", path });
  cur.metadata.labels.theirs = "t";
  cur.metadata.annotations["deployment.kubernetes.io/revision"] = "3";
  await client.request({ method: "PUT", path, body: cur });

  await applyManifest(client, secret("two", "2"));
  const after = await client.request<Record<string, any>>({ method: "GET", path });
  expect(after.metadata.labels).toEqual({ mine: "2", theirs: "t" });
  expect(after.metadata.annotations).toEqual({ "kcp.dev/x": "2", "deployment.kubernetes.io/revision": "3" });
  expect(Buffer.from(after.data.k, "base64").toString()).toBe("two");
});
