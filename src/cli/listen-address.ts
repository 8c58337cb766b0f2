// Parsing of `--listen host:port`, strict enough that a typo fails at once with a clear message
// instead of as a bind error later.
import { isIP } from "node:net";

export interface ListenAddress {
  /** Host or IP to bind, without brackets; "0.0.0.0" when the flag gave none. */
  host: string;
  port: number;
}

const EXAMPLES = "for example 127.0.0.1:6443, :6443 or [::1]:6443";

export function parseListenAddress(value: string): ListenAddress {
  const fail = (why: string): never => {
    throw new Error(`--listen must be of format host:port (${EXAMPLES}): "${value}" ${why}`);
  };
  let host: string;
  let portText: string;
  const bracketed = /^\[([^\]]*)\]:([^:]*)$/.exec(value);
  if (bracketed) {
    host = bracketed[1] ?? "";
    portText = bracketed[2] ?? "";
    if (isIP(host) !== 6) fail("has an invalid IPv6 address in brackets");
  } else if (value.startsWith("[")) {
    return fail(/^\[[^\]]*\]$/.test(value) ? "has no port" : "has an unclosed or misplaced bracket");
  } else {
    const colon = value.lastIndexOf(":");
    if (colon < 0) fail("has no port");
    host = value.slice(0, colon);
    portText = value.slice(colon + 1);
    if (host.includes(":")) fail("looks like an IPv6 address: put it in brackets");
    if (host !== "" && !isHostName(host)) fail("has an invalid host");
  }
  if (!/^\d{1,5}$/.test(portText)) fail("has an invalid port");
  const port = Number(portText);
  if (port > 65535) fail("has a port above 65535");
  return { host: host === "" ? "0.0.0.0" : host, port };
}

/** A dotted IPv4 address or a DNS name (a dotted string of digits must be a valid IPv4 address). */
function isHostName(host: string): boolean {
  if (/^[\d.]+$/.test(host)) return isIP(host) === 4;
  return (
    host.length <= 253 &&
    /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(host)
  );
}
