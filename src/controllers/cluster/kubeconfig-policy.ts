// A Cluster's spec.kubeconfig is written by a tenant of kcp and read inside kcp's process: it may
// only carry data, never make kcp read its files or run programs. Exec credential plugins,
// auth-provider plugins and file references (certificate-authority, client-certificate, client-key,
// tokenFile) are refused; `kcp cluster add` inlines the files of the kubeconfig it is given.

import { yamlModule } from "../../util/lazy-modules.ts";
import { isObject } from "../../machinery/object.ts";

const FILE_FIELDS = ["certificate-authority", "client-certificate", "client-key", "tokenFile"];

/** Throws an Error for people when the kubeconfig text is not a self-contained kubeconfig. */
export function checkSelfContainedKubeconfig(text: string): void {
  let doc: unknown;
  try {
    doc = yamlModule().parse(text, { maxAliasCount: 50 });
  } catch (e) {
    throw new Error(`not YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  if (!isObject(doc)) throw new Error("not a kubeconfig: expected a YAML mapping with clusters, users and contexts");
  const sections: [string, string][] = [
    ["clusters", "cluster"],
    ["users", "user"],
  ];
  for (const [list, key] of sections) {
    const entries = doc[list];
    if (!Array.isArray(entries)) continue;
    for (const entry of entries) {
      const body = isObject(entry) && isObject(entry[key]) ? entry[key] : undefined;
      if (!body) continue;
      const name = isObject(entry) && typeof entry.name === "string" ? entry.name : "?";
      for (const f of FILE_FIELDS)
        if (body[f] !== undefined && body[f] !== "")
          throw new Error(`${key} "${name}": ${f} names a file; embed the data instead (${f}-data or token)`);
      if (body.exec !== undefined) throw new Error(`user "${name}": exec credential plugins are not allowed here`);
      if (body["auth-provider"] !== undefined)
        throw new Error(`user "${name}": auth-provider plugins are not allowed here`);
    }
  }
}
