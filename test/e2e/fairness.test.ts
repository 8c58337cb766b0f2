// Fairness between tenants (issue 16, item 6) on a real server over real TLS: a user flooding one
// logical cluster with concurrent creates gets some 429 TooManyRequests (Retry-After and a Status
// body) while another user's requests in another logical cluster all succeed; the flooder's watches
// are never refused; system:masters is never refused. The server runs with a share of 1 seat per
// flow (--max-requests-inflight-per-flow 1); the flooder holds its seat with a half-sent body, so
// its flood fills the queue and the rest is refused (test/helpers/flood-client.ts).

import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FLOW_QUEUE_LENGTH } from "../../src/server/fairness/flow-control.ts";
import { api, type KcpProcess, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;
const FLOODER = "flooder-token-0123456789";
const CALM = "calm-token-0123456789";
// Over one flow's share (1) and queue (FLOW_QUEUE_LENGTH), so some are refused.
const FLOOD = 400;

useKcp((k) => (kcp = k), {
  rootDir: (() => {
    const dir = mkdtempSync(join(tmpdir(), "kcp-fair-"));
    writeFileSync(join(dir, "tokens.csv"), `${FLOODER},flooder,uid-flooder\n${CALM},calm,uid-calm\n`);
    return dir;
  })(),
  args: ["--token-auth-file", "tokens.csv", "--max-requests-inflight-per-flow", "1"],
  setup: async (k) => {
    // Each user may edit its own logical cluster's default namespace.
    for (const [cluster, user] of [
      ["noisy", "flooder"],
      ["quiet", "calm"],
    ] as const) {
      const res = await api(
        k,
        `/clusters/${cluster}/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings`,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: { name: `${user}-edit` },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
            subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
          }),
        },
      );
      expect(res.status).toBe(201);
    }
    // The bindings reach the authorizer through its watch.
    for (const [cluster, token] of [
      ["noisy", FLOODER],
      ["quiet", CALM],
    ] as const) {
      const deadline = Date.now() + 10_000;
      while ((await create(token, cluster, `probe-${crypto.randomUUID()}`)).status !== 201) {
        if (Date.now() > deadline) throw new Error(`the RoleBinding in ${cluster} did not take effect`);
        await Bun.sleep(50);
      }
    }
  },
});

function create(token: string, cluster: string, name: string): Promise<Response> {
  return api(kcp, `/clusters/${cluster}/api/v1/namespaces/default/configmaps`, {
    method: "POST",
    token,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { k: "v".repeat(512) } }),
  });
}

interface Answer {
  status: number;
  retryAfter: string | null;
  body: Record<string, unknown>;
}

/** `n` concurrent creates as `token` in `cluster`; every answer. */
async function flood(token: string, cluster: string, n: number): Promise<Answer[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const res = await create(token, cluster, `flood-${crypto.randomUUID().slice(0, 8)}-${i}`);
      return {
        status: res.status,
        retryAfter: res.headers.get("retry-after"),
        body: (await res.json()) as Record<string, unknown>,
      };
    }),
  );
}

describe("fairness between tenants", () => {
  test("a flooding user gets 429s with Retry-After; another tenant's requests all succeed; its watches are served", async () => {
    const calm: number[] = [];
    let flooding = true;
    // The calm tenant: one request at a time, in its own cluster, for as long as the flood lasts.
    const calmLoop = (async () => {
      for (let i = 0; flooding || i < 5; i++) calm.push((await create(CALM, "quiet", `calm-${i}`)).status);
    })();
    // The flooder holds its one seat with a half-sent body and sends FLOOD more at once, from a
    // process of its own (Bun's fetch keeps 256 in flight per process by default).
    const cfgFile = join(kcp.rootDir, "flood.json");
    writeFileSync(
      cfgFile,
      JSON.stringify({
        url: kcp.url,
        token: FLOODER,
        caFile: join(kcp.rootDir, "data", "ca.crt"),
        path: "/clusters/noisy/api/v1/namespaces/default/configmaps",
        count: FLOOD,
        queue: FLOW_QUEUE_LENGTH,
      }),
    );
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "../helpers/flood-client.ts"), cfgFile], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: "1024" },
    });
    let out = "";
    const reading = (async () => {
      for await (const chunk of child.stdout) out += new TextDecoder().decode(chunk);
    })();
    const deadline = Date.now() + 60_000;
    while (!out.includes("FULL") && child.exitCode === null && Date.now() < deadline) await Bun.sleep(20);
    expect(out).toContain("FULL");
    // The flooder's queue is full now; its watches are never refused.
    const ac = new AbortController();
    const w = await api(kcp, "/clusters/noisy/api/v1/namespaces/default/configmaps?watch=true", {
      token: FLOODER,
      signal: ac.signal,
    });
    expect(w.status).toBe(200);
    ac.abort();
    child.stdin.write("go\n");
    await child.stdin.end();
    expect(await child.exited).toBe(0);
    await reading;
    const answers = JSON.parse(out.slice(out.indexOf("FULL") + 4).trim()) as Answer[];
    flooding = false;
    await calmLoop;

    expect(answers.length).toBe(FLOOD + 1);
    const tooMany = answers.filter((a) => a.status === 429);
    // One seat and a queue of 300: the held request and 300 are created, the rest refused at once.
    expect(tooMany.length).toBe(FLOOD - FLOW_QUEUE_LENGTH);
    // Everything else was created: a 429 is the only refusal, never a 5xx.
    expect(answers.filter((a) => a.status !== 429 && a.status !== 201)).toEqual([]);
    for (const a of tooMany) {
      expect(a.retryAfter).toBe("1");
      expect(a.body).toMatchObject({
        kind: "Status",
        apiVersion: "v1",
        status: "Failure",
        reason: "TooManyRequests",
        code: 429,
        message: "Too many requests, please try again later.",
        details: { retryAfterSeconds: 1 },
      });
    }
    expect(calm.length).toBeGreaterThan(0);
    expect(calm.filter((s) => s !== 201)).toEqual([]);

    const metrics = await (await api(kcp, "/metrics")).text();
    const rejected =
      /apiserver_flowcontrol_rejected_requests_total\{request_kind="mutating",reason="queue-full"\} (\d+)/.exec(
        metrics,
      );
    expect(Number(rejected?.[1])).toBeGreaterThanOrEqual(tooMany.length);
    // The flooder used far more than the calm tenant, active throughout: it was paced.
    const paced = /kcp_flowcontrol_paced_requests_total\{request_kind="mutating"\} (\d+)/.exec(metrics);
    expect(Number(paced?.[1])).toBeGreaterThan(0);
  });

  test("system:masters is never refused", async () => {
    // The admin token's user is in system:masters: exempt, however many requests it sends at once.
    const answers = await flood(kcp.token, "noisy", FLOOD);
    expect(answers.filter((a) => a.status !== 201).map((a) => a.status)).toEqual([]);
  });
});
