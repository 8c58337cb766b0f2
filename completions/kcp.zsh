#compdef kcp
# zsh completion for kcp. Install: copy to a directory on $fpath as _kcp, then run compinit.

_kcp() {
  local curcontext="$curcontext" state line
  local -a commands
  commands=(
    'start:Start the API server (listens on 127.0.0.1:6443) and write an admin kubeconfig'
    'migrate:Copy all data from one storage backend to another (SQLite and etcd)'
    'sync:Sync labelled objects from kcp to a physical cluster, and status back'
    'version:Print the kcp version and the Kubernetes API level it serves'
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
            '(--etcd-servers)--embedded-etcd[Run an etcd member from the etcd binary on PATH]' \
            '--embedded-etcd-client-port=[Client port of the embedded etcd]:port:' \
            '--embedded-etcd-peer-port=[Peer port of the embedded etcd]:port:' \
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
        version)
          _arguments \
            '(-o --output)'{-o,--output}'[Output format]:format:(text json)' \
            '(- *)'{-h,--help}'[Show help]'
          ;;
        help)
          _arguments '1:command:(start migrate sync version help)'
          ;;
      esac
      ;;
  esac
}

_kcp "$@"
