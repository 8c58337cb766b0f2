# fish completion for kcp. Install: copy to ~/.config/fish/completions/kcp.fish

set -l commands start version help

complete -c kcp -f
complete -c kcp -n "not __fish_seen_subcommand_from $commands" -a start -d 'Start the API server and write an admin kubeconfig'
complete -c kcp -n "not __fish_seen_subcommand_from $commands" -a version -d 'Print the kcp version and Kubernetes API level'
complete -c kcp -n "not __fish_seen_subcommand_from $commands" -a help -d 'Show help for kcp or one of its commands'
complete -c kcp -n "not __fish_seen_subcommand_from $commands" -s h -l help -d 'Show help'
complete -c kcp -n "not __fish_seen_subcommand_from $commands" -s v -l version -d 'Print the version'

complete -c kcp -n "__fish_seen_subcommand_from start" -l root-dir -x -a "(__fish_complete_directories)" -d 'Directory for state, certificates and the admin kubeconfig'
complete -c kcp -n "__fish_seen_subcommand_from start" -l listen -x -d 'Address of the secure listener (host:port, IPv6 as [::1]:6443)'
complete -c kcp -n "__fish_seen_subcommand_from start" -l log-level -x -a "silent error warn info debug trace" -d 'How much to log'
complete -c kcp -n "__fish_seen_subcommand_from start" -s h -l help -d 'Show help'

complete -c kcp -n "__fish_seen_subcommand_from version" -s o -l output -x -a "text json" -d 'Output format'
complete -c kcp -n "__fish_seen_subcommand_from version" -s h -l help -d 'Show help'

complete -c kcp -n "__fish_seen_subcommand_from help" -x -a "start version help"
