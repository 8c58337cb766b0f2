// Objects as plain data through a real server and kubectl (issue 16, item 4): every name of
// Object.prototype as a ConfigMap data key and a Secret stringData key, through kubectl's
// client-side apply (create, then a strategic merge patch), server-side apply, the three
// `kubectl patch` types and a read back; never a 5xx. test/unit/prototype-keys.test.ts covers the
// rest (labels, custom resources, merge keys, the prototype left as it was).

import { expect, test } from "bun:test";
import { api, type KcpProcess, kubectl, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;

useKcp((k) => (kcp = k));

const NAMES = Object.getOwnPropertyNames(Object.prototype);

/** A ConfigMap manifest in YAML (quoted keys: `__proto__` is a plain key to YAML and to Go). */
function configMapYaml(name: string, value: (k: string) => string): string {
  const data = NAMES.map((k) => `  ${JSON.stringify(k)}: ${JSON.stringify(value(k))}`).join("\n");
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: default\ndata:\n${data}\n`;
}

async function dataOf(name: string): Promise<[string, unknown][]> {
  const r = await kubectl(kcp, ["get", "configmap", name, "-n", "default", "-o", "json"]);
  expect(r.code).toBe(0);
  const data = JSON.parse(r.stdout).data as Record<string, unknown>;
  return Object.keys(data)
    .sort()
    .map((k) => [k, data[k]]);
}

const expected = (value: (k: string) => string): [string, unknown][] => [...NAMES].sort().map((k) => [k, value(k)]);

test("kubectl apply (client-side, then server-side) and kubectl patch keep every key", async () => {
  for (const [tag, args] of [
    ["c1", ["apply", "-f", "-"]],
    ["c2", ["apply", "-f", "-"]],
    ["s1", ["apply", "--server-side", "--force-conflicts", "-f", "-"]],
  ] as const) {
    const r = await kubectl(kcp, [...args], { stdin: configMapYaml("keys", (k) => `${tag}-${k}`) });
    expect({ tag, code: r.code, stderr: r.stderr }).toEqual({ tag, code: 0, stderr: "" });
    expect(await dataOf("keys")).toEqual(expected((k) => `${tag}-${k}`));
  }
  // Object.fromEntries defines `__proto__` as an own key, so it is in the JSON text.
  const merge = JSON.stringify({ data: Object.fromEntries(NAMES.map((k) => [k, `m-${k}`])) });
  for (const type of ["merge", "strategic"]) {
    const r = await kubectl(kcp, ["patch", "configmap", "keys", "-n", "default", "--type", type, "-p", merge]);
    expect({ type, code: r.code, stderr: r.stderr }).toEqual({ type, code: 0, stderr: "" });
    expect(await dataOf("keys")).toEqual(expected((k) => `m-${k}`));
  }
  const ops = JSON.stringify(NAMES.map((k) => ({ op: "replace", path: `/data/${k}`, value: `j-${k}` })));
  const r = await kubectl(kcp, ["patch", "configmap", "keys", "-n", "default", "--type", "json", "-p", ops]);
  expect(r.code).toBe(0);
  expect(await dataOf("keys")).toEqual(expected((k) => `j-${k}`));
});

test("Secret stringData with every name, and the server still ready and quiet", async () => {
  const body = `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"keys"},"stringData":{${NAMES.map((k) => `${JSON.stringify(k)}:${JSON.stringify(`s-${k}`)}`).join(",")}}}`;
  const res = await api(kcp, "/api/v1/namespaces/default/secrets", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  expect(res.status).toBe(201);
  const data = ((await res.json()) as { data: Record<string, string> }).data;
  expect(Object.keys(data).sort()).toEqual([...NAMES].sort());
  for (const k of NAMES) expect(Buffer.from(data[k] as string, "base64").toString()).toBe(`s-${k}`);
  expect((await api(kcp, "/readyz")).status).toBe(200);
  expect(kcp.output()).not.toContain("Internal error");
});
