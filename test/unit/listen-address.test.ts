import { describe, expect, test } from "bun:test";
import { parseListenAddress } from "../../src/cli/listen-address.ts";

describe("parseListenAddress", () => {
  test("host:port, [ipv6]:port and :port", () => {
    expect(parseListenAddress("127.0.0.1:6443")).toEqual({ host: "127.0.0.1", port: 6443 });
    expect(parseListenAddress("localhost:0")).toEqual({ host: "localhost", port: 0 });
    expect(parseListenAddress("kcp.example.test:443")).toEqual({ host: "kcp.example.test", port: 443 });
    expect(parseListenAddress("[::1]:6443")).toEqual({ host: "::1", port: 6443 });
    expect(parseListenAddress("[::]:6443")).toEqual({ host: "::", port: 6443 });
    expect(parseListenAddress(":6443")).toEqual({ host: "0.0.0.0", port: 6443 });
    expect(parseListenAddress("0.0.0.0:65535")).toEqual({ host: "0.0.0.0", port: 65535 });
  });

  test("says what is wrong and how it should look", () => {
    const cases: Array<[string, string]> = [
      ["6443", "has no port"],
      ["localhost", "has no port"],
      ["127.0.0.1:", "has an invalid port"],
      ["127.0.0.1:http", "has an invalid port"],
      ["127.0.0.1:-1", "has an invalid port"],
      ["127.0.0.1:70000", "has a port above 65535"],
      ["::1:6443", "put it in brackets"],
      ["[::1]", "has no port"],
      ["[::1:6443", "bracket"],
      ["[not-ip]:6443", "invalid IPv6 address"],
      ["999.1.1.1:6443", "has an invalid host"],
      ["bad_host:6443", "has an invalid host"],
      ["", "has no port"],
    ];
    for (const [value, why] of cases) {
      expect(() => parseListenAddress(value)).toThrow(`--listen must be of format host:port`);
      expect(() => parseListenAddress(value)).toThrow(why);
    }
  });
});
