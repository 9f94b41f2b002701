#!/bin/sh
# A node's engine: a stale pid file (the node restarted) would stop it; the API on the socket and on TCP 2375.
rm -f /var/run/docker.pid /run/docker.pid
echo "socklab node $(hostname): starting dockerd"
# cgroup v1 (the host's tree is mounted here): the engine makes its containers' cgroups inside the node's own,
# so removing the node removes them too, even when the node was stopped with containers in it. Elsewhere in the
# tree, nothing would ever remove them: they stay behind on the host, empty.
parent=$(sed -n 's/^[0-9]*:memory:\(.*\)$/\1/p' /proc/self/cgroup)
if [ -n "$parent" ] && [ "$parent" != "/" ] && [ -d "/sys/fs/cgroup/memory$parent" ]; then
  set -- --cgroup-parent "$parent/engine"
  echo "socklab node $(hostname): containers' cgroups under $parent/engine"
fi
exec dockerd --host=unix:///var/run/docker.sock --host=tcp://0.0.0.0:2375 --tls=false "$@"
