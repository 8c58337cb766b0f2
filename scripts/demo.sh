#!/usr/bin/env bash
# The seed's two demos, against kcp with two kcp processes as "physical clusters" (us-east1, us-west1).
# See `scripts/demo.sh --help` and docs/multi-cluster.md#demos. Needs `npm ci` and kubectl on PATH.
set -uo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/demo.sh [--dir DIR] [--keep] kubecon|api-negotiation

Runs one of the seed's demos step by step, printing each command ($ kubectl …) and its output:

  kubecon          12 integration CRDs, logical-cluster isolation, two clusters attached, a
                   Deployment of 10 replicas split 5/5 over them; ends with my-deployment 10/10
  api-negotiation  us-west1 is an older cluster (its Deployment lacks the pod spec's
                   ephemeralContainers): its import is incompatible until it may narrow the
                   published schema; the field comes back when it leaves; then a manual,
                   enforced CRD that no cluster narrows

It starts kcp and the two clusters (kcp processes with the workload CRDs, each with a player of
kube's deployment controller) on free ports, and stops them all when it ends, even on failure.
It exits non-zero when a step does not give what it should.

  --dir DIR   work in DIR (created if missing; kept afterwards) instead of a temporary directory
  --keep      keep the temporary directory (it is also kept when a step fails)
  -h, --help  show this help

Expected output: scripts/demo/<demo>.result (normalised: ages, ports, paths, timestamps, uids).
EOF
}

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEMO=""
DIR=""
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --dir) [ $# -ge 2 ] || { echo "demo: --dir needs a directory" >&2; exit 2; }; DIR="$2"; KEEP=1; shift 2 ;;
    --dir=*) DIR="${1#--dir=}"; KEEP=1; shift ;;
    --keep) KEEP=1; shift ;;
    kubecon | api-negotiation) [ -z "$DEMO" ] || { echo "demo: name one demo" >&2; exit 2; }; DEMO="$1"; shift ;;
    *) echo "demo: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
[ -n "$DEMO" ] || { usage >&2; exit 2; }

export PATH="$REPO/node_modules/.bin:$PATH"
command -v bun >/dev/null || { echo "demo: bun not found in $REPO/node_modules/.bin: run npm ci first" >&2; exit 2; }
command -v kubectl >/dev/null || { echo "demo: kubectl not found on PATH" >&2; exit 2; }

if [ -z "$DIR" ]; then
  DIR="$(mktemp -d "${TMPDIR:-/tmp}/kcp-demo-$DEMO.XXXXXX")"
else
  mkdir -p "$DIR" || exit 2
  DIR="$(cd "$DIR" && pwd)"
fi
mkdir -p "$DIR/logs"

# ---------------------------------------------------------------------------------------------
# Processes: every one we start is stopped on exit, whatever happens.

PIDS=()
FAILED=0

cleanup() {
  local code=$?
  trap - EXIT INT TERM
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  local i
  for i in $(seq 50); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  if [ $code != 0 ] || [ $FAILED != 0 ]; then
    echo "demo: failed; logs are in $DIR/logs" >&2
  elif [ $KEEP = 0 ]; then
    rm -rf "$DIR"
  fi
  exit $code
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

STEP="setup"
die() {
  FAILED=1
  echo "demo: step $STEP failed: $*" >&2
  exit 1
}

# start_kcp NAME ARGS…: `kcp start` in $DIR/NAME on a free port; waits until it serves.
start_kcp() {
  local name="$1"
  shift
  bun "$REPO/src/main.ts" start --root-dir "$DIR/$name" --listen 127.0.0.1:0 "$@" >"$DIR/logs/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  local deadline=$((SECONDS + 60))
  until grep -q 'Admin kubeconfig' "$DIR/logs/$name.log" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || die "kcp $name exited: $(tail -n 5 "$DIR/logs/$name.log")"
    [ $SECONDS -lt $deadline ] || die "kcp $name did not start within 60s"
    sleep 0.1
  done
}

# start_player NAME ARGS…: plays kube's deployment controller in cluster NAME.
start_player() {
  local name="$1"
  shift
  bun "$REPO/scripts/demo/workload-player.ts" --kubeconfig "$DIR/$name/data/admin.kubeconfig" "$@" \
    >"$DIR/logs/$name-player.log" 2>&1 &
  PIDS+=("$!")
}

# ---------------------------------------------------------------------------------------------
# What a person sees: step titles, narration, commands and their output.

KUBE_CACHE="$DIR/.kube-cache"
# kubectl with a private discovery cache (so runs never share one); shown without it.
kubectl() { command kubectl --cache-dir "$KUBE_CACHE" "$@"; }
kcp() { bun "$REPO/src/main.ts" "$@"; }

step() {
  STEP="$1"
  shift
  printf '\n--- %s. %s\n' "$STEP" "$*"
}
say() { printf '# %s\n' "$*"; }

# show CMD: print and run CMD (a shell line), which must succeed.
show() {
  printf '$ %s\n' "$1"
  local code
  eval "$1" 2>&1
  code=$?
  [ $code = 0 ] || die "\`$1\` exited with $code"
}
# show_fails CMD: the same, for a command that must fail (its error is the point).
show_fails() {
  printf '$ %s\n' "$1"
  local code
  eval "$1" 2>&1
  code=$?
  [ $code != 0 ] || die "\`$1\` succeeded, but should have failed"
}
# show_empty CMD: a pipeline ending in grep that must find nothing (grep exits 1).
show_empty() {
  printf '$ %s\n' "$1"
  local out code
  out="$(eval "$1" 2>&1)"
  code=$?
  [ $code = 1 ] && [ -z "$out" ] || die "\`$1\` should have printed nothing; exit $code: $out"
}

# wait_until SECONDS WHAT CMD: poll CMD (quietly) until it succeeds; fail after SECONDS.
wait_until() {
  local timeout="$1" what="$2" cmd="$3"
  local deadline=$((SECONDS + timeout))
  until eval "$cmd" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "waited ${timeout}s for $what; last try: $(eval "$cmd" 2>&1 | tail -n 3)"
    sleep 0.3
  done
}

# jsonpath_is SECONDS OBJECT JSONPATH VALUE: wait until `kubectl get OBJECT -o jsonpath=…` prints VALUE.
jsonpath_is() {
  wait_until "$1" "$2 $3 to be '$4'" "[ \"\$(kubectl get $2 -o jsonpath='$3')\" = '$4' ]"
}

# The condition status of an object ("" when it has none).
condition() { kubectl get "$1" -o jsonpath="{.status.conditions[?(@.type==\"$2\")].status}" 2>/dev/null; }
# observed OBJECT TYPE: the condition TYPE was written for the object's current generation.
observed() {
  local gens
  gens="$(kubectl get "$1" -o jsonpath="{.metadata.generation}/{.status.conditions[?(@.type==\"$2\")].observedGeneration}")" &&
    [ "${gens%/*}" = "${gens#*/}" ]
}
condition_is() {
  wait_until "$1" "$2 to have $3=$4" "[ \"\$(condition $2 $3)\" = '$4' ]"
}

# ---------------------------------------------------------------------------------------------
# Setup: kcp, two physical clusters, their Cluster manifests.

setup() {
  local kcp_args=("$@")
  step 0 "Setup"
  cp -R "$REPO/scripts/demo/external-integrations" "$REPO/scripts/demo/deployment.yaml" "$DIR/"
  mkdir -p "$DIR/clusters" "$DIR/crds"
  say "kcp start ${kcp_args[*]} (push-mode syncers for deployments.apps)"
  start_kcp kcp --cluster-syncer-mode push --cluster-resources deployments.apps "${kcp_args[@]}"
  local name
  for name in us-east1 us-west1; do
    say "physical cluster $name: kcp start --install-workload-crds --no-cluster-controller --no-deployment-splitter"
    start_kcp "$name" --install-workload-crds --no-cluster-controller --no-deployment-splitter
  done
  for name in us-east1 us-west1; do
    KUBECONFIG="$DIR/$name/data/admin.kubeconfig" \
      wait_until 60 "the Deployment CRD in $name" "kubectl wait --for condition=Established crd/deployments.apps --timeout=5s"
  done
  for name in us-east1 us-west1; do
    # The Cluster manifest: the cluster's own kubeconfig, indented under spec.kubeconfig (as the seed's).
    {
      printf 'apiVersion: cluster.example.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: %s\nspec:\n  kubeconfig: |\n' "$name"
      sed -e 's/^/    /' "$DIR/$name/data/admin.kubeconfig"
    } >"$DIR/clusters/$name.yaml"
  done
  export KUBECONFIG="$DIR/kcp/data/admin.kubeconfig"
  cd "$DIR" || die "cannot enter $DIR"
  say "kcp serves on $(sed -n 's/^ *server: //p' "$KUBECONFIG" | head -n 1); KUBECONFIG=kcp/data/admin.kubeconfig; clusters/ holds the two Cluster manifests"
}

release_pods() {
  say "Now the pods in the physical clusters become ready (the demo releases the clusters' deployment controllers)."
  : >"$DIR/pods-ready"
}

# ---------------------------------------------------------------------------------------------

kubecon() {
  setup --auto-publish-apis
  for name in us-east1 us-west1; do start_player "$name" --hold-until "$DIR/pods-ready"; done

  step 1 "kcp is a control plane, not a cluster: it has no pods"
  show_fails 'kubectl get pods'

  step 2 "What kcp serves out of the box"
  show 'kubectl api-resources'

  step 3 "Add the APIs of 12 external integrations as CRDs"
  show 'kubectl apply -Rf external-integrations/'

  step 4 "They are real APIs, with their schemas"
  show 'kubectl wait --for condition=Established crd/databases.postgresql.crossplane.io --timeout=60s'
  show 'kubectl explain database'

  step 5 "The admin logical cluster"
  show 'kubectl config view --minify | grep server:'

  step 6 "Another logical cluster: user"
  show 'kubectl config use-context user'
  show 'kubectl config view --minify | grep server:'

  step 7 "user has none of admin's databases"
  say "In kcp, CRDs made in admin are served in every logical cluster (README: CRDs are per logical cluster),"
  say "so user knows the type; the objects themselves never cross logical clusters."
  show 'kubectl get databases'

  step 8 "user has no CRDs of its own"
  show 'kubectl get crds'

  step 9 "Back in admin: the kinds of physical clusters and API negotiation"
  show 'kubectl config use-context admin'
  say "The seed applied config/ here (CRDs for clusters, imports and negotiated resources)."
  say "kcp serves these kinds itself, in every logical cluster: nothing to apply."
  show 'kubectl api-resources --api-group=cluster.example.dev'
  show 'kubectl api-resources --api-group=apiresource.kcp.dev'

  step 10 "Attach the two physical clusters"
  show 'head -n 15 clusters/us-west1.yaml'
  show 'kubectl apply -f clusters/us-west1.yaml'
  show 'kubectl apply -f clusters/us-east1.yaml'

  step 11 "kcp imports their Deployment API, publishes it, and starts their syncers"
  show 'kubectl wait cluster/us-west1 --for condition=Ready --timeout=60s'
  show 'kubectl wait cluster/us-east1 --for condition=Ready --timeout=60s'

  step 12 "kcp now serves deployments: negotiated from the two clusters"
  wait_until 30 "deployments in discovery" "kubectl api-resources --api-group=apps | grep '^deployments '"
  show 'kubectl api-resources'

  step 13 "Create a Deployment of 10 replicas"
  show 'kubectl create namespace demo'
  show 'cat deployment.yaml'
  show 'kubectl apply -f deployment.yaml -n demo'

  step 14 "The splitter made one leaf per cluster; their replicas are created, none ready yet"
  say "waiting until the root's .status.updatedReplicas is 10 (summed from its leaves)"
  jsonpath_is 90 "deployment/my-deployment -n demo" '{.status.updatedReplicas}' 10
  for name in us-east1 us-west1; do
    jsonpath_is 30 "deployment/my-deployment--$name -n demo" '{.status.updatedReplicas}' 5
  done
  show 'kubectl get deployments -n demo'

  step 15 "The pods become ready"
  release_pods
  show 'kubectl wait deployments --all -n demo --for=condition=Available --timeout=180s'

  step 16 "10 replicas ready: 5 in each cluster"
  jsonpath_is 30 "deployment/my-deployment -n demo" '{.status.availableReplicas}' 10
  show 'kubectl get deployments -n demo'
  say "In the physical cluster us-east1, the leaf runs as an ordinary Deployment:"
  show 'kubectl --kubeconfig us-east1/data/admin.kubeconfig get deployments -n demo'

  step 17 "Still no pods in kcp: they exist only in the physical clusters"
  show_fails 'kubectl get pods'
}

# ---------------------------------------------------------------------------------------------

api_negotiation() {
  setup --no-deployment-splitter
  # us-west1 is OLDER: its Deployment lacks the pod spec's ephemeralContainers (as kube 1.15).
  kcp crds print deployments.apps -o json |
    bun -e 'const l = await Bun.stdin.json(); const crd = l.items[0];
      delete crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.template.properties.spec.properties.ephemeralContainers;
      console.log(JSON.stringify(crd));' >"$DIR/crds/deployments-without-ephemeral-containers.json" ||
    die "cannot build the older Deployment CRD"
  kubectl --kubeconfig "$DIR/us-west1/data/admin.kubeconfig" replace -f "$DIR/crds/deployments-without-ephemeral-containers.json" \
    >/dev/null || die "cannot replace us-west1's Deployment CRD"
  kcp crds print deployments.apps >"$DIR/crds/apps_deployments.yaml" || die "cannot print the Deployment CRD"
  for name in us-east1 us-west1; do start_player "$name"; done

  step 1 "The kinds of API negotiation"
  say "The seed applied config/ here (CRDs for clusters, imports and negotiated resources)."
  say "kcp serves these kinds itself, in every logical cluster: nothing to apply."
  show 'kubectl api-resources --api-group=apiresource.kcp.dev'

  step 2 "No deployments yet"
  show_empty 'kubectl api-resources | grep deployments'

  step 3 "Attach us-east1"
  show 'kubectl apply -f clusters/us-east1.yaml'

  step 4 "us-east1 is not Ready: its Deployment API is imported but not published (auto-publish is off)"
  wait_until 60 "the us-east1 import" "kubectl get apiresourceimports deployments.us-east1.v1.apps"
  condition_is 60 cluster/us-east1 Ready False
  jsonpath_is 60 cluster/us-east1 '{.status.syncedResources}' '[]'
  show 'kubectl get clusters -o wide'

  step 5 "The import: us-east1 offers deployments, compatible"
  condition_is 60 apiresourceimports/deployments.us-east1.v1.apps Compatible True
  show 'kubectl get apiresourceimports -o wide'

  step 6 "The negotiated resource: not published"
  wait_until 60 "the negotiated resource" "kubectl get negotiatedapiresources deployments.v1.apps"
  show 'kubectl get negotiatedapiresources -o wide'

  step 7 "Publish it"
  show "kubectl patch negotiatedapiresources deployments.v1.apps --type=merge -p '{\"spec\":{\"publish\":true}}'"

  step 8 "The negotiation controller creates the CRD"
  wait_until 60 "the CRD deployments.apps" "kubectl get crd deployments.apps"
  show 'kubectl get crds -o custom-columns=NAME:.metadata.name | grep deployments'
  show 'kubectl wait --for condition=Established crd/deployments.apps --timeout=60s'

  step 9 "kcp serves deployments"
  wait_until 30 "deployments in discovery" "kubectl api-resources --api-group=apps | grep '^deployments '"
  show 'kubectl api-resources | grep deployments'

  step 10 "The negotiated resource is Published (not Enforced: no one made the CRD by hand)"
  condition_is 60 negotiatedapiresources/deployments.v1.apps Published True
  show 'kubectl get negotiatedapiresources -o wide'

  step 11 "The published schema has the pod spec's ephemeralContainers"
  show 'kubectl get crds deployments.apps -o yaml | grep ephemeralContainers'

  step 12 "The import is Available; us-east1 becomes Ready"
  condition_is 60 apiresourceimports/deployments.us-east1.v1.apps Available True
  show 'kubectl get apiresourceimports -o wide'
  show 'kubectl wait cluster/us-east1 --for condition=Ready --timeout=60s'

  step 13 "Attach us-west1, an older cluster: its Deployment has no ephemeralContainers"
  show 'kubectl apply -f clusters/us-west1.yaml'

  step 14 "Its import is not compatible: it may not narrow a published schema (UpdateUnpublished)"
  wait_until 60 "the us-west1 import" "kubectl get apiresourceimports deployments.us-west1.v1.apps"
  condition_is 60 apiresourceimports/deployments.us-west1.v1.apps Compatible False
  condition_is 60 apiresourceimports/deployments.us-west1.v1.apps Available False
  show 'kubectl get apiresourceimports -o wide'

  step 15 "Why"
  show "kubectl get apiresourceimports deployments.us-west1.v1.apps -o go-template='{{range .status.conditions}}{{if eq .type \"Compatible\"}}{{.reason}}: {{.message}}{{\"\\n\"}}{{end}}{{end}}'"
  say "us-west1 is not Ready: kcp syncs to it only what it can take"
  condition_is 60 cluster/us-west1 Ready False
  jsonpath_is 60 cluster/us-west1 '{.status.syncedResources}' '[]'
  show 'kubectl get clusters'

  step 16 "Let us-west1 narrow the published schema"
  show "kubectl patch apiresourceimports deployments.us-west1.v1.apps --type=merge -p '{\"spec\":{\"schemaUpdateStrategy\":\"UpdatePublished\"}}'"
  condition_is 60 apiresourceimports/deployments.us-west1.v1.apps Compatible True
  condition_is 60 apiresourceimports/deployments.us-west1.v1.apps Available True
  show 'kubectl get apiresourceimports -o wide'

  step 17 "The lowest common denominator drops ephemeralContainers, and the CRD is republished without it"
  wait_until 60 "ephemeralContainers to leave the CRD" \
    "! kubectl get crds deployments.apps -o yaml | grep ephemeralContainers"
  show_empty 'kubectl get negotiatedapiresources deployments.v1.apps -o yaml | grep ephemeralContainers'
  show_empty 'kubectl get crds deployments.apps -o yaml | grep ephemeralContainers'
  show 'kubectl wait cluster/us-west1 --for condition=Ready --timeout=60s'

  step 18 "Detach us-west1: the schema widens again"
  show 'kubectl delete clusters us-west1'
  wait_until 60 "the us-west1 import to go" "! kubectl get apiresourceimports deployments.us-west1.v1.apps"
  show 'kubectl get apiresourceimports -o wide'
  wait_until 60 "ephemeralContainers to come back to the CRD" \
    "kubectl get crds deployments.apps -o yaml | grep ephemeralContainers"
  show 'kubectl get negotiatedapiresources deployments.v1.apps -o yaml | grep ephemeralContainers'
  show 'kubectl get crds deployments.apps -o yaml | grep ephemeralContainers'

  step 19 "Detach us-east1: imports, negotiated resource and CRD go"
  show 'kubectl delete clusters us-east1'
  wait_until 60 "the imports to go" "[ -z \"\$(kubectl get apiresourceimports -o name)\" ]"
  show 'kubectl get apiresourceimports'
  wait_until 60 "the negotiated resource to go" "[ -z \"\$(kubectl get negotiatedapiresources -o name)\" ]"
  show 'kubectl get negotiatedapiresources'
  wait_until 60 "the CRD to go" "! kubectl get crd deployments.apps"
  wait_until 30 "deployments to leave discovery" "! kubectl api-resources | grep deployments"
  show_empty 'kubectl api-resources | grep deployments'

  step 20 "Part 2: a Deployment CRD made by hand"
  show 'kubectl create -f crds/apps_deployments.yaml'
  show 'kubectl wait --for condition=Established crd/deployments.apps --timeout=60s'

  step 21 "Attach the older us-west1: its import is incompatible with the hand-made schema"
  show 'kubectl apply -f clusters/us-west1.yaml'
  wait_until 60 "the us-west1 import" "kubectl get apiresourceimports deployments.us-west1.v1.apps"
  condition_is 60 apiresourceimports/deployments.us-west1.v1.apps Compatible False
  condition_is 60 apiresourceimports/deployments.us-west1.v1.apps Available False
  say "Not Available either: kcp serves deployments, but in a shape us-west1 cannot take (the seed said True)."
  show 'kubectl get apiresourceimports -o wide'

  step 22 "The negotiated resource is Published and Enforced: the CRD dictates the schema"
  condition_is 60 negotiatedapiresources/deployments.v1.apps Enforced True
  show 'kubectl get negotiatedapiresources -o wide'

  step 23 "Even UpdatePublished does not narrow an enforced schema"
  show "kubectl patch apiresourceimports deployments.us-west1.v1.apps --type=merge -p '{\"spec\":{\"schemaUpdateStrategy\":\"UpdatePublished\"}}'"
  say "waiting until the controller has seen the change (the conditions' observedGeneration)"
  wait_until 60 "the us-west1 import's conditions to observe its generation" \
    "observed apiresourceimports/deployments.us-west1.v1.apps Compatible"
  show 'kubectl get apiresourceimports -o wide'
  show 'kubectl get negotiatedapiresources -o wide'
  show 'kubectl get crds deployments.apps -o yaml | grep ephemeralContainers'

  step 24 "Attach us-east1: same schema as the enforced one, so compatible, and Available"
  show 'kubectl apply -f clusters/us-east1.yaml'
  wait_until 60 "the us-east1 import" "kubectl get apiresourceimports deployments.us-east1.v1.apps"
  condition_is 60 apiresourceimports/deployments.us-east1.v1.apps Available True
  show 'kubectl get apiresourceimports -o wide'
  show 'kubectl get negotiatedapiresources -o wide'
}

case "$DEMO" in
  kubecon) kubecon ;;
  api-negotiation) api_negotiation ;;
esac
printf '\n--- end. The %s demo ran to the end.\n' "$DEMO"
