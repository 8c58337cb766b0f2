// kubectl's loading rules in the client library: KUBECONFIG merging, relative paths, token files,
// exec plugins (a real shell script), TLS options — against a real TLS server (Bun.serve with
// certificates from kcp's own PKI) that echoes the credentials it was given.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clientConfigFromKubeconfigText, loadClientConfig } from "../../src/client/kubeconfig-loader.ts";
import { RestClient } from "../../src/client/rest-client.ts";
import { ensureServingCerts } from "../../src/pki/certs.ts";

const dir = mkdtempSync(join(tmpdir(), "kcp-client-kubeconfig-"));
let server: ReturnType<typeof Bun.serve>;
let ca = "";
let url = "";
const b64 = (s: string) => Buffer.from(s).toString("base64");

beforeAll(async () => {
  const certs = await ensureServingCerts(join(dir, "pki"), { extraHosts: ["kcp.internal"] });
  ca = certs.caCertPem;
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: certs.certPem, key: certs.keyPem },
    fetch: (req) => Response.json({ authorization: req.headers.get("authorization"), path: new URL(req.url).pathname }),
  });
  url = `https://127.0.0.1:${server.port}`;
});
afterAll(() => {
  server?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

function write(path: string, text: string): string {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function kubeconfig(opts: {
  current?: string;
  clusters?: [string, Record<string, unknown>][];
  users?: [string, Record<string, unknown>][];
  contexts?: [string, Record<string, unknown>][];
}): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    ...(opts.current ? { "current-context": opts.current } : {}),
    clusters: (opts.clusters ?? []).map(([name, cluster]) => ({ name, cluster })),
    users: (opts.users ?? []).map(([name, user]) => ({ name, user })),
    contexts: (opts.contexts ?? []).map(([name, context]) => ({ name, context })),
  });
}

async function whoami(client: RestClient): Promise<string | null> {
  const r = await client.request<{ authorization: string | null }>({ method: "GET", path: "/whoami" });
  return r.authorization;
}

describe("KUBECONFIG with several files", () => {
  test("the first file to name an entry wins it; current-context from the first file that sets one", async () => {
    const a = write(
      join(dir, "merge/a.yaml"),
      kubeconfig({
        clusters: [["c", { server: "https://first.example:1" }]],
        users: [["u", { token: "from-a" }]],
        contexts: [["ctx", { cluster: "c", user: "u", namespace: "ns-a" }]],
      }),
    );
    const b = write(
      join(dir, "merge/b.yaml"),
      kubeconfig({
        current: "ctx",
        clusters: [
          ["c", { server: "https://second.example:2" }],
          ["other", { server: "https://other.example:3" }],
        ],
        users: [["u", { token: "from-b" }]],
        contexts: [
          ["ctx", { cluster: "other", user: "u" }],
          ["ctx2", { cluster: "other", user: "u" }],
        ],
      }),
    );
    const c = write(join(dir, "merge/c.yaml"), kubeconfig({ current: "ctx2" }));
    const missing = join(dir, "merge/missing.yaml");
    const env = { KUBECONFIG: [missing, a, b, c].join(":") };
    const config = await loadClientConfig({ env });
    expect(config.contextName).toBe("ctx");
    expect(config.server).toBe("https://first.example:1");
    expect(config.token).toBe("from-a");
    expect(config.namespace).toBe("ns-a");
    const second = await loadClientConfig({ env, context: "ctx2" });
    expect(second.server).toBe("https://other.example:3");
    expect(second.namespace).toBe("default");
    // Reversed order: b's entries and current-context win.
    const reversed = await loadClientConfig({ env: { KUBECONFIG: [c, b, a].join(":") } });
    expect(reversed.contextName).toBe("ctx2");
    expect(reversed.token).toBe("from-b");
  });

  test("an explicit --kubeconfig must exist; no KUBECONFIG file existing is an error for people", async () => {
    await expect(loadClientConfig({ kubeconfig: join(dir, "nope.yaml") })).rejects.toThrow(/cannot read kubeconfig/);
    await expect(loadClientConfig({ env: { KUBECONFIG: join(dir, "nope.yaml") } })).rejects.toThrow(/none of/);
    await expect(loadClientConfig({ env: { HOME: join(dir, "empty-home") } })).rejects.toThrow(/\.kube\/config/);
  });

  test("~/.kube/config when KUBECONFIG is unset", async () => {
    write(
      join(dir, "home/.kube/config"),
      kubeconfig({
        current: "x",
        clusters: [["c", { server: "https://home.example" }]],
        contexts: [["x", { cluster: "c" }]],
      }),
    );
    expect((await loadClientConfig({ env: { HOME: join(dir, "home") } })).server).toBe("https://home.example");
  });
});

describe("file references", () => {
  test("relative paths resolve against the file that names them, also after a merge", async () => {
    write(join(dir, "rel/one/certs/ca.crt"), ca);
    write(join(dir, "rel/two/token"), "token-from-file\n");
    const one = write(
      join(dir, "rel/one/config"),
      kubeconfig({
        current: "ctx",
        clusters: [["c", { server: url, "certificate-authority": "certs/ca.crt" }]],
        contexts: [["ctx", { cluster: "c", user: "u" }]],
      }),
    );
    const two = write(join(dir, "rel/two/config"), kubeconfig({ users: [["u", { tokenFile: "token" }]] }));
    const config = await loadClientConfig({ env: { KUBECONFIG: `${one}:${two}` } });
    expect(config.caData).toBe(ca);
    expect(config.tokenFile).toBe(join(dir, "rel/two/token"));
    expect(config.token).toBeUndefined();
    const client = new RestClient(config);
    expect(await whoami(client)).toBe("Bearer token-from-file");
    // A projected token is rewritten in place: the client sends the new one.
    writeFileSync(join(dir, "rel/two/token"), "rotated-token\n");
    utimesSync(join(dir, "rel/two/token"), new Date(), new Date(Date.now() + 5000));
    expect(await whoami(client)).toBe("Bearer rotated-token");
  });

  test("an inline token wins over tokenFile", async () => {
    const config = await clientConfigFromKubeconfigText(
      kubeconfig({
        current: "x",
        clusters: [["c", { server: url }]],
        users: [["u", { token: "inline", tokenFile: "/does/not/exist" }]],
        contexts: [["x", { cluster: "c", user: "u" }]],
      }),
    );
    expect(config.token).toBe("inline");
    expect(config.tokenFile).toBeUndefined();
  });

  test("client certificate and key files are read; a certificate without a key is refused", async () => {
    write(join(dir, "cert/client.crt"), "CERT PEM");
    write(join(dir, "cert/client.key"), "KEY PEM");
    const text = (user: Record<string, unknown>) =>
      kubeconfig({
        current: "x",
        clusters: [["c", { server: url }]],
        users: [["u", user]],
        contexts: [["x", { cluster: "c", user: "u" }]],
      });
    const files = await clientConfigFromKubeconfigText(
      text({ "client-certificate": "client.crt", "client-key": "client.key" }),
      { baseDir: join(dir, "cert"), allowFiles: true },
    );
    expect(files.clientCertData).toBe("CERT PEM");
    expect(files.clientKeyData).toBe("KEY PEM");
    const data = await clientConfigFromKubeconfigText(
      text({ "client-certificate-data": b64("C2"), "client-key-data": b64("K2") }),
    );
    expect([data.clientCertData, data.clientKeyData]).toEqual(["C2", "K2"]);
    await expect(clientConfigFromKubeconfigText(text({ "client-certificate-data": b64("C") }))).rejects.toThrow(
      /without a key/,
    );
    await expect(
      clientConfigFromKubeconfigText(text({ "client-certificate": "missing.crt", "client-key": "client.key" }), {
        baseDir: join(dir, "cert"),
        allowFiles: true,
      }),
    ).rejects.toThrow(/cannot read client-certificate .*missing\.crt: ENOENT/);
  });

  test("kubeconfig text may not name this host's files nor run plugins unless the caller allows it", async () => {
    const text = (user: Record<string, unknown>, cluster: Record<string, unknown> = {}) =>
      kubeconfig({
        current: "x",
        clusters: [["c", { server: url, ...cluster }]],
        users: [["u", user]],
        contexts: [["x", { cluster: "c", user: "u" }]],
      });
    await expect(clientConfigFromKubeconfigText(text({ tokenFile: "/etc/hostname" }))).rejects.toThrow(
      "kubeconfig: tokenFile refers to a file (/etc/hostname); only inline data (token) is allowed here",
    );
    await expect(
      clientConfigFromKubeconfigText(text({ token: "t" }, { "certificate-authority": "/etc/ssl/x.pem" })),
    ).rejects.toThrow(/certificate-authority refers to a file/);
    await expect(
      clientConfigFromKubeconfigText(
        text({ exec: { apiVersion: "client.authentication.k8s.io/v1", command: "/bin/touch", args: ["/tmp/x"] } }),
      ),
    ).rejects.toThrow('kubeconfig: user "u" uses an exec credential plugin, which is not allowed here');
    // Inline data is fine.
    const inline = await clientConfigFromKubeconfigText(
      text({ token: "t" }, { "certificate-authority-data": b64(ca) }),
    );
    expect(inline.caData).toBe(ca);
  });

  test("invalid kubeconfig text gets a readable message", async () => {
    await expect(clientConfigFromKubeconfigText("hello")).rejects.toThrow("kubeconfig is not a mapping");
    await expect(clientConfigFromKubeconfigText("{")).rejects.toThrow(/not valid YAML/);
    await expect(clientConfigFromKubeconfigText("")).rejects.toThrow(/no current-context/);
    await expect(clientConfigFromKubeconfigText(kubeconfig({ current: "x" }))).rejects.toThrow(
      'kubeconfig has no context named "x"',
    );
    await expect(
      clientConfigFromKubeconfigText(
        kubeconfig({ current: "x", clusters: [["c", { server: "ftp://x" }]], contexts: [["x", { cluster: "c" }]] }),
      ),
    ).rejects.toThrow(/not an http\(s\) URL/);
  });
});

describe("TLS options", () => {
  const text = (cluster: Record<string, unknown>) =>
    kubeconfig({
      current: "x",
      clusters: [["c", { server: url, ...cluster }]],
      users: [["u", { username: "alice", password: "pw" }]],
      contexts: [["x", { cluster: "c", user: "u" }]],
    });

  test("certificate-authority-data verifies the server; basic auth is sent", async () => {
    const client = new RestClient(
      await clientConfigFromKubeconfigText(text({ "certificate-authority-data": b64(ca) })),
    );
    expect(await whoami(client)).toBe(`Basic ${b64("alice:pw")}`);
  });

  test("without the CA the server is refused, with a message that names it; insecure-skip-tls-verify accepts it", async () => {
    const plain = new RestClient(await clientConfigFromKubeconfigText(text({})));
    await expect(whoami(plain)).rejects.toThrow(new RegExp(`GET ${url}/whoami: .*certificate`));
    const insecure = new RestClient(await clientConfigFromKubeconfigText(text({ "insecure-skip-tls-verify": true })));
    expect(await whoami(insecure)).toBe(`Basic ${b64("alice:pw")}`);
  });

  test("tls-server-name: the certificate is checked against that name, not the URL's host", async () => {
    const good = new RestClient(
      await clientConfigFromKubeconfigText(
        text({ "certificate-authority-data": b64(ca), "tls-server-name": "kcp.internal" }),
      ),
    );
    expect(await whoami(good)).toBe(`Basic ${b64("alice:pw")}`);
    const wrong = new RestClient(
      await clientConfigFromKubeconfigText(
        text({ "certificate-authority-data": b64(ca), "tls-server-name": "wrong.example" }),
      ),
    );
    await expect(whoami(wrong)).rejects.toThrow(/ALTNAME|altname|not in the cert/i);
  });
});

describe("client certificates", () => {
  test("certificate and key files authenticate to a server that requires a client certificate", async () => {
    // A client CA and a certificate for "alice", made with openssl as a user would.
    const d = join(dir, "mtls");
    mkdirSync(d, { recursive: true });
    const openssl = (...args: string[]) => {
      const r = Bun.spawnSync(["openssl", ...args], { cwd: d, stderr: "pipe" });
      if (r.exitCode !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr.toString()}`);
    };
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=client-ca");
    openssl("req", ...ec, "-keyout", "alice.key", "-out", "alice.csr", "-subj", "/CN=alice");
    openssl(
      "x509",
      "-req",
      "-in",
      "alice.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "alice.crt",
      "-days",
      "1",
    );
    const certs = await ensureServingCerts(join(dir, "pki"));
    const mtls = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      tls: {
        cert: certs.certPem,
        key: certs.keyPem,
        ca: readFileSync(join(d, "ca.crt"), "utf8"),
        requestCert: true,
        rejectUnauthorized: true,
      },
      fetch: () => Response.json({ authorization: null }),
    });
    try {
      const text = (user: Record<string, unknown>) =>
        kubeconfig({
          current: "x",
          clusters: [["c", { server: `https://127.0.0.1:${mtls.port}`, "certificate-authority-data": b64(ca) }]],
          users: [["u", user]],
          contexts: [["x", { cluster: "c", user: "u" }]],
        });
      const path = write(join(d, "config"), text({ "client-certificate": "alice.crt", "client-key": "alice.key" }));
      const client = new RestClient(await loadClientConfig({ kubeconfig: path }));
      expect(await whoami(client)).toBeNull();
      const without = new RestClient(await loadClientConfig({ kubeconfig: write(join(d, "none"), text({})) }));
      await expect(whoami(without)).rejects.toThrow(`GET https://127.0.0.1:${mtls.port}/whoami`);
    } finally {
      mtls.stop(true);
    }
  });
});

describe("exec credential plugins", () => {
  /** A plugin that counts its runs, records its input, and prints a token valid for `ttl` seconds. */
  function plugin(name: string, ttlSeconds: number): { path: string; runs: () => number; info: () => unknown } {
    const base = join(dir, `exec-${name}`);
    mkdirSync(base, { recursive: true });
    const script = join(base, "plugin.sh");
    writeFileSync(
      script,
      [
        "#!/bin/sh",
        `echo run >> "${base}/runs"`,
        `printf '%s' "$KUBERNETES_EXEC_INFO" > "${base}/info.json"`,
        `expiry=$(date -u -d "@$(( $(date +%s) + ${ttlSeconds} ))" +%Y-%m-%dT%H:%M:%SZ)`,
        `n=$(wc -l < "${base}/runs" | tr -d ' ')`,
        'printf \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s-%s-%s","expirationTimestamp":"%s"}}\' "$PREFIX" "$1" "$n" "$expiry"',
        "",
      ].join("\n"),
    );
    chmodSync(script, 0o755);
    return {
      path: script,
      runs: () => {
        try {
          return readFileSync(join(base, "runs"), "utf8").trim().split("\n").length;
        } catch {
          return 0;
        }
      },
      info: () => JSON.parse(readFileSync(join(base, "info.json"), "utf8")),
    };
  }

  const withExec = (exec: Record<string, unknown>) =>
    kubeconfig({
      current: "x",
      clusters: [["c", { server: url, "certificate-authority-data": b64(ca) }]],
      users: [["u", { exec: { apiVersion: "client.authentication.k8s.io/v1", ...exec } }]],
      contexts: [["x", { cluster: "c", user: "u" }]],
    });

  test("runs the command with its args and env, passes KUBERNETES_EXEC_INFO, caches the token until it expires", async () => {
    const p = plugin("cached", 3600);
    const config = await clientConfigFromKubeconfigText(
      withExec({ command: p.path, args: ["arg1"], env: [{ name: "PREFIX", value: "tok" }], provideClusterInfo: true }),
      { allowExec: true },
    );
    const client = new RestClient(config);
    const [a, b] = await Promise.all([whoami(client), whoami(client)]);
    expect(a).toBe("Bearer tok-arg1-1");
    expect(b).toBe("Bearer tok-arg1-1");
    expect(await whoami(client.forCluster("team"))).toBe("Bearer tok-arg1-1");
    expect(p.runs()).toBe(1);
    const info = p.info() as {
      apiVersion: string;
      kind: string;
      spec: { interactive: boolean; cluster: { server: string } };
    };
    expect(info.apiVersion).toBe("client.authentication.k8s.io/v1");
    expect(info.kind).toBe("ExecCredential");
    expect(info.spec.interactive).toBe(false);
    expect(info.spec.cluster.server).toBe(url);
  });

  test("an expired credential runs the plugin again", async () => {
    const p = plugin("expired", -10);
    const client = new RestClient(
      await clientConfigFromKubeconfigText(withExec({ command: p.path, env: [{ name: "PREFIX", value: "e" }] }), {
        allowExec: true,
      }),
    );
    expect(await whoami(client)).toBe("Bearer e--1");
    expect(await whoami(client)).toBe("Bearer e--2");
  });

  test("a relative command path resolves against the kubeconfig's directory; failures name the plugin", async () => {
    const p = plugin("relative", 3600);
    const config = await clientConfigFromKubeconfigText(
      withExec({ command: "./plugin.sh", env: [{ name: "PREFIX", value: "r" }] }),
      { baseDir: join(p.path, ".."), allowExec: true },
    );
    expect(await whoami(new RestClient(config))).toBe("Bearer r--1");
    const failing = write(join(dir, "exec-fail/plugin.sh"), "#!/bin/sh\necho 'no credentials here' >&2\nexit 3\n");
    chmodSync(failing, 0o755);
    const bad = new RestClient(
      await clientConfigFromKubeconfigText(withExec({ command: failing }), { allowExec: true }),
    );
    await expect(whoami(bad)).rejects.toThrow(/exec plugin .*exited with 3: no credentials here/);
    await expect(
      clientConfigFromKubeconfigText(
        withExec({ apiVersion: "client.authentication.k8s.io/v1alpha1", command: "x" }).replace(
          '"apiVersion":"client.authentication.k8s.io/v1",',
          "",
        ),
        { allowExec: true },
      ),
    ).rejects.toThrow(/v1alpha1 is not supported/);
  });
});

describe("the server URL of a kubeconfig", () => {
  test("a query, a fragment or credentials in it are refused; a path prefix is kept", async () => {
    const text = (server: string) =>
      kubeconfig({
        current: "c",
        clusters: [["c", { server }]],
        users: [["u", { token: "t" }]],
        contexts: [["c", { cluster: "c", user: "u" }]],
      });
    for (const [server, what] of [
      ["https://10.0.0.1/steal?x=", "a query"],
      ["https://10.0.0.1/a#", "a fragment"],
      ["https://user:pw@10.0.0.1", "credentials"],
    ]) {
      await expect(clientConfigFromKubeconfigText(text(server as string))).rejects.toThrow(`has ${what}`);
    }
    const ok = await clientConfigFromKubeconfigText(text("https://10.0.0.1:6443/clusters/team"));
    expect(ok.server).toBe("https://10.0.0.1:6443/clusters/team");
  });
});
