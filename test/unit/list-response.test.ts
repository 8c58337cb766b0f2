// jsonListResponse: the text is JSON.stringify of the body byte for byte, whether it fits in one
// chunk (a plain string answer, with its length) or goes out in several; members before and after
// the large array and members JSON leaves out are written as JSON.stringify writes them.
import { expect, test } from "bun:test";
import { jsonListResponse, LIST_CHUNK_BYTES } from "../../src/server/rest/list-response.ts";

const item = (i: number, size: number) => ({ metadata: { name: `o${i}`, note: 'é "q" \\' }, data: "x".repeat(size) });

async function chunks(res: Response): Promise<string[]> {
  if (!res.body) return [];
  const reader = res.body.getReader();
  const out: string[] = [];
  for (let r = await reader.read(); !r.done; r = await reader.read()) out.push(Buffer.from(r.value).toString("utf8"));
  return out;
}

test("a small list is one string with its length", async () => {
  for (const items of [[], [item(1, 10)], [item(1, 10), item(2, 10)]]) {
    const body = { kind: "XList", apiVersion: "v1", metadata: { resourceVersion: "5" }, items };
    const res = jsonListResponse(body, "items");
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.text()).toBe(JSON.stringify(body));
  }
});

test("a large list goes out in chunks of about LIST_CHUNK_BYTES, the same bytes", async () => {
  const items = Array.from({ length: 300 }, (_, i) => item(i, 20_000));
  const body = {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion: "9", continue: "abc", remainingItemCount: 3 },
    skipped: undefined,
    rows: items,
    after: { columnDefinitions: [{ name: "Name" }] },
  };
  const parts = await chunks(jsonListResponse(body, "rows"));
  expect(parts.join("")).toBe(JSON.stringify(body));
  expect(parts.length).toBeGreaterThanOrEqual(Math.floor((300 * 20_000) / LIST_CHUNK_BYTES));
  for (const p of parts) expect(p.length).toBeLessThan(LIST_CHUNK_BYTES + 25_000);
});

test("a body without the array is plain JSON", async () => {
  expect(await jsonListResponse({ kind: "Status", items: null }, "items").text()).toBe(
    '{"kind":"Status","items":null}',
  );
});
