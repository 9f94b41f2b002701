#!/bin/sh
# The probe reads the kernel with ss and shapes with tc and iptables (iproute2, iptables); the NFQUEUE helper
# needs libnetfilter-queue1. The offline base has them; the official slim image gets them from Debian.
set -e
if command -v ss >/dev/null && command -v tc >/dev/null && command -v iptables >/dev/null \
   && ls /usr/lib/*/libnetfilter_queue.so.1 >/dev/null 2>&1; then exit 0; fi
apt-get update
apt-get install -y --no-install-recommends iproute2 iptables libnetfilter-queue1
rm -rf /var/lib/apt/lists/*
