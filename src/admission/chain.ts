// The admission chain: every mutating plugin, then every validating plugin, each step in the
// order the plugins were registered, stopping at the first error (as kube-apiserver's
// admission.chainAdmissionHandler). The store calls it (src/apis/store.ts says where in a write);
// plugins are added here without touching the store.

import type { Admission, AdmissionAttributes, AdmissionOperation, AdmissionPlugin } from "../apis/admission.ts";

const OPERATIONS: readonly AdmissionOperation[] = ["CREATE", "UPDATE", "DELETE"];

type Step = (plugin: AdmissionPlugin, attributes: AdmissionAttributes) => void | Promise<void>;

const mutate: Step = (p, a) => p.admit?.(a);
const check: Step = (p, a) => p.validate?.(a);

/**
 * Run `step` of each plugin in order. Synchronous plugins run in one go; from the first that
 * returns a promise on, each waits for the one before. The first error (thrown or rejected) ends
 * the run and is what the caller gets, unchanged.
 */
function runFrom(
  plugins: readonly AdmissionPlugin[],
  from: number,
  step: Step,
  attributes: AdmissionAttributes,
): void | Promise<void> {
  for (let i = from; i < plugins.length; i++) {
    const pending = step(plugins[i] as AdmissionPlugin, attributes);
    // Only a promise (or thenable, made a native promise) is waited for: any other value (a
    // plugin written in JavaScript returning false or null) counts as a synchronous answer.
    if (typeof (pending as { then?: unknown } | null | undefined)?.then === "function") {
      const waited = Promise.resolve(pending);
      if (i === plugins.length - 1) return waited;
      return waited.then(() => runFrom(plugins, i + 1, step, attributes));
    }
  }
}

export class AdmissionChain implements Admission {
  /** Per operation, the plugins of each step, worked out once when the chain is built. */
  private readonly mutating: Record<AdmissionOperation, readonly AdmissionPlugin[]>;
  private readonly validating: Record<AdmissionOperation, readonly AdmissionPlugin[]>;

  constructor(plugins: readonly AdmissionPlugin[]) {
    const names = new Set<string>();
    for (const p of plugins) {
      if (names.has(p.name)) throw new Error(`admission plugin ${p.name} is registered twice`);
      names.add(p.name);
    }
    const byOperation = (has: (p: AdmissionPlugin) => boolean) =>
      Object.fromEntries(OPERATIONS.map((op) => [op, plugins.filter((p) => has(p) && p.handles(op))])) as Record<
        AdmissionOperation,
        AdmissionPlugin[]
      >;
    this.mutating = byOperation((p) => p.admit !== undefined);
    this.validating = byOperation((p) => p.validate !== undefined);
  }

  mutates(operation: AdmissionOperation): boolean {
    return this.mutating[operation].length > 0;
  }

  validates(operation: AdmissionOperation): boolean {
    return this.validating[operation].length > 0;
  }

  admit(attributes: AdmissionAttributes): void | Promise<void> {
    return runFrom(this.mutating[attributes.operation], 0, mutate, attributes);
  }

  validate(attributes: AdmissionAttributes): void | Promise<void> {
    return runFrom(this.validating[attributes.operation], 0, check, attributes);
  }
}
