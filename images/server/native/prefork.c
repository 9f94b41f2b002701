/* A prefork worker process: a blocking accept loop on the listening socket it inherited (fd 3),
 * counting into the counter block its parent shares through a memfd (fd 4).
 * Usage: socklab-prefork WORK_KIND WORK_US PROTOCOL RECV_TIMEOUT_MS */
#define _GNU_SOURCE
#include "socklab.h"
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <signal.h>

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s WORK_KIND WORK_US PROTOCOL RECV_TIMEOUT_MS (fd 3: listener, fd 4: counters)\n", argv[0]);
    return 2;
  }
  prctl(PR_SET_PDEATHSIG, SIGTERM); /* die with the parent, never orphaned */
  sl_name_thread("sl-prefork");
  sl_block *block = mmap(NULL, sizeof(sl_block), PROT_READ | PROT_WRITE, MAP_SHARED, 4, 0);
  if (block == MAP_FAILED) {
    perror("socklab-prefork: mmap counters");
    return 1;
  }
  static sl_server s;
  s.listen_fd = 3;
  s.mode = SL_SEQUENTIAL;
  s.work_kind = atoi(argv[1]);
  s.work_us = atoll(argv[2]);
  s.protocol = atoi(argv[3]);
  s.recv_timeout_ms = atoi(argv[4]);
  s.block = block;
  sl_accept_loop(&s);
  return 0;
}
