#!/bin/sh
# Compile the NFQUEUE delay helper (native/nfq-delay.c). The offline build base has libnetfilter-queue-dev;
# the official Node image gets it from Debian.
set -e
cd "$(dirname "$0")/.."
if [ ! -f /usr/include/libnetfilter_queue/libnetfilter_queue.h ]; then
  apt-get update && apt-get install -y --no-install-recommends libnetfilter-queue-dev && rm -rf /var/lib/apt/lists/*
fi
mkdir -p build
gcc -O2 -Wall -Wextra -o build/socklab-nfq-delay native/nfq-delay.c -lnetfilter_queue -lnfnetlink
gcc -O2 -Wall -Wextra -o build/socklab-tcp-census native/tcp-census.c
