#compdef kcp
# zsh completion for kcp. Install: copy to a directory on $fpath as _kcp, then run compinit.

_kcp() {
  local curcontext="$curcontext" state line
  local -a commands
  commands=(
    'start:Start the API server (listens on 127.0.0.1:6443) and write an admin kubeconfig'
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
            '(- *)'{-h,--help}'[Show help]'
          ;;
        version)
          _arguments \
            '(-o --output)'{-o,--output}'[Output format]:format:(text json)' \
            '(- *)'{-h,--help}'[Show help]'
          ;;
        help)
          _arguments '1:command:(start version help)'
          ;;
      esac
      ;;
  esac
}

_kcp "$@"
