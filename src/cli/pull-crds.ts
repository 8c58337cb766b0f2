// `kcp pull-crds`: a cluster's resources as CustomResourceDefinitions for kcp (the CRD puller,
// src/controllers/crd-puller/), so that kcp can serve a real cluster's kinds.
//
//   kcp pull-crds --kubeconfig east.kubeconfig deployments.apps pods | kubectl apply --server-side -f -
//   kcp pull-crds --kubeconfig east.kubeconfig -o json                   # every resource, as a List
//   kcp pull-crds --kubeconfig east.kubeconfig --output-dir crds/        # one file per CRD
//
// The kubeconfig is the user's own: files and exec plugins are allowed, as for kubectl. Resources
// kcp serves natively (configmaps, secrets, leases, …) and those that are no objects (tokenreviews)
// are skipped with a line on stderr. Exit codes: 0 pulled (skips are not failures); 1 the cluster
// could not be read, or a named resource does not exist there.

import { chmod, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { defineCommand } from "citty";
import { createConsola } from "consola/core";
import { stringify } from "yaml";
import { builtinResources } from "../apis/builtin/index.ts";
import { clusterResources } from "../apis/builtin/cluster.ts";
import { AllowAllAuthorizer } from "../auth/allow-all-authorizer.ts";
import { loadClientConfig } from "../client/kubeconfig-loader.ts";
import { RestClient } from "../client/rest-client.ts";
import { CrdPuller } from "../controllers/crd-puller/crd-puller.ts";
import { formatLogLine } from "../log.ts";

/** Messages go to stderr: stdout carries the CRDs. */
const say = createConsola({
  reporters: [{ log: (e) => process.stderr.write(`${formatLogLine(e, process.stderr.isTTY === true)}\n`) }],
}).withTag("pull-crds");

/**
 * Whether kcp serves a group's resource natively, in any version: a CRD with that group and plural
 * would be refused as shadowing the built-in (src/apis/crd/native-shadowing.ts).
 */
export function kcpServesNatively(): (group: string, version: string, resource: string) => boolean {
  const natives = [
    ...builtinResources({ authenticator: { authenticateToken: () => null }, authorizer: new AllowAllAuthorizer() }),
    ...clusterResources(),
  ];
  const served = new Set(natives.map((d) => `${d.group}/${d.plural}`));
  return (group, _version, resource) => served.has(`${group}/${resource}`);
}

function writeAll(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

export default defineCommand({
  meta: {
    name: "pull-crds",
    description: "Print a cluster's resources as CRDs that kcp can serve (from its CRDs, else its OpenAPI)",
  },
  args: {
    resources: {
      type: "positional",
      required: false,
      description: "Resources to pull: deployments.apps, pods, leases.coordination.k8s.io (all if none)",
    },
    kubeconfig: {
      type: "string",
      valueHint: "file",
      description: "kubeconfig of the cluster to pull from (default: KUBECONFIG, then ~/.kube/config)",
    },
    context: { type: "string", valueHint: "name", description: "Context of --kubeconfig to use" },
    output: { type: "enum", alias: "o", options: ["yaml", "json"], default: "yaml", description: "Output format" },
    "output-dir": {
      type: "string",
      valueHint: "dir",
      description: "Write one file per CRD (<plural>.<group>.yaml|json) into this directory instead of stdout",
    },
  },
  async run({ args }) {
    const names = args._.map(String).filter((n) => n !== "");
    const config = await loadClientConfig({ kubeconfig: args.kubeconfig, context: args.context }).catch((e: Error) => {
      throw new Error(`cannot load the kubeconfig: ${e.message}`);
    });
    const client = new RestClient({ ...config, userAgent: "kcp-pull-crds" });
    say.info(`reading discovery and OpenAPI of ${config.server}`);
    const result = await new CrdPuller(client, { servedNatively: kcpServesNatively() }).pull(names);
    for (const w of result.warnings ?? []) say.warn(w);
    for (const s of result.skipped) if (!s.notFound) say.info(`skipped ${s.resource}: ${s.reason}`);
    const missing = result.skipped.filter((s) => s.notFound);
    if (missing.length > 0) throw new Error(missing.map((s) => s.reason).join("; "));

    say.info(
      `pulled ${result.crds.length} CRD${result.crds.length === 1 ? "" : "s"}, skipped ${result.skipped.length}`,
    );
    const json = args.output === "json";
    const render = (crd: unknown) => (json ? `${JSON.stringify(crd, null, 2)}\n` : stringify(crd, { lineWidth: 0 }));
    const outDir = args["output-dir"];
    if (outDir) {
      await mkdir(outDir, { recursive: true });
      for (const crd of result.crds) {
        const file = join(outDir, `${(crd.metadata as { name: string }).name}.${json ? "json" : "yaml"}`);
        await Bun.write(file, render(crd));
        await chmod(file, 0o644);
      }
      say.success(`wrote ${result.crds.length} CRD${result.crds.length === 1 ? "" : "s"} to ${outDir}`);
      return;
    }
    const text = json
      ? `${JSON.stringify({ apiVersion: "v1", kind: "List", metadata: {}, items: result.crds }, null, 2)}\n`
      : result.crds.map(render).join("---\n");
    await writeAll(process.stdout, text);
  },
});
