import { describe, expect, test } from "bun:test";
import { parseTokenFile, TokenFileAuthenticator, TokenFileError } from "../../src/auth/token-file.ts";

describe("token file (kube-apiserver's CSV)", () => {
  test("token,user,uid and a quoted group list; system:authenticated added once", () => {
    const entries = parseTokenFile(
      [
        'alice-token,alice,uid-1,"dev,ops"',
        "",
        "bob-token, bob ,uid-2",
        'carol-token,carol,,"system:authenticated"',
      ].join("\n"),
      "tokens.csv",
    );
    expect(entries).toEqual([
      {
        token: "alice-token",
        user: { username: "alice", uid: "uid-1", groups: ["dev", "ops", "system:authenticated"] },
      },
      // Leading spaces are trimmed as kube's reader does; trailing ones belong to the value.
      { token: "bob-token", user: { username: "bob ", uid: "uid-2", groups: ["system:authenticated"] } },
      { token: "carol-token", user: { username: "carol", groups: ["system:authenticated"] } },
    ]);
  });

  test("quotes: doubled quotes inside a quoted field, CRLF line ends", () => {
    const [e] = parseTokenFile('"to""ken",u,1,"a"\r\n', "f");
    expect(e.token).toBe('to"ken');
    expect(e.user.groups).toEqual(["a", "system:authenticated"]);
  });

  test.each([
    ["# a comment\nt,u,1", "f line 1: comments are not allowed"],
    ["t,u,1\n  #x,u,1", "f line 2: comments are not allowed"],
    ["t,u", "f line 1: needs at least 3 columns (token, user name, user uid), found 2"],
    [",u,1", "f line 1: empty token"],
    ["t,,1", "f line 1: empty user name"],
    ["t,u,1\n\nt,v,2", "f line 3: the same token as line 1"],
    ['t,u,1,"a,b', "f line 1: a quoted field is not closed"],
    ['t,u,1,"a"b', "f line 1: text after a closing quote"],
    ['t,u"x,1', "f line 1: a quote inside an unquoted field"],
    ["t t,u,1", "f line 1: the token contains white space"],
    ['t,u,1,"a,,b"', "f line 1: an empty group name"],
  ])("%j is refused: %s", (text, message) => {
    expect(() => parseTokenFile(text, "f")).toThrow(TokenFileError);
    expect(() => parseTokenFile(text, "f")).toThrow(message);
  });

  test("the authenticator knows each token and hands out copies", () => {
    const a = new TokenFileAuthenticator(parseTokenFile("t1,alice,1,g\nt2,bob,2", "f"));
    const alice = a.authenticateToken("t1");
    expect(alice?.username).toBe("alice");
    alice?.groups.push("system:masters");
    expect(a.authenticateToken("t1")?.groups).toEqual(["g", "system:authenticated"]);
    expect(a.authenticateToken("t2")?.username).toBe("bob");
    expect(a.authenticateToken("t3")).toBeNull();
    expect(a.authenticateToken("t1 ")).toBeNull();
  });
});
