// The informer over a remote source (remoteSource over the REST client) against a server that
// misbehaves on purpose, reached through the client's injected transport.

import { afterEach, expect, test } from "bun:test";
import { DiscoveryClient, MAX_DISCOVERY_BYTES } from "../../src/client/discovery-client.ts";
import { DynamicClient, type ResourceRef } from "../../src/client/dynamic-client.ts";
import { Informer, remoteSource } from "../../src/client/informer.ts";
import { RestClient } from "../../src/client/rest-client.ts";
import { setLogLevel } from "../../src/log.ts";

setLogLevel("error");

const CONFIGMAPS: ResourceRef = {
  group: "",
  version: "v1",
  resource: "configmaps",
  namespaced: true,
  kind: "ConfigMap",
};
const informers: Informer[] = [];
afterEach(() => {
  for (const i of informers.splice(0)) i.stop();
});

function client(fetch: (req: Request, url: URL) => Response | Promise<Response>): DynamicClient {
  return new DynamicClient(
    new RestClient({
      server: "https://kcp.invalid",
      qps: 0,
      // A real server answers on a later turn of the event loop, so timers still run.
      fetch: async (req) => {
        await Bun.sleep(1);
        return fetch(req, new URL(req.url));
      },
    }),
  );
}

const list = (rv: string) =>
  Response.json({
    apiVersion: "v1",
    kind: "ConfigMapList",
    metadata: { resourceVersion: rv },
    items: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "d", resourceVersion: rv } }],
  });

test("a watch refused with a Status relists with backoff, not in a hot loop", async () => {
  let lists = 0;
  let updates = 0;
  const c = client((_req, url) => {
    if (url.searchParams.get("watch") !== "true") return list(String(++lists));
    return Response.json(
      { kind: "Status", apiVersion: "v1", status: "Failure", reason: "Forbidden", message: "no watch", code: 403 },
      { status: 403 },
    );
  });
  const informer = new Informer({
    name: "refused",
    source: remoteSource(c.resource(CONFIGMAPS)),
    onUpdate: () => updates++,
  });
  informers.push(informer);
  await informer.start();
  await Bun.sleep(1500);
  informer.stop();
  // Without backoff this was thousands of list+watch rounds a second, each an onUpdate per object.
  // With it: 0, 100, 200, 400, 800 ms… between rounds.
  expect(lists).toBeGreaterThan(1);
  expect(lists).toBeLessThan(10);
  expect(updates).toBeLessThan(10);
});

test("a list whose server repeats its continue token, or sends too many objects, fails", async () => {
  const endless = client((_req, url) =>
    Response.json({
      apiVersion: "v1",
      kind: "ConfigMapList",
      metadata: { resourceVersion: "1", continue: "again" },
      items: [{ metadata: { name: `n${url.searchParams.get("continue") ?? ""}`, namespace: "d" } }],
    }),
  );
  const looping = new Informer({ name: "looping", source: remoteSource(endless.resource(CONFIGMAPS)) });
  informers.push(looping);
  await expect(looping.start()).rejects.toThrow("repeats a continue token");
  let page = 0;
  const many = client(() =>
    Response.json({
      apiVersion: "v1",
      kind: "ConfigMapList",
      metadata: { resourceVersion: "1", continue: `p${++page}` },
      items: Array.from({ length: 10 }, (_, i) => ({ metadata: { name: `n${page}-${i}`, namespace: "d" } })),
    }),
  );
  const big = new Informer({ name: "big", source: remoteSource(many.resource(CONFIGMAPS), { maxItems: 100 }) });
  informers.push(big);
  await expect(big.start()).rejects.toThrow("more than 100 objects");
});

test("discovery answers are bounded far below lists", async () => {
  const huge = client(
    () =>
      new Response(`{"versions":["${"v".repeat(MAX_DISCOVERY_BYTES)}"]}`, {
        headers: { "Content-Type": "application/json" },
      }),
  );
  await expect(new DiscoveryClient(huge.rest).serverPreferredResources()).rejects.toThrow(
    `more than ${MAX_DISCOVERY_BYTES}`,
  );
});
