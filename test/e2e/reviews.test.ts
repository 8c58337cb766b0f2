// Review APIs: `kubectl auth can-i` and `auth whoami` (kubectl 1.31 and 1.28, which send JSON), and
// TokenReview for the admin token and a wrong one. Reviews are answered, not stored.
import { describe, expect, test } from "bun:test";
import { parseTable } from "../helpers/kubectl-table.ts";
import { api, type KcpProcess, kubectl, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;

useKcp((k) => (kcp = k));

type Obj = Record<string, any>;
const JSON_HEADERS = { "Content-Type": "application/json" };

describe("kubectl auth", () => {
  test("can-i create configmaps → yes (kubectl 1.31)", async () => {
    const r = await kubectl(kcp, ["auth", "can-i", "create", "configmaps"], { version: "1.31" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("yes\n");
    const ns = await kubectl(kcp, ["auth", "can-i", "delete", "leases.coordination.k8s.io", "-n", "kube-system"], {
      version: "1.31",
    });
    expect(ns.stdout).toBe("yes\n");
  });

  test("can-i --list shows the admin's rules", async () => {
    const r = await kubectl(kcp, ["auth", "can-i", "--list"], { version: "1.31" });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/);
    expect(lines).toContainEqual(expect.stringMatching(/^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/));
  });

  for (const version of ["1.31", "1.28"]) {
    test(`whoami prints the admin user (kubectl ${version})`, async () => {
      const r = await kubectl(kcp, ["auth", "whoami", "-o", "json"], { version });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const review = JSON.parse(r.stdout);
      expect(review.kind).toBe("SelfSubjectReview");
      expect(review.status.userInfo.username).toBe("kcp-admin");
      expect(review.status.userInfo.groups).toContain("system:masters");
      expect(review.status.userInfo.groups).toContain("system:authenticated");
      const table = await kubectl(kcp, ["auth", "whoami"], { version });
      expect(parseTable(table.stdout).find((row) => row.ATTRIBUTE === "Username")?.VALUE).toBe("kcp-admin");
    });
  }
});

describe("TokenReview", () => {
  const review = (token: string) =>
    api(kcp, "/apis/authentication.k8s.io/v1/tokenreviews", {
      method: "POST",
      body: JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token } }),
      headers: JSON_HEADERS,
    });

  test("authenticates the admin token", async () => {
    const res = await review(kcp.token);
    expect(res.status).toBe(201);
    const body = (await res.json()) as Obj;
    expect(body.kind).toBe("TokenReview");
    expect(body.apiVersion).toBe("authentication.k8s.io/v1");
    expect(body.status.authenticated).toBe(true);
    expect(body.status.user.username).toBe("kcp-admin");
    expect(body.status.user.groups).toContain("system:masters");
  });

  test("rejects a wrong token", async () => {
    const res = await review("definitely-not-a-token");
    expect(res.status).toBe(201);
    const body = (await res.json()) as Obj;
    expect(body.status.authenticated ?? false).toBe(false);
    expect(body.status.user ?? {}).toEqual({});
    expect(typeof body.status.error).toBe("string");
  });

  test("a review with no token is 400, as kube-apiserver answers", async () => {
    const res = await review("");
    expect(res.status).toBe(400);
    expect(((await res.json()) as Obj).reason).toBe("BadRequest");
  });

  test("a SubjectAccessReview for another user is answered", async () => {
    const res = await api(kcp, "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
      method: "POST",
      body: JSON.stringify({
        spec: { user: "someone", resourceAttributes: { verb: "get", resource: "configmaps", namespace: "default" } },
      }),
      headers: JSON_HEADERS,
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Obj;
    expect(body.kind).toBe("SubjectAccessReview");
    expect(typeof body.status.allowed).toBe("boolean");
  });
});
