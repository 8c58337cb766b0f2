// The writes in flight per logical cluster, by the marker revision seen when each was admitted:
// a cluster is drained to the observed revision once its older writes have finished.
import { expect, test } from "bun:test";
import { AdmittedWrites } from "../../src/apis/admitted-writes.ts";

test("an older write in flight holds a cluster's drained revision back until it finishes", () => {
  const w = new AdmittedWrites();
  w.observe(10);
  const early = w.admit("a");
  const other = w.admit("b");
  w.observe(15);
  const later = w.admit("a");
  expect(w.drained("a")).toBe(10);
  expect(w.drained("b")).toBe(10);
  expect(w.drained("c")).toBe(15);
  expect(w.inflightCount("a")).toBe(2);
  early();
  early(); // a second call changes nothing
  expect(w.drained("a")).toBe(15);
  expect(w.inflightCount("a")).toBe(1);
  later();
  other();
  expect(w.drained("a")).toBe(15);
  expect(w.drained("b")).toBe(15);
  expect(w.inflightCount("a")).toBe(0);
});

test("the observed revision never goes back (a relist at an older revision)", () => {
  const w = new AdmittedWrites();
  w.observe(20);
  w.observe(12);
  expect(w.observedRevision).toBe(20);
  const done = w.admit("x");
  const again = w.admit("x");
  expect(w.drained("x")).toBe(20);
  done();
  expect(w.inflightCount("x")).toBe(1);
  again();
  expect(w.inflightCount("x")).toBe(0);
});
