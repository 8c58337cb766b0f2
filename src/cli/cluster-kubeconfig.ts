// The kubeconfig `kcp cluster add` embeds in a Cluster: one context of the file the user gave,
// self-contained (certificates and tokens inline, no file paths), because kcp reads it in its own
// process and refuses file references and exec plugins there (clientConfigFromKubeconfigText).

import { stringify } from "yaml";
import type { ClientConfig } from "../client/client-config.ts";

const b64 = (pem: string) => Buffer.from(pem).toString("base64");

/** A one-context kubeconfig holding what `config` (as loadClientConfig read it) needs, inline. */
export async function selfContainedKubeconfig(config: ClientConfig, name: string): Promise<string> {
  if (config.exec) {
    throw new Error(
      "the cluster's kubeconfig uses an exec credential plugin, which kcp does not run for a Cluster; give a context with a token or a client certificate",
    );
  }
  const token = config.token ?? (config.tokenFile ? (await Bun.file(config.tokenFile).text()).trim() : undefined);
  const user: Record<string, unknown> = {};
  if (token) user.token = token;
  if (config.clientCertData) user["client-certificate-data"] = b64(config.clientCertData);
  if (config.clientKeyData) user["client-key-data"] = b64(config.clientKeyData);
  if (config.username !== undefined) user.username = config.username;
  if (config.password !== undefined) user.password = config.password;
  const cluster: Record<string, unknown> = { server: config.server };
  if (config.caData) cluster["certificate-authority-data"] = b64(config.caData);
  if (config.insecureSkipTlsVerify) cluster["insecure-skip-tls-verify"] = true;
  if (config.tlsServerName) cluster["tls-server-name"] = config.tlsServerName;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster }],
    users: [{ name, user }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    "current-context": name,
  });
}
