// The CEL environment for x-kubernetes-validations: `self` and `oldSelf`, plus the parts of
// Kubernetes' CEL libraries that @marcbachmann/cel-js lacks (lists: isSorted, sum, min, max,
// indexOf, lastIndexOf; strings: replace, find, findAll, charAt). The evaluator is chosen for
// being maintained, dependency-free and extensible with functions; see README for what is missing
// (quantity, url, ip/cidr, format and authorizer libraries, cost limits).

import type { Environment } from "@marcbachmann/cel-js";
import { celModule } from "../../util/lazy-modules.ts";

function compare(a: unknown, b: unknown): number {
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
  if ((typeof a === "number" || typeof a === "bigint") && (typeof b === "number" || typeof b === "bigint"))
    return Number(a) - Number(b);
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  throw new Error("no such overload");
}

function equal(a: unknown, b: unknown): boolean {
  if (typeof a === "bigint" || typeof b === "bigint")
    return (
      (typeof a === "number" || typeof a === "bigint") &&
      (typeof b === "number" || typeof b === "bigint") &&
      Number(a) === Number(b)
    );
  return JSON.stringify(a) === JSON.stringify(b);
}

function extreme(list: unknown[], sign: 1 | -1): unknown {
  if (list.length === 0) throw new Error("min/max of an empty list");
  return list.reduce((best, x) => (compare(x, best) * sign > 0 ? x : best));
}

function sum(list: unknown[]): unknown {
  if (list.length === 0) return 0n;
  return list.reduce((acc: unknown, x) => {
    if (typeof acc === "bigint" && typeof x === "bigint") return acc + x;
    return Number(acc) + Number(x);
  });
}

function build(): Environment {
  return new (celModule().Environment)({ enableOptionalTypes: true, homogeneousAggregateLiterals: false })
    .registerVariable("self", "dyn")
    .registerVariable("oldSelf", "dyn")
    .registerFunction("list.isSorted(): bool", (l: unknown[]) =>
      l.every((x, i) => i === 0 || compare(l[i - 1], x) <= 0),
    )
    .registerFunction("list.sum(): dyn", (l: unknown[]) => sum(l))
    .registerFunction("list.min(): dyn", (l: unknown[]) => extreme(l, -1))
    .registerFunction("list.max(): dyn", (l: unknown[]) => extreme(l, 1))
    .registerFunction("list.indexOf(dyn): int", (l: unknown[], v: unknown) => BigInt(l.findIndex((x) => equal(x, v))))
    .registerFunction("list.lastIndexOf(dyn): int", (l: unknown[], v: unknown) => {
      for (let i = l.length - 1; i >= 0; i--) if (equal(l[i], v)) return BigInt(i);
      return -1n;
    })
    .registerFunction("string.replace(string, string): string", (s: string, a: string, b: string) => s.split(a).join(b))
    .registerFunction("string.replace(string, string, int): string", (s: string, a: string, b: string, n: bigint) => {
      let out = s;
      let from = 0;
      for (let i = 0n; n < 0n || i < n; i++) {
        const at = out.indexOf(a, from);
        if (at < 0) break;
        out = out.slice(0, at) + b + out.slice(at + a.length);
        from = at + b.length;
      }
      return out;
    })
    .registerFunction("string.charAt(int): string", (s: string, i: bigint) => {
      const cps = [...s];
      if (i < 0n || i > BigInt(cps.length)) throw new Error(`index out of range: ${i}`);
      return cps[Number(i)] ?? "";
    })
    .registerFunction("string.find(string): string", (s: string, re: string) => new RegExp(re, "u").exec(s)?.[0] ?? "")
    .registerFunction("string.findAll(string): list<string>", (s: string, re: string) =>
      [...s.matchAll(new RegExp(re, "gu"))].map((m) => m[0]),
    )
    .registerFunction("string.findAll(string, int): list<string>", (s: string, re: string, n: bigint) => {
      const all = [...s.matchAll(new RegExp(re, "gu"))].map((m) => m[0]);
      return n < 0n ? all : all.slice(0, Number(n));
    });
}

let env: Environment | undefined;

/** The shared environment (building one is costly; parsing with it is cheap). */
export function celEnvironment(): Environment {
  env ??= build();
  return env;
}
