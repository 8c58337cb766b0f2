// Which physical cluster servers a tenant's Cluster may name. kcp connects to spec.kubeconfig's
// server from its own network: without a policy, a tenant can make kcp send requests to addresses
// only kcp can reach (cloud metadata, the etcd endpoint, admin services) and read parts of the
// answers in the Cluster's status. `kcp start --cluster-deny-private` refuses servers on loopback,
// private, link-local and other non-public addresses (checked on every address the name resolves
// to) and plain http. Off by default: clusters on the same machine or network are the common case
// (and what the tests use).

import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

function ipv4Private(ip: string): boolean {
  const [a = 0, b = 0] = ip.split(".").map(Number);
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

/** Whether an IP address (v4 or v6) is not a public unicast address. */
export function isNonPublicAddress(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) return ipv4Private(ip);
  if (v !== 6) return true;
  const lower = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped?.[1]) return ipv4Private(mapped[1]);
  if (lower === "::" || lower === "::1") return true;
  const first = Number.parseInt(lower.split(":")[0] || "0", 16);
  // fc00::/7 unique local, fe80::/10 link-local, ff00::/8 multicast.
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80 || (first & 0xff00) === 0xff00;
}

/** Throws an Error for people when `server` is refused under --cluster-deny-private. */
export async function checkPublicServer(server: string): Promise<void> {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new Error(`server ${JSON.stringify(server)} is not a URL`);
  }
  if (url.protocol !== "https:")
    throw new Error(`server ${url.origin}: only https:// is allowed (--cluster-deny-private)`);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  const bad = addresses.find(isNonPublicAddress);
  if (bad !== undefined)
    throw new Error(`server ${url.host} is at ${bad}, a non-public address, refused by --cluster-deny-private`);
}
