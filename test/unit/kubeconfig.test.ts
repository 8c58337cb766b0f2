import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import {
  buildAdminKubeconfig,
  parseKubeconfig,
  readKubeconfig,
  serverUrlForListen,
  writeAdminKubeconfig,
} from "../../src/config/kubeconfig.ts";

const CA = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n";
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "kcp-kubeconfig-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("buildAdminKubeconfig", () => {
  test("admin and user clusters, one admin user, admin is the current context", () => {
    const doc = parse(buildAdminKubeconfig({ server: "https://127.0.0.1:6443", caCertPem: CA, token: "secret" }));
    expect(doc.apiVersion).toBe("v1");
    expect(doc.kind).toBe("Config");
    expect(doc["current-context"]).toBe("admin");
    expect(doc.clusters).toEqual([
      {
        name: "admin",
        cluster: { server: "https://127.0.0.1:6443", "certificate-authority-data": Buffer.from(CA).toString("base64") },
      },
      {
        name: "user",
        cluster: {
          server: "https://127.0.0.1:6443/clusters/user",
          "certificate-authority-data": Buffer.from(CA).toString("base64"),
        },
      },
    ]);
    expect(doc.users).toEqual([{ name: "admin", user: { token: "secret" } }]);
    expect(doc.contexts).toEqual([
      { name: "admin", context: { cluster: "admin", user: "admin" } },
      { name: "user", context: { cluster: "user", user: "admin" } },
    ]);
  });

  test("a wildcard server address is replaced by loopback", () => {
    const servers = (server: string) =>
      parse(buildAdminKubeconfig({ server, caCertPem: CA, token: "t" })).clusters.map((c: any) => c.cluster.server);
    expect(servers("https://0.0.0.0:6443")).toEqual(["https://127.0.0.1:6443", "https://127.0.0.1:6443/clusters/user"]);
    expect(servers("https://[::]:6443")).toEqual(["https://localhost:6443", "https://localhost:6443/clusters/user"]);
    expect(servers("https://[::1]:6443/")).toEqual(["https://[::1]:6443", "https://[::1]:6443/clusters/user"]);
  });
});

describe("buildAdminKubeconfig quoting", () => {
  test("values YAML would read as numbers, booleans or syntax come back as the same strings", () => {
    for (const token of [
      "12345",
      "0123e4",
      "true",
      "yes",
      "null",
      "~",
      "a: b",
      "x #y",
      "'q'",
      '"dq"',
      "tail:",
      "-dash",
      "[x]",
      "ümlaut",
      "line\nbreak",
    ]) {
      const doc = parse(buildAdminKubeconfig({ server: "https://127.0.0.1:6443", caCertPem: CA, token }));
      expect(doc.users[0].user.token).toBe(token);
    }
    const doc = parse(buildAdminKubeconfig({ server: "https://[fe80::1]:6443", caCertPem: CA, token: "t" }));
    expect(doc.clusters[0].cluster.server).toBe("https://[fe80::1]:6443");
  });
});

describe("serverUrlForListen", () => {
  test("loopback for wildcard binds, brackets for IPv6", () => {
    expect(serverUrlForListen("127.0.0.1", 6443)).toBe("https://127.0.0.1:6443");
    expect(serverUrlForListen("0.0.0.0", 6443)).toBe("https://127.0.0.1:6443");
    expect(serverUrlForListen("", 6443)).toBe("https://127.0.0.1:6443");
    expect(serverUrlForListen("::", 1)).toBe("https://localhost:1");
    expect(serverUrlForListen("::1", 6443)).toBe("https://[::1]:6443");
    expect(serverUrlForListen("[::1]", 6443)).toBe("https://[::1]:6443");
    expect(serverUrlForListen("kcp.example.test", 6443)).toBe("https://kcp.example.test:6443");
  });
});

describe("writeAdminKubeconfig and readKubeconfig", () => {
  test("round trip: the current context and a named one", async () => {
    const path = join(tempDir(), "sub", "admin.kubeconfig");
    await writeAdminKubeconfig(path, { server: "https://127.0.0.1:6443", caCertPem: CA, token: "secret" });
    expect(statSync(path).mode & 0o777).toBe(0o600);

    const admin = await readKubeconfig(path);
    expect(admin).toMatchObject({
      contextName: "admin",
      clusterName: "admin",
      userName: "admin",
      server: "https://127.0.0.1:6443",
      caData: CA,
      token: "secret",
      insecureSkipTlsVerify: false,
    });
    const user = await readKubeconfig(path, "user");
    expect(user.server).toBe("https://127.0.0.1:6443/clusters/user");
    expect(user.token).toBe("secret");
    expect(user.caData).toBe(CA);
  });

  test("an unchanged kubeconfig is not rewritten; a changed one is, with mode 0600", async () => {
    const path = join(tempDir(), "admin.kubeconfig");
    const opts = { server: "https://127.0.0.1:6443", caCertPem: CA, token: "secret" };
    await writeAdminKubeconfig(path, opts);
    const first = statSync(path);
    await writeAdminKubeconfig(path, opts);
    // The atomic write renames a new file into place: the same inode means no write happened.
    expect(statSync(path).ino).toBe(first.ino);
    await writeAdminKubeconfig(path, { ...opts, token: "other" });
    const changed = statSync(path);
    expect(changed.ino).not.toBe(first.ino);
    expect(changed.mode & 0o777).toBe(0o600);
    expect((await readKubeconfig(path)).token).toBe("other");
  });

  test("an unknown context is a clear error", async () => {
    const path = join(tempDir(), "admin.kubeconfig");
    await writeAdminKubeconfig(path, { server: "https://127.0.0.1:6443", caCertPem: CA, token: "t" });
    await expect(readKubeconfig(path, "nope")).rejects.toThrow('kubeconfig has no context named "nope"');
  });

  test("kubectl reads the file we write", async () => {
    const path = join(tempDir(), "admin.kubeconfig");
    await writeAdminKubeconfig(path, { server: "https://127.0.0.1:6443", caCertPem: CA, token: "t" });
    const proc = Bun.spawn(["kubectl", "--kubeconfig", path, "config", "get-contexts", "-o", "name"], {
      stdout: "pipe",
    });
    const out = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    expect(out.trim().split("\n").sort()).toEqual(["admin", "user"]);
  });

  test("kubectl-written fields: files relative to the kubeconfig, namespace, client certificates", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "ca.pem"), CA);
    writeFileSync(join(dir, "token.txt"), "from-file\n");
    const text = `
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: c
  cluster:
    server: https://example.test:443
    certificate-authority: ca.pem
    tls-server-name: kcp.internal
users:
- name: u
  user:
    tokenFile: ${join(dir, "token.txt")}
    client-certificate-data: ${Buffer.from("CERT").toString("base64")}
    client-key-data: ${Buffer.from("KEY").toString("base64")}
- name: insecure
  user:
    username: alice
    password: pw
contexts:
- name: dev
  context: {cluster: c, user: u, namespace: team-a}
- name: other
  context: {cluster: c, user: insecure}
`;
    writeFileSync(join(dir, "config"), text);
    const dev = await readKubeconfig(join(dir, "config"));
    expect(dev).toMatchObject({
      contextName: "dev",
      server: "https://example.test:443",
      caData: CA,
      tlsServerName: "kcp.internal",
      token: "from-file",
      clientCertData: "CERT",
      clientKeyData: "KEY",
      namespace: "team-a",
    });
    const other = await parseKubeconfig(text, { contextName: "other", baseDir: dir });
    expect(other).toMatchObject({ username: "alice", password: "pw", token: undefined, namespace: undefined });
    expect(readFileSync(join(dir, "config"), "utf8")).toBe(text);
  });

  test("no current-context and none asked for is an error", async () => {
    await expect(parseKubeconfig("apiVersion: v1\nkind: Config\n")).rejects.toThrow(/no current-context/);
  });
});
