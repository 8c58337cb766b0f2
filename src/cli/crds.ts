// `kcp crds`: the ready-made CRDs for common Kubernetes workload kinds (src/apis/workload-crds/).
//
//   kcp crds list                              # the CRDs, their short names and kinds
//   kcp crds print | kubectl apply -f -        # all of them
//   kcp crds print deploy pods -o json         # some, by name, plural, kind or short name
//
// They are served by kcp like any CRD: install them in the `admin` logical cluster and every
// logical cluster inherits them, or in one logical cluster for that cluster alone.
import { defineCommand } from "citty";
import { stringify } from "yaml";
import {
  selectWorkloadCRDs,
  WORKLOAD_CRDS_KUBERNETES_VERSION,
  workloadCRDs,
} from "../apis/workload-crds/workload-crds.ts";

/** Write to stdout and wait until it is flushed: main exits right after, and a pipe takes its time. */
function writeAll(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

const print = defineCommand({
  meta: {
    name: "print",
    description: `Print ready-made CRDs (schemas from Kubernetes ${WORKLOAD_CRDS_KUBERNETES_VERSION}) for kubectl apply -f -`,
  },
  args: {
    names: {
      type: "positional",
      required: false,
      description: "CRDs to print, by name, plural, kind or short name (deployments.apps, deploy, Pod); all if none",
    },
    output: { type: "enum", alias: "o", options: ["yaml", "json"], default: "yaml", description: "Output format" },
  },
  async run({ args }) {
    const crds = selectWorkloadCRDs(args._.map(String));
    const text =
      args.output === "json"
        ? `${JSON.stringify({ apiVersion: "v1", kind: "List", metadata: {}, items: crds }, null, 2)}\n`
        : crds.map((c) => stringify(c, { lineWidth: 0 })).join("---\n");
    await writeAll(text);
  },
});

const list = defineCommand({
  meta: { name: "list", description: "List the ready-made CRDs" },
  run() {
    const rows = workloadCRDs().map((c) => {
      const names = (c.spec as { names: { kind: string; shortNames?: string[] } }).names;
      return [c.metadata.name ?? "", (names.shortNames ?? []).join(","), names.kind];
    });
    const widths = [0, 1, 2].map((i) =>
      Math.max(...[["NAME", "SHORTNAMES", "KIND"], ...rows].map((r) => r[i]?.length ?? 0)),
    );
    for (const r of [["NAME", "SHORTNAMES", "KIND"], ...rows])
      console.log(r.map((c, i) => (i < 2 ? c.padEnd((widths[i] ?? 0) + 3) : c)).join(""));
    console.log(
      `\nSchemas from the Kubernetes ${WORKLOAD_CRDS_KUBERNETES_VERSION} OpenAPI. Install: kcp crds print | kubectl apply -f -`,
    );
  },
});

export default defineCommand({
  meta: { name: "crds", description: "Ready-made CRDs for Kubernetes workload kinds (deployments, pods, services, …)" },
  subCommands: { print, list },
});
