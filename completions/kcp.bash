# bash completion for kcp. Install: source this file, or copy it to
# /usr/share/bash-completion/completions/kcp (or ~/.local/share/bash-completion/completions/kcp).

_kcp() {
  local cur prev cmd i
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  # "--flag=value": bash splits at "=", so the flag is two words back.
  if [[ "$prev" == "=" && $COMP_CWORD -ge 2 ]]; then
    prev="${COMP_WORDS[COMP_CWORD-2]}"
  elif [[ "$cur" == "=" ]]; then
    cur=""
  fi

  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${COMP_WORDS[i]}" in
      start | migrate | sync | split | cluster | version | crds | pull-crds | help)
        cmd="${COMP_WORDS[i]}"
        break
        ;;
    esac
  done

  case "$cmd" in
    "")
      COMPREPLY=($(compgen -W "start migrate sync split cluster version crds pull-crds help --help --version" -- "$cur"))
      ;;
    start)
      case "$prev" in
        --root-dir)
          COMPREPLY=($(compgen -d -- "$cur"))
          return
          ;;
        --etcd-cafile | --etcd-certfile | --etcd-keyfile | --token-auth-file | --audit-log-path)
          COMPREPLY=($(compgen -f -- "$cur"))
          return
          ;;
        --listen | --etcd-servers | --etcd-prefix | --etcd-compaction-interval | --etcd-request-timeout | --max-object-size | --request-timeout | --max-watches-per-user | --embedded-etcd-client-port | --embedded-etcd-peer-port)
          # Free-form values (and ":" splits words in bash): nothing to offer.
          COMPREPLY=()
          return
          ;;
        --log-level)
          COMPREPLY=($(compgen -W "silent error warn info debug trace" -- "$cur"))
          return
          ;;
        --cluster-syncer-mode)
          COMPREPLY=($(compgen -W "push pull none" -- "$cur"))
          return
          ;;
        --authorization-mode)
          COMPREPLY=($(compgen -W "RBAC AlwaysAllow" -- "$cur"))
          return
          ;;
        --cluster-resources | --cluster-heartbeat-timeout | --cluster-syncer-image | --cluster-kcp-url | --cluster-import-interval)
          COMPREPLY=()
          return
          ;;
      esac
      COMPREPLY=($(compgen -W "--root-dir --listen --tls-sans --log-level --etcd-servers --etcd-cafile --etcd-certfile --etcd-keyfile --etcd-prefix --etcd-compaction-interval --etcd-request-timeout --max-object-size --request-timeout --max-watches-per-user --embedded-etcd --embedded-etcd-client-port --embedded-etcd-peer-port --install-workload-crds --auto-publish-apis --authorization-mode --client-certificates --no-client-certificates --token-auth-file --audit-log-path --cluster-controller --no-cluster-controller --cluster-syncer-mode --cluster-resources --cluster-heartbeat-timeout --cluster-syncer-image --cluster-kcp-url --cluster-deny-private --cluster-import-interval --api-negotiation --no-api-negotiation --deployment-splitter --no-deployment-splitter --help" -- "$cur"))
      ;;
    migrate)
      case "$prev" in
        --from | --to)
          COMPREPLY=($(compgen -W "sqlite: etcd:" -- "$cur"))
          compopt -o nospace 2>/dev/null
          return
          ;;
        --etcd-cafile | --etcd-certfile | --etcd-keyfile | --token-auth-file)
          COMPREPLY=($(compgen -f -- "$cur"))
          return
          ;;
        --etcd-prefix)
          COMPREPLY=()
          return
          ;;
      esac
      COMPREPLY=($(compgen -W "--from --to --etcd-cafile --etcd-certfile --etcd-keyfile --etcd-prefix --force --help" -- "$cur"))
      ;;
    sync)
      case "$prev" in
        --from-kubeconfig | --to-kubeconfig)
          COMPREPLY=($(compgen -f -- "$cur"))
          return
          ;;
        --from-context | --to-context | --cluster | --logical-cluster | --heartbeat-interval | --workers)
          COMPREPLY=()
          return
          ;;
        --log-level)
          COMPREPLY=($(compgen -W "silent error warn info debug trace" -- "$cur"))
          return
          ;;
      esac
      COMPREPLY=($(compgen -W "--from-kubeconfig --from-context --to-kubeconfig --to-context --cluster --logical-cluster --heartbeat-interval --workers --log-level --help" -- "$cur"))
      ;;
    split)
      case "$prev" in
        --kubeconfig)
          COMPREPLY=($(compgen -f -- "$cur"))
          return
          ;;
        --context | --workers)
          COMPREPLY=()
          return
          ;;
        --log-level)
          COMPREPLY=($(compgen -W "silent error warn info debug trace" -- "$cur"))
          return
          ;;
      esac
      COMPREPLY=($(compgen -W "--kubeconfig --context --workers --log-level --help" -- "$cur"))
      ;;
    version)
      case "$prev" in
        --output | -o)
          COMPREPLY=($(compgen -W "text json" -- "$cur"))
          return
          ;;
      esac
      COMPREPLY=($(compgen -W "--output -o --help" -- "$cur"))
      ;;
    crds)
      case "$prev" in
        --output | -o)
          COMPREPLY=($(compgen -W "yaml json" -- "$cur"))
          return
          ;;
        crds)
          COMPREPLY=($(compgen -W "print list --help" -- "$cur"))
          return
          ;;
      esac
      # print takes CRD names (deployments.apps, deploy, Pod, ...): only its flags are offered.
      COMPREPLY=($(compgen -W "--output -o --help" -- "$cur"))
      ;;
    pull-crds)
      case "$prev" in
        --kubeconfig)
          COMPREPLY=($(compgen -f -- "$cur"))
          return
          ;;
        --output-dir)
          COMPREPLY=($(compgen -d -- "$cur"))
          return
          ;;
        --output | -o)
          COMPREPLY=($(compgen -W "yaml json" -- "$cur"))
          return
          ;;
        --context)
          COMPREPLY=()
          return
          ;;
      esac
      # The resources (deployments.apps, pods, ...) are the cluster's: only flags are offered.
      COMPREPLY=($(compgen -W "--kubeconfig --context --output -o --output-dir --help" -- "$cur"))
      ;;
    cluster)
      case "$prev" in
        cluster)
          COMPREPLY=($(compgen -W "add register list remove --help" -- "$cur"))
          return
          ;;
        --cluster-kubeconfig | --kubeconfig)
          COMPREPLY=($(compgen -f -- "$cur"))
          return
          ;;
        --mode)
          COMPREPLY=($(compgen -W "push pull none" -- "$cur"))
          return
          ;;
        --cluster-context | --context | --resources | --timeout | --syncer-image | --kcp-url)
          COMPREPLY=()
          return
          ;;
      esac
      COMPREPLY=($(compgen -W "--cluster-kubeconfig --cluster-context --mode --resources --timeout --print-manifests --syncer-image --kcp-url --kubeconfig --context --help" -- "$cur"))
      ;;
    help)
      COMPREPLY=($(compgen -W "start migrate sync split cluster version crds pull-crds help" -- "$cur"))
      ;;
  esac
}

complete -F _kcp kcp
