// kubectl ≥ 1.32 sends protobuf bodies from its typed client: every imperative `create`, `auth
// can-i` / `whoami`, `certificate approve|deny` and `create token` must work against kcp, with the
// default kubectl (1.32, picked by the server version) and with 1.33. Service account tokens from
// `create token` authenticate until the service account is deleted.
import { describe, expect, test } from "bun:test";
import { api, type KcpProcess, kubectl, type KubectlOptions, useKcp } from "../helpers/kcp-process.ts";
import { envelope, int, kubectlMeta, msg, str, time } from "../helpers/protobuf-encoder.ts";

let kcp: KcpProcess;
let csrPem: string;

useKcp((k) => (kcp = k), {
  setup: async () => {
    // A real certificate request for the CSR cases.
    const proc = Bun.spawn(
      [
        "openssl",
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "/dev/null",
        "-subj",
        "/CN=alice",
        "-out",
        "-",
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    csrPem = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
  },
});

type Obj = Record<string, any>;
const PROTOBUF = "application/vnd.kubernetes.protobuf";

async function ok(args: string[], opts: KubectlOptions = {}): Promise<string> {
  const r = await kubectl(kcp, args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${r.code}\n${r.stderr}`);
  return r.stdout;
}

async function getJSON(args: string[]): Promise<Obj> {
  return JSON.parse(await ok(["get", ...args, "-o", "json"]));
}

for (const version of [undefined, "1.33"] as const) {
  const label = version ?? "default (1.32)";
  const ns = `pb-${(version ?? "default").replace(".", "-")}`;
  const opts: KubectlOptions = version ? { version } : {};
  const run = (args: string[]) => ok(args, opts);

  describe(`kubectl ${label}`, () => {
    test("sends protobuf for `create namespace` and `create configmap`", async () => {
      const r = await kubectl(kcp, ["create", "namespace", ns, "-v=8"], opts);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`User-Agent: kubectl[.0-9]*/v${(version ?? "1.32").replace(".", "\\.")}\\.`));
      expect(r.stderr).toContain(`Content-Type: ${PROTOBUF}`);
      expect(r.stdout).toContain(`namespace/${ns} created`);
      expect((await getJSON(["namespace", ns])).status).toEqual({ phase: "Active" });

      await run([
        "-n",
        ns,
        "create",
        "configmap",
        "cm1",
        "--from-literal=a=b",
        "--from-literal=c=d",
        "--from-literal=empty=",
      ]);
      const cm = await getJSON(["-n", ns, "configmap", "cm1"]);
      expect(cm.data).toEqual({ a: "b", c: "d", empty: "" });
      expect(cm.metadata.namespace).toBe(ns);
      expect(cm.metadata.generateName).toBeUndefined();
      expect(cm.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    });

    test("`create secret generic` and `create serviceaccount`", async () => {
      await run(["-n", ns, "create", "secret", "generic", "s1", "--from-literal=x=y"]);
      const s = await getJSON(["-n", ns, "secret", "s1"]);
      expect(s.data).toEqual({ x: Buffer.from("y").toString("base64") });
      expect(s.type).toBe("Opaque");
      await run(["-n", ns, "create", "serviceaccount", "sa1"]);
      expect((await getJSON(["-n", ns, "serviceaccount", "sa1"])).metadata.name).toBe("sa1");
    });

    test("`create role`, `rolebinding`, `clusterrole`, `clusterrolebinding`", async () => {
      await run(["-n", ns, "create", "role", "r1", "--verb=get,list", "--resource=configmaps", "--resource-name=cm1"]);
      expect((await getJSON(["-n", ns, "role", "r1"])).rules).toEqual([
        { apiGroups: [""], resources: ["configmaps"], resourceNames: ["cm1"], verbs: ["get", "list"] },
      ]);
      await run(["-n", ns, "create", "rolebinding", "rb1", "--role=r1", "--user=bob", `--serviceaccount=${ns}:sa1`]);
      const rb = await getJSON(["-n", ns, "rolebinding", "rb1"]);
      expect(rb.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "r1" });
      expect(rb.subjects).toEqual([
        { apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "bob" },
        { kind: "ServiceAccount", name: "sa1", namespace: ns },
      ]);
      await run(["create", "clusterrole", `cr-${ns}`, "--verb=get", "--resource=configmaps"]);
      expect((await getJSON(["clusterrole", `cr-${ns}`])).rules).toEqual([
        { apiGroups: [""], resources: ["configmaps"], verbs: ["get"] },
      ]);
      await run(["create", "clusterrole", `agg-${ns}`, "--aggregation-rule=tier=gold"]);
      expect((await getJSON(["clusterrole", `agg-${ns}`])).aggregationRule).toEqual({
        clusterRoleSelectors: [{ matchLabels: { tier: "gold" } }],
      });
      await run(["create", "clusterrolebinding", `crb-${ns}`, `--clusterrole=cr-${ns}`, "--group=g1"]);
      expect((await getJSON(["clusterrolebinding", `crb-${ns}`])).subjects).toEqual([
        { apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "g1" },
      ]);
    });

    test("`create quota` with quantities and scopes", async () => {
      await run(["-n", ns, "create", "quota", "q1", "--hard=cpu=1,memory=1Gi,pods=2"]);
      expect((await getJSON(["-n", ns, "resourcequota", "q1"])).spec).toEqual({
        hard: { cpu: "1", memory: "1Gi", pods: "2" },
      });
      await run(["-n", ns, "create", "quota", "q2", "--hard=pods=3", "--scopes=BestEffort"]);
      expect((await getJSON(["-n", ns, "resourcequota", "q2"])).spec).toEqual({
        hard: { pods: "3" },
        scopes: ["BestEffort"],
      });
    });

    test("`auth can-i`, `auth can-i --list` and `auth whoami`", async () => {
      expect((await run(["-n", ns, "auth", "can-i", "create", "configmaps"])).trim()).toBe("yes");
      expect(await run(["-n", ns, "auth", "can-i", "--list"])).toMatch(/^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/m);
      const who = await run(["auth", "whoami", "-o", "json"]);
      expect(JSON.parse(who).status.userInfo).toEqual({
        username: "kcp-admin",
        uid: "kcp-admin",
        groups: ["system:masters", "system:authenticated"],
      });
    });

    test("`certificate approve` and `certificate deny` PUT a protobuf CSR to /approval", async () => {
      for (const name of [`${ns}-approve`, `${ns}-deny`]) {
        const yaml = [
          "apiVersion: certificates.k8s.io/v1",
          "kind: CertificateSigningRequest",
          "metadata:",
          `  name: ${name}`,
          "spec:",
          `  request: ${Buffer.from(csrPem).toString("base64")}`,
          "  signerName: kubernetes.io/kube-apiserver-client",
          "  usages: [client auth]",
        ].join("\n");
        await ok(["create", "-f", "-", "--validate=false"], { ...opts, stdin: yaml });
      }
      expect(await run(["certificate", "approve", `${ns}-approve`])).toContain("approved");
      expect(await run(["certificate", "deny", `${ns}-deny`])).toContain("denied");
      const approved = await getJSON(["csr", `${ns}-approve`]);
      expect(approved.status.conditions).toHaveLength(1);
      expect(approved.status.conditions[0]).toMatchObject({
        type: "Approved",
        status: "True",
        reason: "KubectlApprove",
      });
      expect(approved.status.conditions[0].lastUpdateTime).toMatch(/Z$/);
      expect(approved.spec.request).toBe(Buffer.from(csrPem).toString("base64"));
      expect((await getJSON(["csr", `${ns}-deny`])).status.conditions[0]).toMatchObject({
        type: "Denied",
        status: "True",
        reason: "KubectlDeny",
      });
    });

    test("`create token` gives a token for the service account's user, until the service account is deleted", async () => {
      await run(["-n", ns, "create", "serviceaccount", "robot"]);
      // RBAC: the robot reads in its namespace through a binding to view, as a user would give it.
      await run([
        "-n",
        ns,
        "create",
        "rolebinding",
        "robot-view",
        "--clusterrole=view",
        `--serviceaccount=${ns}:robot`,
      ]);
      const token = (await run(["-n", ns, "create", "token", "robot"])).trim();
      expect(token.split(".")).toHaveLength(3);
      for (let i = 0; i < 100; i++) {
        if ((await kubectl(kcp, ["--token", token, "-n", ns, "auth", "can-i", "get", "configmaps"], opts)).code === 0)
          break;
        await Bun.sleep(50);
      }
      const who = JSON.parse(await ok(["--token", token, "auth", "whoami", "-o", "json"], opts)).status.userInfo;
      expect(who.username).toBe(`system:serviceaccount:${ns}:robot`);
      expect(who.groups).toEqual(["system:serviceaccounts", `system:serviceaccounts:${ns}`, "system:authenticated"]);
      expect(who.uid).toBe((await getJSON(["-n", ns, "serviceaccount", "robot"])).metadata.uid);
      expect(await ok(["--token", token, "-n", ns, "get", "configmap", "cm1", "-o", "name"], opts)).toContain(
        "configmap/cm1",
      );
      const review = await api(kcp, "/apis/authentication.k8s.io/v1/tokenreviews", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token } }),
      });
      expect(((await review.json()) as Obj).status).toMatchObject({
        authenticated: true,
        user: { username: `system:serviceaccount:${ns}:robot` },
      });

      await run(["-n", ns, "delete", "serviceaccount", "robot"]);
      const after = await kubectl(kcp, ["--token", token, "auth", "whoami"], opts);
      expect(after.code).not.toBe(0);
      expect(after.stderr).toContain("Unauthorized");
      expect((await api(kcp, "/api/v1/namespaces", { token })).status).toBe(401);
      // A new service account of the same name is another identity: the old token stays dead.
      await run(["-n", ns, "create", "serviceaccount", "robot"]);
      expect((await api(kcp, "/api/v1/namespaces", { token })).status).toBe(401);
    });

    test("`create token --bound-object-kind Secret`: the token dies with the secret", async () => {
      await run(["-n", ns, "create", "secret", "generic", "binder", "--from-literal=k=v"]);
      const token = (
        await run(["-n", ns, "create", "token", "sa1", "--bound-object-kind=Secret", "--bound-object-name=binder"])
      ).trim();
      // Discovery needs no binding (system:discovery): 200 while the token authenticates, then 401.
      expect((await api(kcp, "/api", { token })).status).toBe(200);
      await run(["-n", ns, "delete", "secret", "binder"]);
      expect((await api(kcp, "/api", { token })).status).toBe(401);
      const noSecret = await kubectl(
        kcp,
        ["-n", ns, "create", "token", "sa1", "--bound-object-kind=Secret", "--bound-object-name=binder"],
        opts,
      );
      expect(noSecret.stderr).toContain('secrets "binder" not found');
    });

    test("`create token` validation: duration, missing service account, other audiences", async () => {
      const short = await kubectl(kcp, ["-n", ns, "create", "token", "sa1", "--duration=5m"], opts);
      expect(short.code).not.toBe(0);
      expect(short.stderr).toContain("may not specify a duration less than 10 minutes");
      const missing = await kubectl(kcp, ["-n", ns, "create", "token", "nobody"], opts);
      expect(missing.stderr).toContain('serviceaccounts "nobody" not found');
      const vault = (await run(["-n", ns, "create", "token", "sa1", "--audience=vault", "--duration=1h"])).trim();
      // A token for another audience is not accepted by this server.
      expect((await api(kcp, "/api/v1/namespaces", { token: vault })).status).toBe(401);
    });
  });
}

describe("kubectl 1.31 (JSON bodies)", () => {
  test("`create token` works with a JSON TokenRequest too", async () => {
    await ok(["create", "serviceaccount", "json-sa"]);
    const r = await kubectl(kcp, ["create", "token", "json-sa", "-v=8"], { version: "1.31" });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Content-Type: application/json");
    const who = JSON.parse(await ok(["--token", r.stdout.trim(), "auth", "whoami", "-o", "json"], { version: "1.31" }))
      .status.userInfo;
    expect(who.username).toBe("system:serviceaccount:default:json-sa");
  });
});

describe("client-go style protobuf requests", () => {
  test("a Lease created and updated in protobuf keeps MicroTime precision", async () => {
    const spec = (renew: number) =>
      msg(2, str(1, "holder-1"), int(2, 15), time(3, 1700000000, 123456000), time(4, renew, 654321000), int(5, 0));
    const headers = { "Content-Type": PROTOBUF, Accept: `${PROTOBUF}, application/json` };
    const created = await api(kcp, "/apis/coordination.k8s.io/v1/namespaces/default/leases", {
      method: "POST",
      headers,
      body: envelope("coordination.k8s.io/v1", "Lease", [...kubectlMeta("lock"), ...spec(1700000001)]),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("content-type")).toBe("application/json");
    const lease = (await created.json()) as Obj;
    expect(lease.spec).toEqual({
      holderIdentity: "holder-1",
      leaseDurationSeconds: 15,
      acquireTime: "2023-11-14T22:13:20.123456Z",
      renewTime: "2023-11-14T22:13:21.654321Z",
      leaseTransitions: 0,
    });
    const rv = lease.metadata.resourceVersion as string;
    const updated = await api(kcp, "/apis/coordination.k8s.io/v1/namespaces/default/leases/lock", {
      method: "PUT",
      headers,
      body: envelope("coordination.k8s.io/v1", "Lease", [
        ...msg(1, str(1, "lock"), str(3, "default"), str(6, rv)),
        ...spec(1700000002),
      ]),
    });
    expect(updated.status).toBe(200);
    expect(((await updated.json()) as Obj).spec.renewTime).toBe("2023-11-14T22:13:22.654321Z");
  });

  test("an events.k8s.io Event in protobuf", async () => {
    const raw = [
      ...kubectlMeta("ev1.abc"),
      ...time(2, 1700000000, 1000),
      ...str(4, "example.com/ctrl"),
      ...str(5, "ctrl-1"),
      ...str(6, "Reconcile"),
      ...str(7, "Done"),
      ...msg(8, str(1, "Lease"), str(2, "default"), str(3, "lock"), str(5, "coordination.k8s.io/v1")),
      ...str(10, "all good"),
      ...str(11, "Normal"),
    ];
    const r = await api(kcp, "/apis/events.k8s.io/v1/namespaces/default/events", {
      method: "POST",
      headers: { "Content-Type": PROTOBUF },
      body: envelope("events.k8s.io/v1", "Event", raw),
    });
    expect(r.status).toBe(201);
    expect((await r.json()) as Obj).toMatchObject({
      eventTime: "2023-11-14T22:13:20.000001Z",
      reportingController: "example.com/ctrl",
      note: "all good",
      regarding: { kind: "Lease", name: "lock" },
    });
  });

  test("DELETE with a protobuf DeleteOptions body: preconditions are honoured", async () => {
    await ok(["create", "configmap", "doomed", "--from-literal=a=b"]);
    const uid = (await getJSON(["configmap", "doomed"])).metadata.uid as string;
    const del = (precondition: string) =>
      api(kcp, "/api/v1/namespaces/default/configmaps/doomed", {
        method: "DELETE",
        headers: { "Content-Type": PROTOBUF },
        body: envelope("v1", "DeleteOptions", [...msg(2, str(1, precondition)), ...str(4, "Background")]),
      });
    const conflict = await del("not-the-uid");
    expect(conflict.status).toBe(409);
    const gone = await del(uid);
    expect(gone.status).toBe(200);
    expect(((await gone.json()) as Obj).status).toBe("Success");
  });

  test("a malformed protobuf body is a 400; an unknown media type a 415 naming protobuf", async () => {
    const bad = await api(kcp, "/api/v1/namespaces/default/configmaps", {
      method: "POST",
      headers: { "Content-Type": PROTOBUF },
      body: new Uint8Array([1, 2, 3]),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Obj).message).toContain("provided data does not appear to be a protobuf message");
    const other = await api(kcp, "/api/v1/namespaces/default/configmaps", {
      method: "POST",
      headers: { "Content-Type": "application/cbor" },
      body: "x",
    });
    expect(other.status).toBe(415);
    expect(((await other.json()) as Obj).message).toContain("application/vnd.kubernetes.protobuf");
  });
});
