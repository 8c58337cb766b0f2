// The wait of `kcp cluster add|remove`: transient failures (no answer, 5xx, 429) are retried until
// the deadline and reported, other errors end the wait at once, and every probe's signal aborts at
// the deadline so no request outlives --timeout.
import { expect, test } from "bun:test";
import { pollUntil } from "../../src/cli/cluster-poll.ts";
import { errors } from "../../src/machinery/status.ts";

test("transient failures are retried until an answer comes", async () => {
  let calls = 0;
  const r = await pollUntil(
    10_000,
    async () => {
      calls++;
      if (calls === 1) throw new Error("connect ECONNREFUSED 127.0.0.1:6443");
      if (calls === 2) throw errors.serviceUnavailable("etcd is starting");
      return calls === 3 ? "ready" : undefined;
    },
    1,
  );
  expect(r).toEqual({ value: "ready" });
  expect(calls).toBe(3);
});

test("a non-transient error ends the wait", async () => {
  let calls = 0;
  const wait = pollUntil(
    10_000,
    async () => {
      calls++;
      throw errors.forbidden("no");
    },
    1,
  );
  await expect(wait).rejects.toThrow();
  expect(calls).toBe(1);
});

test("a probe that hangs is aborted at the deadline; the last failure is reported", async () => {
  let calls = 0;
  let aborted = false;
  const r = await pollUntil(
    300,
    (signal) => {
      calls++;
      if (calls === 1) return Promise.reject(new Error("socket hang up"));
      return new Promise((_, reject) =>
        signal.addEventListener("abort", () => {
          aborted = true;
          reject(new Error("aborted"));
        }),
      );
    },
    1,
  );
  expect(aborted).toBe(true);
  expect(r.value).toBeUndefined();
  expect(r.lastError?.message).toBe("aborted");
});
