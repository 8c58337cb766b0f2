// Heap bytes the garbage collector's owner graph takes per dependent, measured in a process of
// its own (test/unit/gc-graph.test.ts runs it): 100,000 dependents of 1,000 owners (100 each, as
// the bench's owned-objects run), each as the store's watch decodes it (a whole object parsed
// from JSON). Prints {"edge": …} or {"object": …}, as the argument asks:
//  - edge: with the decoded objects kept alive (their uid and name strings not counted): the
//    node, its entry in the graph's map and in its owner's dependents;
//  - object: with them dropped once observed: all the graph keeps of an owned object.
import { heapStats } from "bun:jsc";
import type { KObject } from "../../src/apis/types.ts";
import { OwnerGraph } from "../../src/controllers/gc/graph.ts";

const N = 100_000;
const OWNERS = 1000;

function used(): number {
  Bun.gc(true);
  Bun.gc(true);
  const h = heapStats();
  return h.heapSize + h.extraMemorySize;
}

function configMap(name: string, uid: string, ref?: KObject): KObject {
  const ownerReferences = ref
    ? [{ apiVersion: "v1", kind: "ConfigMap", name: ref.metadata.name, uid: ref.metadata.uid }]
    : [];
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: "ns", uid, ...(ref ? { ownerReferences } : {}) },
    data: { payload: "x".repeat(200) },
  } as KObject;
}

function perDependent(keepDecoded: boolean): number {
  const owners = Array.from({ length: OWNERS }, (_, i) => configMap(`o${i}`, crypto.randomUUID()));
  const g = new OwnerGraph();
  for (const o of owners) g.observe("c1", o, "/configmaps", true);
  const decode = (i: number) =>
    JSON.parse(JSON.stringify(configMap(`d${i}`, crypto.randomUUID(), owners[i % OWNERS]))) as KObject;
  const decoded = keepDecoded ? Array.from({ length: N }, (_, i) => decode(i)) : undefined;
  const before = used();
  for (let i = 0; i < N; i++) g.observe("c1", decoded ? (decoded[i] as KObject) : decode(i), "/configmaps");
  const bytes = (used() - before) / N;
  if (g.edgeCount() !== N || (decoded && decoded.length !== N)) throw new Error("the graph lost edges");
  return bytes;
}

// One measurement per process: the heap a first measurement frees (its graph, its decoded objects)
// shrinks the heap during a second one and made it read below zero.
const mode = process.argv[2];
if (mode === "edge") console.log(JSON.stringify({ edge: perDependent(true) }));
else if (mode === "object") console.log(JSON.stringify({ object: perDependent(false) }));
else {
  console.error("usage: gc-graph-heap.ts edge|object");
  process.exit(2);
}
