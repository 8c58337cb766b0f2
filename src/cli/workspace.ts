// `kcp workspace list|create|use|current|delete` (alias `kcp ws`): logical clusters from the
// command line, as kcp's `kubectl ws` handles workspaces. They are the LogicalCluster objects of
// kcp's `admin` logical cluster (docs/logical-clusters.md); `use` changes the kubeconfig (see
// workspace-kubeconfig.ts: contexts workspace.kcp.io/current and workspace.kcp.io/previous).
//
//   kcp ws list                      NAME PHASE OBJECTS SIZE AGE of every logical cluster
//   kcp ws create team-a [--enter]   create it (and use it)
//   kcp ws use team-a | - | admin | ~
//   kcp ws current                   the workspace's name, alone on a line
//   kcp ws delete team-a [--wait=false] [--timeout 5m]
//
// The kubeconfig is kubectl's: --kubeconfig, else the first file of KUBECONFIG, else
// ~/.kube/config. Requests go to the current context's server (admin's API for the objects).
// Exit codes: 0 done; 1 failed or refused (the message says why).

import { defineCommand } from "citty";
import { readFile, realpath, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { parse, stringify } from "yaml";
import {
  isLogicalClusterName,
  LOGICAL_CLUSTER_API_VERSION,
  LOGICAL_CLUSTER_KIND,
} from "../apis/builtin/logical-cluster.ts";
import { DEFAULT_CLUSTER } from "../apis/logical-clusters.ts";
import { loadClientConfig } from "../client/kubeconfig-loader.ts";
import { RestClient } from "../client/rest-client.ts";
import { log } from "../log.ts";
import { ageSince } from "../machinery/human-duration.ts";
import { isObject, type KObject } from "../machinery/object.ts";
import { isStatusError } from "../machinery/status.ts";
import { writeFileAtomic } from "../util/atomic-write.ts";
import { pollUntilGone } from "./cluster-poll.ts";
import { parseDurationFlag } from "./duration-flag.ts";
import { printColumns } from "./table-output.ts";
import { currentWorkspace, serverOfWorkspace, usePrevious, useWorkspace } from "./workspace-kubeconfig.ts";

const PATH = "/apis/tenancy.kcp.io/v1alpha1/logicalclusters";

const commonArgs = {
  kubeconfig: {
    type: "string",
    valueHint: "file",
    description: "kubeconfig to use and change (default: the first file of KUBECONFIG, then ~/.kube/config)",
  },
} as const;

/** The one file `use` edits, as kubectl picks the file it writes current-context to. */
function kubeconfigFile(flag: string | undefined): string {
  if (flag) return flag;
  const first = (process.env.KUBECONFIG ?? "").split(delimiter).find((f) => f !== "");
  return first ?? join(process.env.HOME || homedir(), ".kube", "config");
}

async function readDoc(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new Error(`cannot read kubeconfig ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const doc = parse(text) as unknown;
  if (!isObject(doc)) throw new Error(`${path} is not a kubeconfig`);
  return doc;
}

/**
 * Written beside the file and renamed over it, so a failed write (disk full, killed) leaves the old
 * kubeconfig whole; into a symlink's target, keeping the file's mode (it holds credentials).
 */
async function writeDoc(path: string, doc: Record<string, unknown>): Promise<void> {
  const file = await realpath(path);
  await writeFileAtomic(file, stringify(doc), (await stat(file)).mode & 0o777);
}

/** A client for the current context's server, pointed at admin (where LogicalClusters are served). */
async function adminClient(kubeconfig: string | undefined): Promise<RestClient> {
  const config = await loadClientConfig(kubeconfig ? { kubeconfig } : {}).catch((e: Error) => {
    throw new Error(`cannot load the kubeconfig: ${e.message}`);
  });
  return new RestClient({
    ...config,
    server: serverOfWorkspace(config.server, DEFAULT_CLUSTER),
    userAgent: "kcp-workspace-cli",
  });
}

function checkName(name: string): void {
  if (!isLogicalClusterName(name))
    throw new Error(
      `invalid workspace name "${name}": 2 to 80 lowercase letters, digits or '-', starting and ending with a letter or digit`,
    );
}

function humanBytes(n: unknown): string {
  if (typeof n !== "number") return "-";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v}B` : `${v.toFixed(v < 10 ? 1 : 0)}${units[u]}`;
}

/** Switch the kubeconfig to `target` (a name, `-`, `admin` or `~`) after checking it exists. */
async function use(kubeconfig: string | undefined, target: string): Promise<void> {
  const file = kubeconfigFile(kubeconfig);
  const doc = await readDoc(file);
  if (target === "-") {
    const now = usePrevious(doc);
    await writeDoc(file, doc);
    log.success(`Current workspace is "${now}".`);
    return;
  }
  const name = target === "~" ? DEFAULT_CLUSTER : target;
  checkName(name);
  if (name !== DEFAULT_CLUSTER) await checkExists(kubeconfig, name);
  useWorkspace(doc, name);
  await writeDoc(file, doc);
  log.success(`Current workspace is "${name}".`);
}

/**
 * The workspace must exist: its LogicalCluster, read in admin. A user who may not read those
 * (403) is let through if the workspace answers them (it must exist, or they may create it).
 */
async function checkExists(kubeconfig: string | undefined, name: string): Promise<void> {
  const admin = await adminClient(kubeconfig);
  try {
    await admin.request({ method: "GET", path: `${PATH}/${name}` });
    return;
  } catch (e) {
    if (!isStatusError(e)) throw e;
    if (e.code === 404) throw new Error(`workspace "${name}" does not exist (kcp workspace create ${name})`);
    if (e.code !== 403) throw e;
  }
  await admin.forCluster(name).request({ method: "GET", path: "/api" });
}

const list = defineCommand({
  meta: { name: "list", description: "List logical clusters with their phase, object count, size and age" },
  args: {
    ...commonArgs,
    output: {
      type: "enum",
      alias: ["o"],
      options: ["table", "name", "json"],
      default: "table",
      description: "Output format",
    },
  },
  async run({ args }) {
    const admin = await adminClient(args.kubeconfig);
    const res = await admin.request<{ items: KObject[] }>({ method: "GET", path: PATH });
    if (args.output === "json") {
      process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
      return;
    }
    if (args.output === "name") {
      for (const lc of res.items) process.stdout.write(`${lc.metadata.name}\n`);
      return;
    }
    const now = Date.now();
    const rows = [["NAME", "PHASE", "OBJECTS", "SIZE", "AGE"]];
    for (const lc of res.items) {
      const s = (isObject(lc.status) ? lc.status : {}) as Record<string, unknown>;
      rows.push([
        lc.metadata.name ?? "",
        typeof s.phase === "string" ? s.phase : "-",
        typeof s.objects === "number" ? String(s.objects) : "-",
        humanBytes(s.storageBytes),
        ageSince(lc.metadata.creationTimestamp, now),
      ]);
    }
    printColumns(rows);
  },
});

const create = defineCommand({
  meta: { name: "create", description: "Create a logical cluster (as its first use would)" },
  args: {
    name: { type: "positional", required: true, valueHint: "NAME", description: "The workspace to create" },
    enter: { type: "boolean", default: false, description: "Use it afterwards (kcp workspace use NAME)" },
    "ignore-existing": { type: "boolean", default: false, description: "Succeed if it exists already" },
    ...commonArgs,
  },
  async run({ args }) {
    checkName(args.name);
    const admin = await adminClient(args.kubeconfig);
    try {
      await admin.request({
        method: "POST",
        path: PATH,
        body: { apiVersion: LOGICAL_CLUSTER_API_VERSION, kind: LOGICAL_CLUSTER_KIND, metadata: { name: args.name } },
      });
      log.success(`Workspace "${args.name}" created.`);
    } catch (e) {
      if (!(isStatusError(e) && e.code === 409 && args["ignore-existing"])) throw e;
      log.info(`Workspace "${args.name}" exists already.`);
    }
    if (args.enter) await use(args.kubeconfig, args.name);
  },
});

const useCommand = defineCommand({
  meta: { name: "use", description: "Point the kubeconfig at a workspace: NAME, - (the previous), admin or ~" },
  args: {
    name: { type: "positional", required: true, valueHint: "NAME|-|~", description: "Where to go" },
    ...commonArgs,
  },
  run: ({ args }) => use(args.kubeconfig, args.name),
});

const current = defineCommand({
  meta: { name: "current", description: "Print the workspace the kubeconfig's current context is in" },
  args: { ...commonArgs },
  async run({ args }) {
    process.stdout.write(`${currentWorkspace(await readDoc(kubeconfigFile(args.kubeconfig)))}\n`);
  },
});

const del = defineCommand({
  meta: { name: "delete", description: "Delete a logical cluster and all of its data" },
  args: {
    name: { type: "positional", required: true, valueHint: "NAME", description: "The workspace to delete" },
    wait: { type: "boolean", default: true, description: "Wait until its data is gone (--wait=false: return at once)" },
    timeout: { type: "string", default: "5m", valueHint: "duration", description: "How long to wait" },
    ...commonArgs,
  },
  async run({ args }) {
    checkName(args.name);
    const timeoutMs = parseDurationFlag(args.timeout, "--timeout");
    const admin = await adminClient(args.kubeconfig);
    const path = `${PATH}/${args.name}`;
    try {
      await admin.request({ method: "DELETE", path });
    } catch (e) {
      if (isStatusError(e) && e.code === 404) throw new Error(`workspace "${args.name}" does not exist`);
      throw e;
    }
    if (!args.wait) {
      log.success(`Workspace "${args.name}" is being deleted.`);
      return;
    }
    log.start(`Deleting workspace "${args.name}" and its data`);
    let lastLeft = -1;
    const { value: gone, lastError } = await pollUntilGone(
      timeoutMs,
      (signal) => admin.request<KObject>({ method: "GET", path, signal }),
      (lc) => {
        const left = isObject(lc.status) && typeof lc.status.objects === "number" ? lc.status.objects : -1;
        if (left >= 0 && left !== lastLeft) log.info(`${left} objects left`);
        lastLeft = left;
      },
    );
    if (!gone)
      throw new Error(
        `workspace "${args.name}" is still being deleted after ${args.timeout}${lastError ? ` (kcp did not answer: ${lastError.message})` : ""}; its status says what is left`,
      );
    log.success(`Workspace "${args.name}" deleted.`);
  },
});

export default defineCommand({
  meta: { name: "workspace", description: "List, create, use and delete logical clusters (alias: ws)" },
  subCommands: { list, create, use: useCommand, current, delete: del },
});
