import * as k8s from "@kubernetes/client-node";
const kc = new k8s.KubeConfig();
kc.loadFromFile("/tmp/tmp.H5fJ2Zuxg9/data/admin.kubeconfig");
const api = kc.makeApiClient(k8s.CoreV1Api);
const r = await api.listNamespacedConfigMap({ namespace: "default" });
console.log(r.items.map((i) => i.metadata?.name), r.metadata?.resourceVersion);
const c = await api.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "cn1" }, data: { a: "1" } } });
console.log(c.metadata?.resourceVersion);
const p = await api.patchNamespacedConfigMap({ name: "cn1", namespace: "default", body: { data: { b: "2" } } }, k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch));
console.log(p.data);
const w = new k8s.Watch(kc);
const ctl = await w.watch("/api/v1/namespaces/default/configmaps", { resourceVersion: p.metadata?.resourceVersion }, (type, obj) => console.log("EV", type, obj.metadata.name), (err) => console.log("done", err));
await api.deleteNamespacedConfigMap({ name: "cn1", namespace: "default" });
await Bun.sleep(300);
ctl.abort();
try { await api.readNamespacedConfigMap({ name: "cn1", namespace: "default" }); } catch (e) { console.log((e as any).code, (e as any).body); }
