// readObjectBody: which media types a resource accepts, and which kind a (sub)resource's body is.
import { describe, expect, test } from "bun:test";
import { builtinResources } from "../../src/apis/builtin/index.ts";
import type { ResourceDef } from "../../src/apis/types.ts";
import { AllowAllAuthorizer } from "../../src/auth/allow-all-authorizer.ts";
import { StaticTokenAuthenticator } from "../../src/auth/token-authenticator.ts";
import { bodyKind, readObjectBody } from "../../src/server/rest/body.ts";
import { StatusError } from "../../src/machinery/status.ts";
import { envelope, kubectlMeta, msg, str } from "../helpers/protobuf-encoder.ts";

const defs = builtinResources({
  authenticator: new StaticTokenAuthenticator([]),
  authorizer: new AllowAllAuthorizer(),
});

function def(plural: string, group = ""): ResourceDef {
  const d = defs.find((x) => x.plural === plural && x.group === group);
  if (!d) throw new Error(`no ${group}/${plural}`);
  return d;
}

const PROTOBUF = "application/vnd.kubernetes.protobuf";

function request(body: Uint8Array | string, contentType: string): Request {
  return new Request("https://kcp.test/api/v1/namespaces/default/configmaps", {
    method: "POST",
    body,
    headers: { "Content-Type": contentType },
  });
}

async function failure(p: Promise<unknown>): Promise<StatusError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof StatusError)) throw new Error(`expected a StatusError, got ${String(e)}`);
  return e;
}

describe("readObjectBody", () => {
  test("decodes a protobuf body of a built-in kind", async () => {
    const body = envelope("v1", "ConfigMap", [...kubectlMeta("cm1"), ...msg(2, str(1, "k"), str(2, "v"))]);
    expect(await readObjectBody(request(body, PROTOBUF), def("configmaps"))).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cm1", creationTimestamp: null },
      data: { k: "v" },
    });
  });

  test("a subresource's body is its own kind: TokenRequest for token, the parent's for approval and status", async () => {
    expect(bodyKind(def("serviceaccounts"), "token")).toEqual({
      group: "authentication.k8s.io",
      version: "v1",
      kind: "TokenRequest",
    });
    expect(bodyKind(def("certificatesigningrequests", "certificates.k8s.io"), "approval")).toEqual({
      group: "certificates.k8s.io",
      version: "v1",
      kind: "CertificateSigningRequest",
    });
    expect(bodyKind(def("namespaces"), "status")).toEqual({ group: "", version: "v1", kind: "Namespace" });
    const token = envelope("authentication.k8s.io/v1", "TokenRequest", [...kubectlMeta("sa1"), ...msg(2)]);
    expect(await readObjectBody(request(token, PROTOBUF), def("serviceaccounts"), "token")).toMatchObject({
      kind: "TokenRequest",
      spec: { audiences: null, boundObjectRef: null },
    });
    const wrong = await failure(readObjectBody(request(token, PROTOBUF), def("serviceaccounts")));
    expect(wrong.message).toBe(
      'TokenRequest in version "v1" cannot be handled as a ServiceAccount: the kind in the data (TokenRequest) does not match the expected kind (ServiceAccount)',
    );
  });

  test("JSON and YAML still work; other media types are 415 listing protobuf for built-in kinds", async () => {
    expect(await readObjectBody(request('{"metadata":{"name":"a"}}', "application/json"), def("configmaps"))).toEqual({
      metadata: { name: "a" },
    });
    expect(await readObjectBody(request("metadata:\n  name: b\n", "application/yaml"), def("configmaps"))).toEqual({
      metadata: { name: "b" },
    });
    const e = await failure(readObjectBody(request("x", "text/plain"), def("configmaps")));
    expect(e.code).toBe(415);
    expect(e.message).toBe(
      "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf",
    );
  });

  test("custom resources take no protobuf: 415 listing JSON and YAML", async () => {
    const crd: ResourceDef = {
      ...def("configmaps"),
      group: "example.com",
      kind: "Widget",
      plural: "widgets",
      source: "crd",
    };
    const e = await failure(readObjectBody(request(envelope("example.com/v1", "Widget", []), PROTOBUF), crd));
    expect(e.code).toBe(415);
    expect(e.message).toBe(
      "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml",
    );
  });
});
