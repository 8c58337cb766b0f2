// Two versions of one resource negotiated side by side (clusters that prefer different versions):
// both are versions of one CRD kcp publishes. When the clusters offering the storage version leave,
// that version goes from the CRD, and the objects stored in it stay, readable through the version
// left. kube (and kcp) refuse to drop a version still listed in status.storedVersions, so the
// controller must move the storage version and the stored versions first.
import { expect, setDefaultTimeout, test } from "bun:test";
import { api, type KcpProcess, kubeconfigWithPath, kubectl, removeDir, startKcp } from "../helpers/kcp-process.ts";

type Json = Record<string, any>;
setDefaultTimeout(120_000);

const ARI = "/apis/apiresource.kcp.dev/v1alpha1/apiresourceimports";
const NAR = "/apis/apiresource.kcp.dev/v1alpha1/negotiatedapiresources";
const CRD = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com";
const LC = "versions";

function anImport(location: string, version: string): Json {
  return {
    apiVersion: "apiresource.kcp.dev/v1alpha1",
    kind: "APIResourceImport",
    metadata: {
      name: `widgets.${location}.${version}.example.com`,
      annotations: { "apiresource.kcp.dev/apiVersion": `example.com/${version}` },
    },
    spec: {
      location,
      schemaUpdateStrategy: "UpdateUnpublished",
      groupVersion: { group: "example.com", version },
      scope: "Namespaced",
      plural: "widgets",
      singular: "widget",
      kind: "Widget",
      listKind: "WidgetList",
      openAPIV3Schema: {
        type: "object",
        properties: { spec: { type: "object", properties: { size: { type: "integer" } } } },
      },
    },
  };
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
    await Bun.sleep(100);
  }
}

test("a version whose imports left goes from the CRD; its objects stay, served by the version left", async () => {
  const k: KcpProcess = await startKcp({ args: ["--auto-publish-apis"] });
  try {
    const kubeconfig = await kubeconfigWithPath(k, `/clusters/${LC}`);
    const get = async (path: string): Promise<Json | undefined> => {
      const res = await api(k, `/clusters/${LC}${path}`);
      if (res.status === 404) return undefined;
      expect(res.status).toBe(200);
      return (await res.json()) as Json;
    };
    const apply = async (obj: Json) => {
      const r = await kubectl(k, ["apply", "-f", "-"], { kubeconfig, stdin: JSON.stringify(obj) });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    };
    const versions = async () =>
      ((await get(CRD))?.spec.versions ?? []).map((v: Json) => `${v.name}${v.storage ? "*" : ""}`).join(",");

    await apply(anImport("east", "v1"));
    await eventually("v1 served", async () => ((await versions()) === "v1*" ? true : undefined));
    await eventually("widgets served", async () =>
      (await api(k, `/clusters/${LC}/apis/example.com/v1/widgets`)).status === 200 ? true : undefined,
    );
    await apply({
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "w", namespace: "default" },
      spec: { size: 3 },
    });
    await apply(anImport("west", "v1beta1"));
    await eventually("v1 and v1beta1 served", async () => ((await versions()) === "v1*,v1beta1" ? true : undefined));

    // The cluster offering v1 leaves.
    expect((await api(k, `/clusters/${LC}${ARI}/widgets.east.v1.example.com`, { method: "DELETE" })).status).toBe(200);
    await eventually("the v1 negotiated resource gone", async () =>
      (await get(`${NAR}/widgets.v1.example.com`)) === undefined ? true : undefined,
    );
    await eventually("only v1beta1 left in the CRD", async () => ((await versions()) === "v1beta1*" ? true : undefined));
    const crd = await get(CRD);
    expect(crd?.status.storedVersions).toEqual(["v1beta1"]);
    const w = await eventually("the widget through v1beta1", () =>
      get("/apis/example.com/v1beta1/namespaces/default/widgets/w"),
    );
    expect(w.spec).toEqual({ size: 3 });
    expect(w.apiVersion).toBe("example.com/v1beta1");
  } finally {
    await k.stop();
    removeDir(k.rootDir);
  }
});
