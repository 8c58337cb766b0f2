// What the pods of an installed pull-mode syncer say, for the Ready message when no heartbeat
// arrives: without it, "no heartbeat" alone leaves people guessing whether the image cannot be
// pulled, the pod crashes, or it cannot reach kcp. Short and sanitised: the text is the physical
// cluster's, and it ends up in a status that tenants read.

import { isObject } from "../../machinery/object.ts";
import type { KubeRequester } from "./kube-requests.ts";
import { SYNCER_DEPLOYMENT, SYNCER_ID_LABEL } from "./pull-manifests.ts";

const MAX_PODS = 2;
const MAX_DETAIL = 160;

function clean(text: unknown): string {
  // Control characters (newlines, escapes) become spaces: the message is one line of plain text.
  const s =
    typeof text === "string"
      ? [...text]
          .map((ch) => (ch < " " || ch === "\u007f" ? " " : ch))
          .join("")
          .trim()
      : "";
  return s.length > MAX_DETAIL ? `${s.slice(0, MAX_DETAIL)}…` : s;
}

interface ContainerStatus {
  state?: { waiting?: { reason?: string; message?: string } };
  lastState?: { terminated?: { exitCode?: number; reason?: string } };
  restartCount?: number;
}

/** One line per syncer pod (at most two): phase, and why its container waits or last ended. */
export async function describeSyncerPods(client: KubeRequester, namespace: string, syncerId: string): Promise<string> {
  const list = await client.request<{ items?: unknown[] }>({
    method: "GET",
    path: `/api/v1/namespaces/${namespace}/pods`,
    query: { labelSelector: `app=${SYNCER_DEPLOYMENT},${SYNCER_ID_LABEL}=${syncerId}`, limit: "10" },
  });
  const pods = (list.items ?? []).filter(isObject);
  if (pods.length === 0) return `no syncer pod in namespace ${namespace}`;
  return pods
    .slice(0, MAX_PODS)
    .map((pod) => {
      const meta = isObject(pod.metadata) ? pod.metadata : {};
      const status = isObject(pod.status) ? pod.status : {};
      const containers = (Array.isArray(status.containerStatuses) ? status.containerStatuses : []) as ContainerStatus[];
      const details: string[] = [];
      for (const c of containers) {
        const waiting = c.state?.waiting;
        if (waiting?.reason)
          details.push(clean(waiting.message ? `${waiting.reason}: ${waiting.message}` : waiting.reason));
        const ended = c.lastState?.terminated;
        if (ended) details.push(clean(`last exit ${ended.exitCode ?? "?"}${ended.reason ? ` ${ended.reason}` : ""}`));
      }
      const phase = clean(status.phase) || "Unknown";
      return `syncer pod ${clean(meta.name)}: ${phase}${details.length ? ` (${details.join("; ")})` : ""}`;
    })
    .join("; ");
}
