import { expect, test } from "bun:test";
import { fairnessFromFlags } from "../../src/cli/fairness-flags.ts";
import { flowControlFor } from "../../src/server/fairness/flow-control.ts";

test("kcp start's flow control flags: kube's totals and a share of 4 by default, whole numbers only", () => {
  expect(fairnessFromFlags({})).toEqual({ maxRequestsInflight: 400, maxMutatingRequestsInflight: 200, perFlow: 4 });
  expect(
    fairnessFromFlags({
      "max-requests-inflight": "0",
      "max-mutating-requests-inflight": "10",
      "max-requests-inflight-per-flow": "2",
    }),
  ).toEqual({ maxRequestsInflight: 0, maxMutatingRequestsInflight: 10, perFlow: 2 });
  for (const bad of ["-1", "1.5", "ten", "", "1e3"])
    expect(() => fairnessFromFlags({ "max-requests-inflight-per-flow": bad })).toThrow(
      "--max-requests-inflight-per-flow",
    );
});

test("all three 0 switch flow control off; the wait for a seat is a quarter of the request timeout", () => {
  expect(
    flowControlFor({ maxRequestsInflight: 0, maxMutatingRequestsInflight: 0, perFlow: 0 }, 60_000),
  ).toBeUndefined();
  const fc = flowControlFor(undefined, 60_000);
  expect(fc?.pools.mutating.opts).toMatchObject({ seats: 200, perFlow: 4, queueLength: 300, waitLimitMs: 15_000 });
  expect(fc?.pools.readOnly.opts.seats).toBe(400);
});
