// Malformed or refused requests get kube-apiserver's Status (code, reason, message, details), and
// kubectl turns them into its usual messages.
import { describe, expect, test } from "bun:test";
import { stringify as stringifyYaml } from "yaml";
import { api, type KcpProcess, kubectl, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;

useKcp((k) => (kcp = k));

type Obj = Record<string, any>;
const JSON_HEADERS = { "Content-Type": "application/json" };

async function status(res: Response, code: number, reason: string): Promise<Obj> {
  const body = (await res.json()) as Obj;
  expect({ http: res.status, code: body.code, reason: body.reason, kind: body.kind, status: body.status }).toEqual({
    http: code,
    code,
    reason,
    kind: "Status",
    status: "Failure",
  });
  expect(res.headers.get("content-type")).toStartWith("application/json");
  return body;
}

describe("bodies", () => {
  test("invalid JSON is 400 BadRequest", async () => {
    const res = await api(kcp, "/api/v1/namespaces/default/configmaps", {
      method: "POST",
      body: '{"metadata": {',
      headers: JSON_HEADERS,
    });
    await status(res, 400, "BadRequest");
  });

  test("JSON behind a byte order mark is 400, however the body is framed (Go's decoder refuses it too)", async () => {
    const json = new TextEncoder().encode(
      JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "bom" } }),
    );
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...json]);
    // With a Content-Length, and chunked (a stream body has no length).
    const framed = await api(kcp, "/api/v1/namespaces/default/configmaps", {
      method: "POST",
      body: bytes,
      headers: JSON_HEADERS,
    });
    expect((await status(framed, 400, "BadRequest")).message).toContain("json parse error");
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes);
        c.close();
      },
    });
    const chunked = await api(kcp, "/api/v1/namespaces/default/configmaps", {
      method: "POST",
      body: stream,
      headers: JSON_HEADERS,
    });
    expect((await status(chunked, 400, "BadRequest")).message).toContain("json parse error");
  });

  test("a body that is not an object, or the wrong kind, is 400", async () => {
    const arr = await api(kcp, "/api/v1/namespaces/default/configmaps", {
      method: "POST",
      body: "[1,2]",
      headers: JSON_HEADERS,
    });
    await status(arr, 400, "BadRequest");
    const wrongKind = await api(kcp, "/api/v1/namespaces/default/configmaps", {
      method: "POST",
      body: JSON.stringify({ apiVersion: "v1", kind: "Secret", metadata: { name: "k" } }),
      headers: JSON_HEADERS,
    });
    await status(wrongKind, 400, "BadRequest");
  });

  test("an invalid name is 422 Invalid, and kubectl prints `is invalid: metadata.name: Invalid value`", async () => {
    const res = await api(kcp, "/api/v1/namespaces/default/configmaps", {
      method: "POST",
      body: JSON.stringify({ metadata: { name: "Bad_Name" } }),
      headers: JSON_HEADERS,
    });
    const body = await status(res, 422, "Invalid");
    expect(body.details.name).toBe("Bad_Name");
    expect(body.details.kind).toBe("ConfigMap");
    expect(body.details.causes).toHaveLength(1);
    expect(body.details.causes[0].reason).toBe("FieldValueInvalid");
    expect(body.details.causes[0].field).toBe("metadata.name");
    expect(body.message).toStartWith(
      'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain',
    );

    const r = await kubectl(kcp, ["create", "--validate=false", "-f", "-"], {
      stdin: stringifyYaml({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "Bad_Name" } }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'The ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of',
    );
  });

  test("a body over 3 MiB is 413 RequestEntityTooLarge, from kubectl too", async () => {
    const big = "x".repeat(3 * 1024 * 1024 + 1);
    const res = await api(kcp, "/api/v1/namespaces/default/configmaps", {
      method: "POST",
      body: JSON.stringify({ metadata: { name: "big" }, data: { big } }),
      headers: JSON_HEADERS,
    });
    const body = await status(res, 413, "RequestEntityTooLarge");
    expect(body.message).toBe("Request entity too large: limit is 3145728");

    const r = await kubectl(kcp, ["create", "--validate=false", "-f", "-"], {
      stdin: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "big" }, data: { big } }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Request entity too large: limit is 3145728");
    expect((await api(kcp, "/api/v1/namespaces/default/configmaps/big")).status).toBe(404);
  });
});

describe("paths and verbs", () => {
  test("an unknown resource is 404 NotFound; kubectl says the server doesn't have it", async () => {
    const res = await api(kcp, "/api/v1/namespaces/default/widgets");
    const body = await status(res, 404, "NotFound");
    expect(body.message).toBe("the server could not find the requested resource");
    const group = await api(kcp, "/apis/example.com/v1/widgets");
    await status(group, 404, "NotFound");
    const r = await kubectl(kcp, ["get", "widgets"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the server doesn\'t have a resource type "widgets"');
  });

  test("a missing object is 404 with its name and kind", async () => {
    const res = await api(kcp, "/api/v1/namespaces/default/configmaps/absent");
    const body = await status(res, 404, "NotFound");
    expect(body.message).toBe('configmaps "absent" not found');
    expect(body.details).toEqual({ name: "absent", kind: "configmaps" });
    const lease = await api(kcp, "/apis/coordination.k8s.io/v1/namespaces/default/leases/absent");
    const leaseBody = await status(lease, 404, "NotFound");
    expect(leaseBody.message).toBe('leases.coordination.k8s.io "absent" not found');
    expect(leaseBody.details).toEqual({ name: "absent", group: "coordination.k8s.io", kind: "leases" });
  });

  test("GET on tokenreviews (create-only) is 405 MethodNotAllowed", async () => {
    const res = await api(kcp, "/apis/authentication.k8s.io/v1/tokenreviews");
    const body = await status(res, 405, "MethodNotAllowed");
    expect(body.message).toBe("the server does not allow this method on the requested resource");
    const r = await kubectl(kcp, ["get", "tokenreviews"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "Error from server (MethodNotAllowed): the server does not allow this method on the requested resource",
    );
  });
});

describe("authentication", () => {
  test("a missing or wrong token is 401 Unauthorized", async () => {
    const none = await api(kcp, "/api/v1/namespaces", { token: null });
    const body = await status(none, 401, "Unauthorized");
    expect(body.message).toBe("Unauthorized");
    const wrong = await api(kcp, "/api/v1/namespaces", { token: "not-the-token" });
    await status(wrong, 401, "Unauthorized");
    // Discovery is not public either; /version and health are.
    expect((await api(kcp, "/apis", { token: null })).status).toBe(401);
    expect((await api(kcp, "/version", { token: null })).status).toBe(200);
    expect((await api(kcp, "/readyz", { token: null })).status).toBe(200);
  });

  test("kubectl with a wrong token: You must be logged in to the server", async () => {
    const text = await Bun.file(kcp.kubeconfig).text();
    const badConfig = `${kcp.rootDir}/kubeconfig-bad-token`;
    await Bun.write(badConfig, text.replace(kcp.token, "wrong-token-wrong-token-wrong-token-wrong-tok"));
    // With discovery cached, the list fails; with a cold cache, discovery does.
    await kubectl(kcp, ["get", "cm"]);
    const warm = await kubectl(kcp, ["get", "cm"], { kubeconfig: badConfig, version: "1.32" });
    expect(warm.code).toBe(1);
    expect(warm.stderr).toContain("error: You must be logged in to the server (Unauthorized)");
    const cold = await kubectl(kcp, ["get", "cm"], {
      kubeconfig: badConfig,
      version: "1.32",
      cacheDir: `${kcp.rootDir}/cold-cache`,
    });
    expect(cold.code).toBe(1);
    expect(cold.stderr).toContain(
      "error: You must be logged in to the server (the server has asked for the client to provide credentials)",
    );
  });
});

describe("conflicts", () => {
  test("a duplicate create is 409 AlreadyExists", async () => {
    const make = () =>
      api(kcp, "/api/v1/namespaces/default/configmaps", {
        method: "POST",
        body: JSON.stringify({ metadata: { name: "dup" } }),
        headers: JSON_HEADERS,
      });
    expect((await make()).status).toBe(201);
    const body = await status(await make(), 409, "AlreadyExists");
    expect(body.message).toBe('configmaps "dup" already exists');
    expect(body.details).toEqual({ name: "dup", kind: "configmaps" });
    const r = await kubectl(kcp, ["create", "--validate=false", "-f", "-"], {
      stdin: stringifyYaml({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "dup" } }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'Error from server (AlreadyExists): error when creating "STDIN": configmaps "dup" already exists',
    );
  });

  test("an update with a stale resourceVersion is 409 Conflict; so is a patch that pins one", async () => {
    const created = (await (
      await api(kcp, "/api/v1/namespaces/default/configmaps", {
        method: "POST",
        body: JSON.stringify({ metadata: { name: "cas" } }),
        headers: JSON_HEADERS,
      })
    ).json()) as Obj;
    const first = await api(kcp, "/api/v1/namespaces/default/configmaps/cas", {
      method: "PUT",
      body: JSON.stringify({ ...created, data: { n: "1" } }),
      headers: JSON_HEADERS,
    });
    expect(first.status).toBe(200);
    const stale = await api(kcp, "/api/v1/namespaces/default/configmaps/cas", {
      method: "PUT",
      body: JSON.stringify({ ...created, data: { n: "2" } }),
      headers: JSON_HEADERS,
    });
    const body = await status(stale, 409, "Conflict");
    expect(body.message).toBe(
      'Operation cannot be fulfilled on configmaps "cas": the object has been modified; please apply your changes to the latest version and try again',
    );
    expect(body.details).toEqual({ name: "cas", kind: "configmaps" });
    const patch = await api(kcp, "/api/v1/namespaces/default/configmaps/cas", {
      method: "PATCH",
      body: JSON.stringify({ metadata: { resourceVersion: created.metadata.resourceVersion }, data: { n: "3" } }),
      headers: { "Content-Type": "application/merge-patch+json" },
    });
    await status(patch, 409, "Conflict");
    const now = (await (await api(kcp, "/api/v1/namespaces/default/configmaps/cas")).json()) as Obj;
    expect(now.data).toEqual({ n: "1" });
  });

  test("an unsupported patch type is 415", async () => {
    const res = await api(kcp, "/api/v1/namespaces/default/configmaps/cas", {
      method: "PATCH",
      body: "{}",
      headers: { "Content-Type": "text/plain" },
    });
    await status(res, 415, "UnsupportedMediaType");
  });
});
