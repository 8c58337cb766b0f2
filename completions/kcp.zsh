#compdef kcp
# zsh completion for kcp. Install: copy to a directory on $fpath as _kcp, then run compinit.

_kcp() {
  local curcontext="$curcontext" state line
  local -a commands
  commands=(
    'start:Start the API server (listens on 127.0.0.1:6443) and write an admin kubeconfig'
    'migrate:Copy all data from one storage backend to another (SQLite and etcd)'
    'sync:Sync labelled objects from kcp to a physical cluster, and status back'
    'split:Split Deployments into one leaf per Ready Cluster, and sum their status'
    'cluster:Attach, list and detach physical clusters (Cluster objects)'
    'version:Print the kcp version and the Kubernetes API level it serves'
    'crds:Ready-made CRDs for Kubernetes workload kinds (deployments, pods, services, ...)'
    'pull-crds:Print the resources of a cluster as CRDs that kcp can serve'
    'help:Show help for kcp or one of its commands'
  )

  _arguments -C \
    '(- *)'{-h,--help}'[Show help]' \
    '(- *)'{-v,--version}'[Print the version]' \
    '1: :->command' \
    '*:: :->args'

  case $state in
    command)
      _describe -t commands 'kcp command' commands
      ;;
    args)
      case $line[1] in
        start)
          _arguments \
            '--root-dir=[Directory for state, certificates and the admin kubeconfig]:directory:_directories' \
            '--listen=[Address of the secure listener]:host\:port:' \
            '--log-level=[How much to log]:level:(silent error warn info debug trace)' \
            '(--embedded-etcd)--etcd-servers=[Store data in these etcd members (comma-separated URLs)]:urls:' \
            '--etcd-cafile=[CA bundle that verifies the etcd members]:file:_files' \
            '--etcd-certfile=[Client certificate to present to etcd]:file:_files' \
            '--etcd-keyfile=[Key of --etcd-certfile]:file:_files' \
            '--etcd-prefix=[Key prefix of the data in etcd]:prefix:' \
            '--etcd-compaction-interval=[How often to compact etcd history (0 disables)]:duration:' \
            '--etcd-request-timeout=[Deadline of each etcd call]:duration:' \
            '--max-object-size=[Largest object kcp stores (default 1.5Mi)]:size:' \
            '--request-timeout=[Answer 504 to a request that is not a watch after this (default 60s)]:duration:' \
            '--max-watches-per-user=[Concurrent watches per user, more are 429 (default 1000)]:count:' \
            '(--etcd-servers)--embedded-etcd[Run an etcd member from the etcd binary on PATH]' \
            '--embedded-etcd-client-port=[Client port of the embedded etcd]:port:' \
            '--embedded-etcd-peer-port=[Peer port of the embedded etcd]:port:' \
            '--install-workload-crds[Create the ready-made workload CRDs in admin if missing]' \
            '--auto-publish-apis[Publish new negotiated API resources as CRDs at once]' \
            '--authorization-mode=[How requests are authorized]:mode:(RBAC AlwaysAllow)' \
            '(--no-client-certificates)--client-certificates[Accept TLS client certificates signed by the kcp CA]' \
            '(--client-certificates)--no-client-certificates[Serve TLS without client certificates]' \
            '--token-auth-file=[Static bearer tokens (kube-apiserver CSV)]:file:_files' \
            '--tls-sans=[More names and addresses for the serving certificate]:names:' \
            '--audit-log-path=[Audit events as JSON lines to this file (- for stdout)]:file:_files' \
            '(--no-cluster-controller)--cluster-controller[Run the cluster controller]' \
            '(--cluster-controller)--no-cluster-controller[Do not run the cluster controller]' \
            '--cluster-syncer-mode=[Syncer mode of Clusters that name none]:mode:(push pull none)' \
            '--cluster-resources=[Resources synced for Clusters that name none]:resources:' \
            '--cluster-heartbeat-timeout=[A Cluster is not Ready when its heartbeat is older]:duration:' \
            '--cluster-syncer-image=[Image of pull-mode syncers]:image:' \
            '--cluster-kcp-url=[kcp URL as pull-mode syncers reach it]:url:' \
            '--cluster-deny-private[Refuse Cluster servers on non-public addresses]' \
            '--cluster-import-interval=[How often Clusters resources are imported again]:duration:' \
            '(--no-api-negotiation)--api-negotiation[Run the API negotiation controller]' \
            '(--api-negotiation)--no-api-negotiation[Do not run the API negotiation controller]' \
            '(--no-deployment-splitter)--deployment-splitter[Run the deployment splitter]' \
            '(--deployment-splitter)--no-deployment-splitter[Do not run the deployment splitter]' \
            '(- *)'{-h,--help}'[Show help]'
          ;;
        migrate)
          _arguments \
            '--from=[Where the data is (sqlite:<path> or etcd:<urls>)]:source:(sqlite: etcd:)' \
            '--to=[Where to copy it (sqlite:<path> or etcd:<urls>)]:destination:(sqlite: etcd:)' \
            '--etcd-cafile=[CA bundle that verifies the etcd members]:file:_files' \
            '--etcd-certfile=[Client certificate to present to etcd]:file:_files' \
            '--etcd-keyfile=[Key of --etcd-certfile]:file:_files' \
            '--etcd-prefix=[Key prefix of the data in etcd]:prefix:' \
            '--force[Delete what the destination holds instead of refusing]' \
            '(- *)'{-h,--help}'[Show help]'
          ;;
        sync)
          _arguments \
            '--from-kubeconfig=[kubeconfig of kcp]:file:_files' \
            '--from-context=[Context of --from-kubeconfig]:context:' \
            '--to-kubeconfig=[kubeconfig of the physical cluster]:file:_files' \
            '--to-context=[Context of --to-kubeconfig]:context:' \
            '--cluster=[Objects labelled kcp.dev/cluster=<name> are synced]:name:' \
            '--logical-cluster=[kcp logical cluster to sync from]:name:' \
            '--heartbeat-interval=[How often the heartbeat Lease is renewed]:duration:' \
            '--workers=[Objects worked on at once in each direction]:n:' \
            '--log-level=[How much to log]:level:(silent error warn info debug trace)' \
            '(- *)'{-h,--help}'[Show help]' \
            '*:resource:'
          ;;
        split)
          _arguments \
            '--kubeconfig=[kubeconfig of kcp]:file:_files' \
            '--context=[Context of --kubeconfig]:context:' \
            '--workers=[Root Deployments worked on at once]:n:' \
            '--log-level=[How much to log]:level:(silent error warn info debug trace)' \
            '(- *)'{-h,--help}'[Show help]'
          ;;
        version)
          _arguments \
            '(-o --output)'{-o,--output}'[Output format]:format:(text json)' \
            '(- *)'{-h,--help}'[Show help]'
          ;;
        crds)
          _arguments \
            '1:command:((print\:"Print ready-made CRDs for kubectl apply -f -" list\:"List the ready-made CRDs"))' \
            '(-o --output)'{-o,--output}'[Output format]:format:(yaml json)' \
            '(- *)'{-h,--help}'[Show help]' \
            '*:CRD name:'
          ;;
        pull-crds)
          _arguments \
            '--kubeconfig=[kubeconfig of the cluster to pull from]:file:_files' \
            '--context=[Context of --kubeconfig]:context:' \
            '(-o --output)'{-o,--output}'[Output format]:format:(yaml json)' \
            '--output-dir=[Write one file per CRD into this directory]:directory:_directories' \
            '(- *)'{-h,--help}'[Show help]' \
            '*:resource:'
          ;;
        cluster)
          _arguments \
            '1:command:((add\:"Attach a physical cluster" register\:"Same as add" list\:"List the attached clusters" remove\:"Detach a cluster"))' \
            '--cluster-kubeconfig=[kubeconfig of the physical cluster]:file:_files' \
            '--cluster-context=[Context of --cluster-kubeconfig]:context:' \
            '--mode=[Where the syncer runs]:mode:(push pull none)' \
            '--resources=[Resources to sync (comma-separated)]:resources:' \
            '--timeout=[How long to wait]:duration:' \
            '--print-manifests[With --mode pull: print the syncer manifests]' \
            '--syncer-image=[With --print-manifests: the syncer image]:image:' \
            '--kcp-url=[With --print-manifests: kcp URL as the pod reaches it]:url:' \
            '--kubeconfig=[kubeconfig of kcp]:file:_files' \
            '--context=[Context of --kubeconfig]:context:' \
            '(- *)'{-h,--help}'[Show help]' \
            '*:name:'
          ;;
        help)
          _arguments '1:command:(start migrate sync split cluster version crds pull-crds help)'
          ;;
      esac
      ;;
  esac
}

_kcp "$@"
