// Owner references are validated for every kind, built-in or custom, as kube-apiserver does it:
// kubectl prints the 422 Invalid with one line per cause, and a valid reference is stored as sent.
import { describe, expect, test } from "bun:test";
import { stringify as stringifyYaml } from "yaml";
import { type KcpProcess, kubectl, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;
useKcp((k) => (kcp = k));

type Obj = Record<string, any>;

const gadgetCRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "gadgets.owners.example.com" },
  spec: {
    group: "owners.example.com",
    scope: "Namespaced",
    names: { plural: "gadgets", singular: "gadget", kind: "Gadget", listKind: "GadgetList" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      },
    ],
  },
};

function create(doc: Obj) {
  return kubectl(kcp, ["create", "--validate=false", "-f", "-"], { stdin: stringifyYaml(doc) });
}

const ref = (name: string, extra: Obj = {}) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  name,
  uid: `uid-${name}`,
  ...extra,
});

describe("ownerReferences", () => {
  test("kubectl shows each broken rule of a ConfigMap's references", async () => {
    const r = await create({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "orphan", ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "", uid: "" }] },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'The ConfigMap "orphan" is invalid: \n' +
        '* metadata.ownerReferences.name: Invalid value: "": must not be empty\n' +
        '* metadata.ownerReferences.uid: Invalid value: "": must not be empty\n',
    );
    expect((await kubectl(kcp, ["get", "cm", "orphan"])).code).toBe(1);
  });

  test("a custom resource with two controllers is refused; with one it is stored", async () => {
    expect((await create(gadgetCRD)).code).toBe(0);
    const wait = await kubectl(kcp, [
      "wait",
      "--for=condition=Established",
      "crd/gadgets.owners.example.com",
      "--timeout=20s",
    ]);
    expect(wait.code).toBe(0);
    const gadget = (refs: Obj[]) => ({
      apiVersion: "owners.example.com/v1",
      kind: "Gadget",
      metadata: { name: "g1", ownerReferences: refs },
    });
    const two = await create(gadget([ref("a", { controller: true }), ref("b", { controller: true })]));
    expect(two.code).toBe(1);
    expect(two.stderr).toStartWith('The Gadget "g1" is invalid: metadata.ownerReferences: Invalid value: ');
    expect(two.stderr).toEndWith(
      ': Only one reference can have Controller set to true. Found "true" in references for ConfigMap/a and ConfigMap/b\n',
    );

    // Valid references to owners that exist (the garbage collector would collect a gadget whose
    // owners are all absent).
    const uidOf = async (name: string) => {
      const made = await kubectl(kcp, ["create", "configmap", name, "-o", "json"]);
      expect(made.code).toBe(0);
      return (JSON.parse(made.stdout) as Obj).metadata.uid as string;
    };
    const a = ref("a", { uid: await uidOf("a"), controller: true, blockOwnerDeletion: true });
    const b = ref("b", { uid: await uidOf("b") });
    const one = await create(gadget([a, b]));
    expect(one.stderr).toBe("");
    expect(one.stdout).toBe("gadget.owners.example.com/g1 created\n");
    const got = JSON.parse((await kubectl(kcp, ["get", "gadget", "g1", "-o", "json"])).stdout) as Obj;
    expect(got.metadata.ownerReferences).toEqual([a, b]);
  });
});
