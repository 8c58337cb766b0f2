# fish completion for kcp. Install: copy to ~/.config/fish/completions/kcp.fish

set -l commands start migrate sync version help

complete -c kcp -f
complete -c kcp -n "not __fish_seen_subcommand_from $commands" -a start -d 'Start the API server and write an admin kubeconfig'
complete -c kcp -n "not __fish_seen_subcommand_from $commands" -a migrate -d 'Copy all data between storage backends (SQLite and etcd)'
complete -c kcp -n "not __fish_seen_subcommand_from $commands" -a sync -d 'Sync labelled objects from kcp to a physical cluster, and status back'
complete -c kcp -n "not __fish_seen_subcommand_from $commands" -a version -d 'Print the kcp version and Kubernetes API level'
complete -c kcp -n "not __fish_seen_subcommand_from $commands" -a help -d 'Show help for kcp or one of its commands'
complete -c kcp -n "not __fish_seen_subcommand_from $commands" -s h -l help -d 'Show help'
complete -c kcp -n "not __fish_seen_subcommand_from $commands" -s v -l version -d 'Print the version'

complete -c kcp -n "__fish_seen_subcommand_from start" -l root-dir -x -a "(__fish_complete_directories)" -d 'Directory for state, certificates and the admin kubeconfig'
complete -c kcp -n "__fish_seen_subcommand_from start" -l listen -x -d 'Address of the secure listener (host:port, IPv6 as [::1]:6443)'
complete -c kcp -n "__fish_seen_subcommand_from start" -l log-level -x -a "silent error warn info debug trace" -d 'How much to log'
complete -c kcp -n "__fish_seen_subcommand_from start" -l etcd-servers -x -d 'Store data in these etcd members (comma-separated URLs)'
complete -c kcp -n "__fish_seen_subcommand_from start migrate" -l etcd-cafile -r -F -d 'CA bundle that verifies the etcd members'
complete -c kcp -n "__fish_seen_subcommand_from start migrate" -l etcd-certfile -r -F -d 'Client certificate to present to etcd'
complete -c kcp -n "__fish_seen_subcommand_from start migrate" -l etcd-keyfile -r -F -d 'Key of --etcd-certfile'
complete -c kcp -n "__fish_seen_subcommand_from start migrate" -l etcd-prefix -x -d 'Key prefix of the data in etcd'
complete -c kcp -n "__fish_seen_subcommand_from start" -l etcd-compaction-interval -x -d 'How often to compact etcd history (0 disables)'
complete -c kcp -n "__fish_seen_subcommand_from start" -l etcd-request-timeout -x -d 'Deadline of each etcd call'
complete -c kcp -n "__fish_seen_subcommand_from start" -l embedded-etcd -d 'Run an etcd member from the etcd binary on PATH'
complete -c kcp -n "__fish_seen_subcommand_from start" -l embedded-etcd-client-port -x -d 'Client port of the embedded etcd'
complete -c kcp -n "__fish_seen_subcommand_from start" -l embedded-etcd-peer-port -x -d 'Peer port of the embedded etcd'
complete -c kcp -n "__fish_seen_subcommand_from start" -s h -l help -d 'Show help'

complete -c kcp -n "__fish_seen_subcommand_from migrate" -l from -x -a "sqlite: etcd:" -d 'Where the data is (sqlite:<path> or etcd:<urls>)'
complete -c kcp -n "__fish_seen_subcommand_from migrate" -l to -x -a "sqlite: etcd:" -d 'Where to copy it (sqlite:<path> or etcd:<urls>)'
complete -c kcp -n "__fish_seen_subcommand_from migrate" -l force -d 'Delete what the destination holds instead of refusing'
complete -c kcp -n "__fish_seen_subcommand_from migrate" -s h -l help -d 'Show help'

complete -c kcp -n "__fish_seen_subcommand_from sync" -l from-kubeconfig -r -F -d 'kubeconfig of kcp'
complete -c kcp -n "__fish_seen_subcommand_from sync" -l from-context -x -d 'Context of --from-kubeconfig'
complete -c kcp -n "__fish_seen_subcommand_from sync" -l to-kubeconfig -r -F -d 'kubeconfig of the physical cluster'
complete -c kcp -n "__fish_seen_subcommand_from sync" -l to-context -x -d 'Context of --to-kubeconfig'
complete -c kcp -n "__fish_seen_subcommand_from sync" -l cluster -x -d 'Objects labelled kcp.dev/cluster=<name> are synced'
complete -c kcp -n "__fish_seen_subcommand_from sync" -l logical-cluster -x -d 'kcp logical cluster to sync from'
complete -c kcp -n "__fish_seen_subcommand_from sync" -l heartbeat-interval -x -d 'How often the heartbeat Lease is renewed'
complete -c kcp -n "__fish_seen_subcommand_from sync" -l workers -x -d 'Objects worked on at once in each direction'
complete -c kcp -n "__fish_seen_subcommand_from sync" -l log-level -x -a "silent error warn info debug trace" -d 'How much to log'
complete -c kcp -n "__fish_seen_subcommand_from sync" -s h -l help -d 'Show help'

complete -c kcp -n "__fish_seen_subcommand_from version" -s o -l output -x -a "text json" -d 'Output format'
complete -c kcp -n "__fish_seen_subcommand_from version" -s h -l help -d 'Show help'

complete -c kcp -n "__fish_seen_subcommand_from help" -x -a "start migrate sync version help"
