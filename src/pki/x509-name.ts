// The parts of an X.509 Name (RFC 5280 §4.1.2.4) kube reads: the common name and the
// organizations, as Go's pkix.Name fills them (the last CN wins, every O in order). Certificates
// and certificate requests carry their names as DER; node:crypto's text form of a subject cannot
// tell "O=a\nO=b" from a value holding a newline, so the DER is read instead.

import { children, type Element, oidText, TAG } from "./der.ts";

const COMMON_NAME = "2.5.4.3";
const ORGANIZATION = "2.5.4.10";

/** ASN.1 string types a DirectoryString may use (Go's parseASN1String accepts these). */
const STRING_TAGS = new Set([
  TAG.UTF8_STRING,
  0x13, // PrintableString
  0x14, // T61String (Go reads it as Latin-1)
  0x16, // IA5String
  0x1e, // BMPString (UTF-16 big-endian)
]);

export interface NameFields {
  commonName: string;
  organizations: string[];
}

function stringValue(el: Element): string {
  if (!STRING_TAGS.has(el.tag as never)) throw new Error("x509: unsupported string type in a name");
  if (el.tag === 0x14) return Buffer.from(el.content).toString("latin1");
  if (el.tag === 0x1e) {
    const swapped = Buffer.from(el.content);
    if (swapped.length % 2) throw new Error("x509: invalid BMPString");
    swapped.swap16();
    return swapped.toString("utf16le");
  }
  return new TextDecoder("utf-8", { fatal: true }).decode(el.content);
}

/** The common name and organizations of a Name element (a SEQUENCE of SETs of attributes). */
export function nameFields(name: Element): NameFields {
  if (name.tag !== TAG.SEQUENCE) throw new Error("x509: malformed name");
  const out: NameFields = { commonName: "", organizations: [] };
  for (const rdn of children(name)) {
    if (rdn.tag !== TAG.SET) throw new Error("x509: malformed name");
    for (const attribute of children(rdn)) {
      const [type, value] = children(attribute);
      if (type?.tag !== TAG.OID || !value) throw new Error("x509: malformed name");
      const id = oidText(type.content);
      if (id === COMMON_NAME) out.commonName = stringValue(value);
      else if (id === ORGANIZATION) out.organizations.push(stringValue(value));
    }
  }
  return out;
}
