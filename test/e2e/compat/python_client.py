#!/usr/bin/python3
# Drives kcp with Debian's python3-kubernetes (the official Python client, 22.x) and prints one JSON
# document of what it saw; test/e2e/compat/python-client.test.ts asserts on it.
#
# Usage: /usr/bin/python3 python_client.py <kubeconfig> <namespace> <discovery-cache-file>
# The namespace exists and the CRD widgets.compat.example.com (v1, status and scale) is established.
import json
import sys

import kubernetes
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient


def api_error(fn):
    """Run fn and return (status, reason) of the ApiException it raises, or None."""
    try:
        fn()
    except ApiException as e:
        return {"status": e.status, "reason": json.loads(e.body).get("reason")}
    return None


def main():
    kubeconfig, ns, cache_file = sys.argv[1], sys.argv[2], sys.argv[3]
    out = {"version": kubernetes.__version__}

    api_client = config.new_client_from_config(config_file=kubeconfig)
    core = client.CoreV1Api(api_client)

    # --- CoreV1Api CRUD on configmaps
    start_rv = core.list_namespaced_config_map(ns).metadata.resource_version
    created = core.create_namespaced_config_map(
        ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-cm", labels={"via": "python"}), data={"a": "1"})
    )
    out["created"] = {"name": created.metadata.name, "uid": bool(created.metadata.uid), "data": created.data}
    out["read"] = core.read_namespaced_config_map("py-cm", ns).data
    out["listed"] = [i.metadata.name for i in core.list_namespaced_config_map(ns, label_selector="via=python").items]
    # A dict body is sent as a strategic merge patch, a list body as a JSON patch.
    out["strategic"] = core.patch_namespaced_config_map("py-cm", ns, {"data": {"b": "2"}}).data
    out["jsonpatch"] = core.patch_namespaced_config_map("py-cm", ns, [{"op": "remove", "path": "/data/a"}]).data
    current = core.read_namespaced_config_map("py-cm", ns)
    current.data["c"] = "3"
    replaced = core.replace_namespaced_config_map("py-cm", ns, current)
    out["replaced"] = replaced.data
    # A replace with the old resourceVersion is a conflict.
    out["stale_replace"] = api_error(lambda: core.replace_namespaced_config_map("py-cm", ns, current))
    out["duplicate_create"] = api_error(lambda: core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-cm"))))

    # --- watch: it sends watch=True (a capitalised boolean) and timeoutSeconds. From the resourceVersion
    # before the create, the create, the two patches and the replace are replayed; the delete happens
    # while the watch is open, and its event ends the loop.
    events = []
    w = watch.Watch()
    for ev in w.stream(core.list_namespaced_config_map, ns, resource_version=start_rv, timeout_seconds=60):
        obj = ev["object"]
        events.append({"type": ev["type"], "name": obj.metadata.name, "data": obj.data})
        if ev["type"] == "MODIFIED" and obj.data == {"b": "2", "c": "3"}:
            out["delete_status"] = core.delete_namespaced_config_map("py-cm", ns).status
        if ev["type"] == "DELETED":
            w.stop()
    out["watch"] = events
    # A watch with nothing to report returns when the server ends it at timeoutSeconds.
    end_rv = core.list_namespaced_config_map(ns).metadata.resource_version
    out["quiet_watch"] = [ev["type"] for ev in watch.Watch().stream(core.list_namespaced_config_map, ns, resource_version=end_rv, timeout_seconds=1)]
    out["read_after_delete"] = api_error(lambda: core.read_namespaced_config_map("py-cm", ns))

    # --- another logical cluster through the kubeconfig's "user" context (server URL /clusters/user)
    user_core = client.CoreV1Api(config.new_client_from_config(config_file=kubeconfig, context="user"))
    out["user_namespaces"] = sorted(n.metadata.name for n in user_core.list_namespace().items)

    # --- DynamicClient: legacy discovery (/version, /apis, /api/v1, /apis/<g>/<v>), then a custom resource
    dyn = DynamicClient(api_client, cache_file=cache_file)
    out["server_version"] = dyn.version["kubernetes"]["gitVersion"]
    widgets = dyn.resources.get(api_version="compat.example.com/v1", kind="Widget")
    out["widget_resource"] = {"name": widgets.name, "namespaced": widgets.namespaced, "short_names": widgets.short_names}
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    out["configmap_resource"] = {"name": cms.name, "short_names": cms.short_names}
    out["widget_subresources"] = sorted(widgets.subresources.keys())
    body = {"apiVersion": "compat.example.com/v1", "kind": "Widget", "metadata": {"name": "py-widget"}, "spec": {"replicas": 2, "color": "red"}}
    made = widgets.create(body=body, namespace=ns)
    out["cr_created"] = {"name": made.metadata.name, "spec": made.to_dict()["spec"], "generation": made.metadata.generation}
    got = widgets.get(name="py-widget", namespace=ns)
    out["cr_get"] = {"kind": got.kind, "apiVersion": got.apiVersion, "spec": got.to_dict()["spec"]}
    patched = widgets.patch(name="py-widget", namespace=ns, body={"spec": {"color": "blue"}}, content_type="application/merge-patch+json")
    out["cr_patched"] = {"spec": patched.to_dict()["spec"], "generation": patched.metadata.generation}
    out["cr_list"] = [i.metadata.name for i in widgets.get(namespace=ns).items]
    # Strategic merge patch is not defined for custom resources: 415.
    out["cr_strategic"] = api_error(lambda: widgets.patch(name="py-widget", namespace=ns, body={"spec": {"color": "x"}}))

    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
