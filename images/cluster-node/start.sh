#!/bin/sh
# A node's engine: a stale pid file (the node restarted) would stop it; the API on the socket and on TCP 2375.
rm -f /var/run/docker.pid /run/docker.pid
echo "socklab node $(hostname): starting dockerd"
exec dockerd --host=unix:///var/run/docker.sock --host=tcp://0.0.0.0:2375 --tls=false
