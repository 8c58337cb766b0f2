// TLS client certificate authentication, as kube-apiserver's x509 authenticator: a client
// certificate that verifies against kcp's CA (the TLS listener checks the chain and the validity
// period during the handshake) names the user in its subject: username = CN, groups = every O,
// plus system:authenticated. A certificate without a CN, or whose extended key usage does not
// allow client authentication, authenticates no one (the request then falls back to its bearer
// token, if any).

import type { X509Certificate } from "node:crypto";
import { children, oidText, read, TAG } from "../pki/der.ts";
import { nameFields } from "../pki/x509-name.ts";
import type { UserInfo } from "./types.ts";

const EXT_KEY_USAGE = "2.5.29.37";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const ANY_EXT_KEY_USAGE = "2.5.29.37.0";

export class ClientCertAuthenticator {
  /** One answer per certificate object: the listener hands the same one for every request of a connection. */
  private readonly users = new WeakMap<X509Certificate, UserInfo | null>();

  /** The user a verified client certificate names, or null. */
  authenticateCertificate(cert: X509Certificate): UserInfo | null {
    let user = this.users.get(cert);
    if (user === undefined) {
      user = userOf(cert);
      this.users.set(cert, user);
    }
    return user;
  }
}

function userOf(cert: X509Certificate): UserInfo | null {
  try {
    const fields = certificateFields(new Uint8Array(cert.raw));
    if (!fields.commonName) return null;
    if (fields.extKeyUsages && !fields.extKeyUsages.some((u) => u === CLIENT_AUTH || u === ANY_EXT_KEY_USAGE))
      return null;
    return { username: fields.commonName, groups: [...fields.organizations, "system:authenticated"] };
  } catch {
    return null;
  }
}

/** The subject's CN and O, and the extended key usages when the extension is present. */
function certificateFields(der: Uint8Array): { commonName: string; organizations: string[]; extKeyUsages?: string[] } {
  const tbs = children(read(der))[0];
  if (!tbs) throw new Error("malformed certificate");
  const fields = children(tbs);
  // version [0] is optional; serial, signature, issuer, validity and subject follow it.
  const base = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[base + 4];
  if (!subject) throw new Error("malformed certificate");
  const names = nameFields(subject);
  let extKeyUsages: string[] | undefined;
  const extensions = fields.find((f) => f.tag === 0xa3);
  const list = extensions ? children(extensions)[0] : undefined;
  for (const ext of list ? children(list) : []) {
    const parts = children(ext);
    const id = parts[0];
    const value = parts[parts.length - 1];
    if (id?.tag !== TAG.OID || value?.tag !== TAG.OCTET_STRING || oidText(id.content) !== EXT_KEY_USAGE) continue;
    extKeyUsages = children(read(value.content)).map((u) => oidText(u.content));
  }
  return { ...names, extKeyUsages };
}
