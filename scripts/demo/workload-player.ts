// The demos' stand-in for a physical cluster's deployment controller and kubelets: plays
// test/helpers/workload-player.ts against the cluster of a kubeconfig until it is stopped.
//
//   bun scripts/demo/workload-player.ts --kubeconfig FILE [--hold-until FILE]
//
// With --hold-until, Deployments stay "updated but not ready" until that file exists; then every
// Deployment is re-played as ready, so the demo decides when pods become ready (and prints it).
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadClientConfig } from "../../src/client/kubeconfig-loader.ts";
import { RestClient } from "../../src/client/rest-client.ts";
import { startWorkloadPlayer } from "../../test/helpers/workload-player.ts";

const USAGE = `Usage: bun scripts/demo/workload-player.ts --kubeconfig FILE [--hold-until FILE]

Marks the replicas of every Deployment in the cluster of FILE as ready, as kube's deployment
controller and kubelets would, until stopped (SIGINT/SIGTERM).

  --kubeconfig FILE   the cluster to play (its current context)
  --hold-until FILE   keep replicas updated but not ready until FILE exists
`;

async function main(): Promise<number> {
  let values: { kubeconfig?: string; "hold-until"?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        kubeconfig: { type: "string" },
        "hold-until": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.kubeconfig) {
    process.stderr.write(`--kubeconfig is required\n\n${USAGE}`);
    return 2;
  }
  const rest = new RestClient(await loadClientConfig({ kubeconfig: values.kubeconfig }));
  const holdFile = values["hold-until"];
  let released = holdFile === undefined || existsSync(holdFile);
  const player = startWorkloadPlayer(rest, undefined, { ready: () => released });

  // Poll for the release file (a demo step creates it); then re-play every Deployment once.
  const poll = setInterval(() => {
    if (released || !holdFile || !existsSync(holdFile)) return;
    released = true;
    clearInterval(poll);
    player.resettle().catch((err) => process.stderr.write(`workload player: ${(err as Error).message}\n`));
  }, 100);

  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  clearInterval(poll);
  await player.stop();
  return 0;
}

process.exit(await main());
