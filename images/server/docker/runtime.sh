#!/bin/sh
# The server image carries the probe's observer (OBSERVE=1, for Docker Swarm), which reads the kernel with ss and,
# when the stack's shaping file asks for it, shapes with tc, iptables and the NFQUEUE helper: the probe image's
# tools, installed by the probe's own step.
set -e
sh /app/images/probe/docker/runtime.sh
