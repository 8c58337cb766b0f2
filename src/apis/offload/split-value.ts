// A large decoded value crossing from the offload worker to the event loop in pieces. Making a
// JavaScript object of tens of thousands of keys takes the loop 50-150 ms however it is done
// (JSON.parse of its text, a structured clone): JSC builds a map that large key by key. So the
// worker sends a skeleton and pieces, each of at most SPLIT_MEMBERS members (map keys and list
// items, nested ones included): a map or list too large for one piece is left empty where it
// stands and filled by later pieces; the loop parses the skeleton, then one piece per turn, with
// other requests served between the turns. The value assembled is the one
// JSON.parse(JSON.stringify(value)) gives: same keys in the same order, own data properties only
// (a key named `__proto__` stays a key). Values are JSON data (what JSON.parse and the decoders make).

import { memberCount } from "../../machinery/document-limits.ts";

/** Members (map keys and list items, nested ones included) per piece at most. */
export const SPLIT_MEMBERS = 2_000;

/** One piece: members to add to the map or list at `path` (map keys and list indices from the root). */
export interface SplitPiece {
  path: (string | number)[];
  /** JSON text: an object (members of a map) or an array (items appended to a list). */
  json: string;
}

export interface SplitValue {
  skeleton: string;
  pieces: SplitPiece[];
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // `target.__proto__ = v` would set the prototype; a key of that name is data like any other.
  if (key === "__proto__")
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

const emptyLike = (v: unknown) => (Array.isArray(v) ? [] : {});
const isContainer = (v: unknown): v is object => v !== null && typeof v === "object";

/** The value as a skeleton and pieces (see above); no pieces when it has at most `max` members. */
export function splitValue(value: unknown, max = SPLIT_MEMBERS): SplitValue {
  if (value === undefined) return { skeleton: "", pieces: [] };
  if (!isContainer(value) || memberCount(value, max) <= max) return { skeleton: JSON.stringify(value), pieces: [] };
  const pieces: SplitPiece[] = [];
  const todo: { path: (string | number)[]; value: object }[] = [{ path: [], value }];
  // Breadth first: a container's pieces (which hold its large members' empty places) before theirs.
  for (let i = 0; i < todo.length; i++) {
    const { path, value: container } = todo[i] as { path: (string | number)[]; value: object };
    const list = Array.isArray(container);
    const entries: [string | number, unknown][] = list
      ? container.map((v, j) => [j, v])
      : Object.keys(container).map((k) => [k, (container as Record<string, unknown>)[k]]);
    let members: [string | number, unknown][] = [];
    let size = 0;
    const flush = () => {
      if (members.length === 0) return;
      let json: string;
      if (list) json = JSON.stringify(members.map(([, v]) => v));
      else {
        const part: Record<string, unknown> = {};
        for (const [k, v] of members) setOwn(part, k as string, v);
        json = JSON.stringify(part);
      }
      pieces.push({ path, json });
      members = [];
      size = 0;
    };
    for (const [k, v] of entries) {
      let inner = isContainer(v) ? memberCount(v, max) : 0;
      let item = v;
      if (inner > max) {
        todo.push({ path: [...path, k], value: v as object });
        item = emptyLike(v);
        inner = 0;
      }
      if (size + inner + 1 > max) flush();
      members.push([k, item]);
      size += inner + 1;
    }
    flush();
  }
  return { skeleton: JSON.stringify(emptyLike(value)), pieces };
}

/**
 * The value of a split, parsed piece by piece with `between()` awaited before each piece (a turn
 * of the event loop). Pieces come from the worker, which made them from a value it holds: a path
 * that does not lead to a map or list of the skeleton is a bug, reported as an Error.
 */
export async function assembleValue(split: SplitValue, between: () => Promise<void>): Promise<unknown> {
  if (split.skeleton === "") return undefined;
  const root: unknown = JSON.parse(split.skeleton);
  for (const piece of split.pieces) {
    await between();
    let target: unknown = root;
    for (const step of piece.path) {
      if (target === null || typeof target !== "object" || !Object.hasOwn(target, step))
        throw new Error(`split value: no member ${String(step)} on the way to a piece`);
      target = (target as Record<string | number, unknown>)[step];
    }
    const members: unknown = JSON.parse(piece.json);
    if (Array.isArray(target) && Array.isArray(members)) {
      for (const item of members) target.push(item);
    } else if (target !== null && typeof target === "object" && !Array.isArray(target) && !Array.isArray(members)) {
      const into = target as Record<string, unknown>;
      const from = members as Record<string, unknown>;
      for (const k of Object.keys(from)) {
        setOwn(into, k, from[k]);
      }
    } else throw new Error("split value: a piece does not match its place");
  }
  return root;
}
