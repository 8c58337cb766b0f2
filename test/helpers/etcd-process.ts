// Start real etcd members for tests: one member or a 3-member loopback cluster, on free ports,
// with a temporary data directory each, optionally over TLS with client certificates. Nothing
// here is shared between tests: every caller starts what it needs and stops it.

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ETCD_BIN = process.env.ETCD_BIN ?? "etcd";

/**
 * Members die with the test process even when a failing test never stops them: setpriv (Linux,
 * util-linux) sets the parent-death signal and then runs etcd itself in the same process.
 */
const SETPRIV = Bun.which("setpriv");
const DIE_WITH_PARENT = SETPRIV ? [SETPRIV, "--pdeathsig", "SIGKILL", "--"] : [];

/** Why etcd cannot be started here, or null when it can. */
export function etcdMissingReason(): string | null {
  const found = Bun.which(ETCD_BIN);
  if (!found) {
    return `the etcd binary ("${ETCD_BIN}") is not on PATH: install it (Debian: apt-get install -y etcd-server etcd-client) or set ETCD_BIN`;
  }
  return null;
}

/** Client TLS material for a TLS member: the CA to trust and a client certificate it accepts. */
export interface EtcdTls {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface EtcdMember {
  name: string;
  /** http(s)://127.0.0.1:<port> */
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  /** True while the process runs. */
  readonly running: boolean;
  /** Output so far (stderr and stdout), for failure messages. */
  output(): string;
  /** Stop (SIGTERM by default, SIGKILL for a crash) and wait for the exit. */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Start again with the same name, ports and data. */
  start(): Promise<void>;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** Client URLs of every member. */
  endpoints: string[];
  tls?: EtcdTls;
  /** The member the running members agree is leader (waits for an election). */
  leader(timeoutMs?: number): Promise<EtcdMember>;
  /** Stop every member and delete the data directories. */
  stop(): Promise<void>;
}

export interface EtcdStartOptions {
  /** Serve clients over TLS and require client certificates. */
  tls?: boolean;
  /** etcd's --max-request-bytes (its default: 1.5 MiB). */
  maxRequestBytes?: number;
}

/** A free loopback port (the kernel picks; it is released before etcd binds it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** One etcd member. */
export function startEtcd(opts: EtcdStartOptions = {}): Promise<EtcdCluster> {
  return startEtcdCluster(1, opts);
}

/**
 * A cluster of `size` members on loopback. Heartbeat and election timeouts are short (50 ms /
 * 500 ms) so that losing the leader costs about a second, not etcd's default few seconds.
 */
export async function startEtcdCluster(size = 3, opts: EtcdStartOptions = {}): Promise<EtcdCluster> {
  const missing = etcdMissingReason();
  if (missing) throw new Error(missing);
  const root = mkdtempSync(join(tmpdir(), "kcp-etcd-"));
  const tls = opts.tls ? makeTls(root) : undefined;
  const scheme = tls ? "https" : "http";
  const specs: { name: string; clientPort: number; peerPort: number }[] = [];
  const taken = new Set<number>();
  for (let i = 0; i < size; i++) {
    const clientPort = await distinctPort(taken);
    const peerPort = await distinctPort(taken);
    specs.push({ name: `m${i}`, clientPort, peerPort });
  }
  const initialCluster = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peerPort}`).join(",");
  const token = `kcp-test-${process.pid}-${Date.now()}`;
  const members = specs.map(
    (s) =>
      new MemberProcess({
        name: s.name,
        clientUrl: `${scheme}://127.0.0.1:${s.clientPort}`,
        peerUrl: `http://127.0.0.1:${s.peerPort}`,
        dataDir: join(root, s.name),
        initialCluster,
        token,
        tls,
        maxRequestBytes: opts.maxRequestBytes,
      }),
  );
  try {
    // Members of a new cluster wait for each other: start them all before waiting on any.
    await Promise.all(members.map((m) => m.start()));
  } catch (err) {
    await Promise.all(members.map((m) => m.stop("SIGKILL")));
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const cluster: EtcdCluster = {
    members,
    endpoints: members.map((m) => m.clientUrl),
    ...(tls ? { tls } : {}),
    leader: (timeoutMs = 10_000) => findLeader(members, tls, timeoutMs),
    async stop() {
      await Promise.all(members.map((m) => m.stop("SIGKILL")));
      rmSync(root, { recursive: true, force: true });
    },
  };
  return cluster;
}

async function distinctPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (!taken.has(p)) {
      taken.add(p);
      return p;
    }
  }
}

interface MemberSpec {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  initialCluster: string;
  token: string;
  tls: EtcdTls | undefined;
  maxRequestBytes: number | undefined;
}

class MemberProcess implements EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  private proc: ReturnType<typeof Bun.spawn> | null = null;
  private out = "";

  constructor(private readonly spec: MemberSpec) {
    this.name = spec.name;
    this.clientUrl = spec.clientUrl;
    this.peerUrl = spec.peerUrl;
    this.dataDir = spec.dataDir;
  }

  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  output(): string {
    return this.out;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const s = this.spec;
    const args = [
      ETCD_BIN,
      "--name",
      s.name,
      "--data-dir",
      s.dataDir,
      "--listen-client-urls",
      s.clientUrl,
      "--advertise-client-urls",
      s.clientUrl,
      "--listen-peer-urls",
      s.peerUrl,
      "--initial-advertise-peer-urls",
      s.peerUrl,
      "--initial-cluster",
      s.initialCluster,
      "--initial-cluster-token",
      s.token,
      "--initial-cluster-state",
      "new",
      "--heartbeat-interval",
      "50",
      "--election-timeout",
      "500",
      "--logger",
      "zap",
      "--log-outputs",
      "stderr",
      "--log-level",
      "warn",
    ];
    if (s.maxRequestBytes) args.push("--max-request-bytes", String(s.maxRequestBytes));
    if (s.tls)
      args.push(
        "--cert-file",
        s.tls.certFile,
        "--key-file",
        s.tls.keyFile,
        "--trusted-ca-file",
        s.tls.caFile,
        "--client-cert-auth",
      );
    const proc = Bun.spawn([...DIE_WITH_PARENT, ...args], { stdout: "pipe", stderr: "pipe" });
    this.proc = proc;
    const decoder = new TextDecoder();
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) this.out += decoder.decode(chunk, { stream: true });
    };
    void pump(proc.stdout as ReadableStream<Uint8Array>);
    void pump(proc.stderr as ReadableStream<Uint8Array>);
    // A lone member is ready when it answers; members of a new cluster only once a quorum runs,
    // which the caller awaits for all of them at once.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`etcd ${s.name} exited (${proc.exitCode ?? proc.signalCode}):\n${this.out}`);
      if (await isHealthy(this.clientUrl, s.tls)) return;
      await Bun.sleep(50);
    }
    throw new Error(`etcd ${s.name} did not become healthy in 20 s:\n${this.out}`);
  }

  async stop(signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.running) return;
    proc.kill(signal);
    await proc.exited;
  }
}

async function gatewayPost(url: string, path: string, tls: EtcdTls | undefined, timeoutMs = 1000): Promise<unknown> {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    body: "{}",
    signal: AbortSignal.timeout(timeoutMs),
    ...(tls
      ? {
          tls: {
            ca: readFileSync(tls.caFile, "utf8"),
            cert: readFileSync(tls.certFile, "utf8"),
            key: readFileSync(tls.keyFile, "utf8"),
          },
        }
      : {}),
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

async function isHealthy(url: string, tls: EtcdTls | undefined): Promise<boolean> {
  try {
    // /health is true only when the member has a leader and can serve a linearizable read.
    const res = await fetch(`${url}/health`, {
      signal: AbortSignal.timeout(1000),
      ...(tls
        ? {
            tls: {
              ca: readFileSync(tls.caFile, "utf8"),
              cert: readFileSync(tls.certFile, "utf8"),
              key: readFileSync(tls.keyFile, "utf8"),
            },
          }
        : {}),
    });
    if (!res.ok) return false;
    const body = (await res.json()) as { health?: string };
    return body.health === "true";
  } catch {
    return false;
  }
}

interface StatusBody {
  header?: { member_id?: string };
  leader?: string;
}

async function findLeader(members: MemberProcess[], tls: EtcdTls | undefined, timeoutMs: number): Promise<EtcdMember> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const running = members.filter((m) => m.running);
    const statuses = await Promise.all(
      running.map(async (m) => {
        try {
          return { m, s: (await gatewayPost(m.clientUrl, "/v3/maintenance/status", tls)) as StatusBody };
        } catch {
          return null;
        }
      }),
    );
    const ok = statuses.filter((x) => x !== null);
    const self = ok.find((x) => x.s.leader && x.s.leader !== "0" && x.s.leader === x.s.header?.member_id);
    // Wait until every answering member names the same leader, so an election is over.
    if (self && ok.every((x) => x.s.leader === self.s.leader)) return self.m;
    await Bun.sleep(50);
  }
  throw new Error(`no etcd leader elected within ${timeoutMs} ms`);
}

/** A CA and one certificate (serverAuth and clientAuth, SAN 127.0.0.1) made with openssl. */
function makeTls(root: string): EtcdTls {
  const dir = join(root, "tls");
  const run = (args: string[]) => {
    const r = spawnSync("openssl", args, { cwd: root, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${r.stderr}`);
  };
  mkdirSync(dir, { recursive: true });
  const f = (n: string) => join(dir, n);
  run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f("ca.key")]);
  run(["req", "-x509", "-new", "-key", f("ca.key"), "-subj", "/CN=etcd-test-ca", "-days", "2", "-out", f("ca.crt")]);
  run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f("tmp.key")]);
  // etcd and grpc-js read PKCS#8 and SEC1 alike; PKCS#8 is the common denominator.
  run(["pkcs8", "-topk8", "-nocrypt", "-in", f("tmp.key"), "-out", f("member.key")]);
  run(["req", "-new", "-key", f("member.key"), "-subj", "/CN=127.0.0.1", "-out", f("member.csr")]);
  writeFileSync(f("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
  run([
    "x509",
    "-req",
    "-in",
    f("member.csr"),
    "-CA",
    f("ca.crt"),
    "-CAkey",
    f("ca.key"),
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    f("ext.cnf"),
    "-out",
    f("member.crt"),
  ]);
  return { caFile: f("ca.crt"), certFile: f("member.crt"), keyFile: f("member.key") };
}

/** A temporary directory the caller removes. */
export function tempDir(prefix = "kcp-etcd-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
