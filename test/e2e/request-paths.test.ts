// Path handling through a real server (issue 16, item 3). Bun.serve resolves `..`, `%2e%2e` and `\`
// before the app sees `request.url`, and fetch or kubectl never send such paths: the requests here
// go out as raw bytes over TLS, so the server sees the request target exactly as written.

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { connect } from "node:tls";
import { api, type KcpProcess, kubectl, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;

useKcp((k) => (kcp = k));

/** Send one request with `target` as its literal request target; the status code and the body. */
async function raw(target: string, method = "GET", token: string | null = kcp.token) {
  const ca = await Bun.file(join(kcp.rootDir, "data", "ca.crt")).text();
  const auth = token === null ? "" : `Authorization: Bearer ${token}\r\n`;
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = connect({ host: "127.0.0.1", port: kcp.port, ca, servername: "localhost" }, () => {
      sock.write(`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Connection: close\r\n\r\n`);
    });
    sock.on("data", (d: Buffer) => chunks.push(d));
    sock.on("end", () => resolve(Buffer.concat(chunks).toString()));
    sock.on("error", reject);
  });
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  const body = text.slice(text.indexOf("\r\n\r\n") + 4);
  return { status, body };
}

/** The Status of a 400 answer, checked for kube's shape. */
async function expectBadRequest(target: string, token: string | null = kcp.token) {
  const res = await raw(target, "GET", token);
  expect(res.status).toBe(400);
  // Bodies may come chunked; the Status object is the JSON between the first `{` and the last `}`.
  const status = JSON.parse(res.body.slice(res.body.indexOf("{"), res.body.lastIndexOf("}") + 1));
  expect({ kind: status.kind, code: status.code, reason: status.reason }).toEqual({
    kind: "Status",
    code: 400,
    reason: "BadRequest",
  });
}

describe("raw request targets", () => {
  test.each([
    "/clusters/cb/../ca/api/v1/namespaces/default/configmaps",
    "/clusters/cb/%2e%2e/ca/api/v1/namespaces/default/configmaps",
    "/clusters/cb/%2E%2e/ca/api/v1/namespaces/default/configmaps",
    "/api/v1/namespaces/default/./configmaps",
    "/api/v1/namespaces/default/%2e/configmaps",
    "/api/v1/namespaces/x/..\\default/configmaps",
    "/clusters/cb//../../clusters/ca/api/v1/configmaps",
    `/clusters/cb/${"x/".repeat(20)}${"../".repeat(20)}../ca/api/v1/configmaps`,
    "/api/v1/namespaces/default/configmaps/a%2Fb",
    "/clusters/c%61/api/v1/configmaps",
    // The absolute form of a request target, too.
    "https://127.0.0.1/clusters/cb/../ca/api/v1/configmaps",
    "https://127.0.0.1/clusters/cb/%2e%2e/ca/api/v1/configmaps",
  ])("%s is 400", async (target) => {
    await expectBadRequest(target);
  });

  test("a malformed escape is 400 before authentication, not a 500", async () => {
    await expectBadRequest("/clusters/%E0%A4%A/api/v1/configmaps", null);
    await expectBadRequest("/api/v1/namespaces/default/configmaps/%E0%A4%A");
    expect(kcp.output()).not.toContain("URI error");
  });

  test("plain paths are served as before", async () => {
    expect((await raw("/api/v1/namespaces/default/configmaps")).status).toBe(200);
    expect((await raw("/api/v1/namespaces/default/configmaps/")).status).toBe(200);
    expect((await raw("/clusters/root/api/v1/namespaces/default/configmaps")).status).toBe(200);
    expect((await raw("/version?x=/../..")).status).toBe(200);
    expect((await raw("/readyz", "GET", null)).status).toBe(200);
    expect((await raw("/api/v1/namespaces?limit=1")).status).toBe(200);
  });
});

test("a name with escaped dots is that name, decoded once", async () => {
  const created = await api(kcp, "/api/v1/namespaces/default/configmaps", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ metadata: { name: "cm.with.dots" }, data: { a: "b" } }),
  });
  expect(created.status).toBe(201);
  const got = await api(kcp, "/api/v1/namespaces/default/configmaps/cm%2Ewith%2Edots");
  expect(got.status).toBe(200);
  expect(((await got.json()) as { data: unknown }).data).toEqual({ a: "b" });
  expect((await raw("/api/v1/namespaces/default/configmaps/cm%2Ewith%2Edots")).status).toBe(200);
});

test("DELETE of a namespaced resource across namespaces is 405, and kubectl still deletes in one", async () => {
  const res = await api(kcp, "/api/v1/configmaps", { method: "DELETE" });
  expect(res.status).toBe(405);
  expect(((await res.json()) as { reason: string }).reason).toBe("MethodNotAllowed");
  expect((await api(kcp, "/api/v1/namespaces/default/configmaps/cm.with.dots")).status).toBe(200);
  const del = await kubectl(kcp, ["delete", "configmaps", "--all", "-n", "default"]);
  expect(del.code).toBe(0);
  expect((await api(kcp, "/api/v1/namespaces/default/configmaps/cm.with.dots")).status).toBe(404);
});
