// The deletion conditions of a terminating namespace: kube's five types, their True wording from a
// pass's tally, and the merge that keeps lastTransitionTime unless the status flips; and when the
// namespace controller starts removing the contents.
import { expect, test } from "bun:test";
import {
  type ContentTally,
  deletionConditions,
  mergeConditions,
  type NamespaceCondition,
} from "../../src/controllers/namespace-conditions.ts";
import { contentRemovalTime } from "../../src/controllers/namespace-deletion.ts";

const empty = (): ContentTally => ({ remaining: new Map(), finalizers: new Map(), failures: [] });

test("an empty namespace: the five conditions, all False with kube's reasons", () => {
  const c = deletionConditions(empty());
  expect(c.map((x) => [x.type, x.status, x.reason])).toEqual([
    ["NamespaceDeletionDiscoveryFailure", "False", "ResourcesDiscovered"],
    ["NamespaceDeletionGroupVersionParsingFailure", "False", "ParsedGroupVersions"],
    ["NamespaceDeletionContentFailure", "False", "ContentDeleted"],
    ["NamespaceContentRemaining", "False", "ContentRemoved"],
    ["NamespaceFinalizersRemaining", "False", "ContentHasNoFinalizers"],
  ]);
  expect(c[4]?.message).toBe("All content-preserving finalizers finished");
});

test("what remains is listed sorted, by resource and by finalizer; failures are counted", () => {
  const tally: ContentTally = {
    remaining: new Map([
      ["widgets.example.com", 2],
      ["configmaps.", 1],
    ]),
    finalizers: new Map([
      ["z.io/last", 1],
      ["a.io/first", 3],
    ]),
    failures: ["secrets: boom", "leases.coordination.k8s.io: bang"],
  };
  const byType = new Map(deletionConditions(tally).map((c) => [c.type, c]));
  expect(byType.get("NamespaceContentRemaining")).toMatchObject({
    status: "True",
    reason: "SomeResourcesRemain",
    message:
      "Some resources are remaining: configmaps. has 1 resource instances, widgets.example.com has 2 resource instances",
  });
  expect(byType.get("NamespaceFinalizersRemaining")).toMatchObject({
    status: "True",
    reason: "SomeFinalizersRemain",
    message:
      "Some content in the namespace has finalizers remaining: a.io/first in 3 resource instances, z.io/last in 1 resource instances",
  });
  expect(byType.get("NamespaceDeletionContentFailure")).toMatchObject({
    status: "True",
    reason: "ContentDeletionFailed",
    message: "Failed to delete all resource types, 2 remaining: leases.coordination.k8s.io: bang, secrets: boom",
  });
});

test("merge: unchanged conditions are no change; a flip moves lastTransitionTime, a new message does not", () => {
  const old: NamespaceCondition[] = [
    { type: "Other", status: "True", lastTransitionTime: "2020-01-01T00:00:00Z", reason: "X", message: "x" },
    ...deletionConditions(empty()).map((c) => ({ ...c, lastTransitionTime: "2020-01-01T00:00:00Z" })),
  ];
  expect(mergeConditions(old, deletionConditions(empty())).changed).toBe(false);

  const held: ContentTally = { ...empty(), remaining: new Map([["configmaps.", 1]]) };
  const first = mergeConditions(old, deletionConditions(held));
  expect(first.changed).toBe(true);
  const remaining = first.conditions.find((c) => c.type === "NamespaceContentRemaining");
  expect(remaining?.status).toBe("True");
  expect(remaining?.lastTransitionTime).not.toBe("2020-01-01T00:00:00Z");
  expect(first.conditions[0]?.type).toBe("Other");
  expect(first.conditions).toHaveLength(6);

  const stamped = first.conditions.map((c) => ({ ...c, lastTransitionTime: "2021-01-01T00:00:00Z" }));
  const more: ContentTally = { ...empty(), remaining: new Map([["configmaps.", 2]]) };
  const second = mergeConditions(stamped, deletionConditions(more));
  expect(second.changed).toBe(true);
  const r2 = second.conditions.find((c) => c.type === "NamespaceContentRemaining");
  expect(r2?.message).toBe("Some resources are remaining: configmaps. has 2 resource instances");
  expect(r2?.lastTransitionTime).toBe("2021-01-01T00:00:00Z");
  // The input is not changed.
  expect(stamped.find((c) => c.type === "NamespaceContentRemaining")?.message).toContain("has 1 resource");
});

test("contents wait a quiet period after the deletion and after each client delete, a minute at most", () => {
  const seen = 1_000_000;
  expect(contentRemovalTime(seen, undefined, 1000)).toBe(seen + 1000);
  // A delete before the namespace was seen terminating changes nothing.
  expect(contentRemovalTime(seen, seen - 5000, 1000)).toBe(seen + 1000);
  // kubectl deleting the contents one by one pushes it back.
  expect(contentRemovalTime(seen, seen + 700, 1000)).toBe(seen + 1700);
  expect(contentRemovalTime(seen, seen + 30_000, 1000)).toBe(seen + 31_000);
  expect(contentRemovalTime(seen, seen + 120_000, 1000)).toBe(seen + 60_000);
});
