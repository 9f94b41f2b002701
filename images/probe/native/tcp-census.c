/* socklab-tcp-census: counts one port's TCP sockets by state through netlink sock_diag (what ss uses),
 * with the port filtered in the kernel: far cheaper than having the kernel format /proc/net/tcp6 as text
 * for every socket of the host at C10K.
 * Usage: socklab-tcp-census PORT; each line read on stdin asks for one census, answered on stdout:
 * "census listening=L queue=Q max=M syn_recv=N established=N unaccepted=N close_wait=N time_wait=N unread=B
 *  unread_sockets=N cpu_us=T"
 * (unaccepted: ESTABLISHED with inode 0, completed by the kernel but not yet accepted by the process; unread: the
 * bytes that arrived on accepted ESTABLISHED sockets and the process has not read, over unread_sockets; cpu_us: the
 * CPU time this helper has used so far, the kernel's walk of its socket tables included, so the probe can keep
 * its readings within a budget).
 * Each census is one walk of the kernel's TCP tables: the request of the older TCPDIAG_GETSOCK form asks for both
 * address families at once, where SOCK_DIAG_BY_FAMILY walks every socket of the host once per family (at 100,000
 * connections a walk costs tens of ms). Where that form is refused, one request per family. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { ST_ESTABLISHED = 1, ST_SYN_RECV = 3, ST_TIME_WAIT = 6, ST_CLOSE_WAIT = 8, ST_LISTEN = 10, ST_NEW_SYN_RECV = 12 };

typedef struct {
  long listening, queue, max, syn_recv, established, unaccepted, close_wait, time_wait, unread, unread_sockets;
} census;

/* The port filter: "sport >= port && sport <= port". Each condition is an op followed by an op carrying the port in
 * `no`; "yes" moves on, "no" jumps past the end. */
typedef struct inet_diag_bc_op port_filter[4];

static void filter_port(port_filter ops, unsigned port) {
  ops[0] = (struct inet_diag_bc_op){INET_DIAG_BC_S_GE, 8, 16 + 4};
  ops[1] = (struct inet_diag_bc_op){0, 0, (unsigned short)port};
  ops[2] = (struct inet_diag_bc_op){INET_DIAG_BC_S_LE, 8, 8 + 4};
  ops[3] = (struct inet_diag_bc_op){0, 0, (unsigned short)port};
}

static const unsigned STATES = (1u << ST_ESTABLISHED) | (1u << ST_SYN_RECV) | (1u << ST_TIME_WAIT) |
                               (1u << ST_CLOSE_WAIT) | (1u << ST_LISTEN) | (1u << ST_NEW_SYN_RECV);

/* Sends a dump request: its header (`type`), then its request (laid out by the caller), then the port filter. */
static int send_dump(int fd, struct nlmsghdr *nlh, size_t len, unsigned short type, struct rtattr *rta, port_filter ops, unsigned port) {
  nlh->nlmsg_len = (unsigned)len;
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  rta->rta_type = INET_DIAG_REQ_BYTECODE;
  rta->rta_len = RTA_LENGTH(sizeof(port_filter));
  filter_port(ops, port);
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  return sendto(fd, nlh, len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0 ? -errno : 0;
}

/* Both families in one walk: the kernel answers this older request form with AF_UNSPEC. */
static int ask_both(int fd, unsigned port) {
  struct {
    struct nlmsghdr nlh;
    struct inet_diag_req req;
    struct rtattr rta;
    port_filter ops;
  } msg;
  memset(&msg, 0, sizeof msg);
  msg.req.idiag_family = AF_INET;
  msg.req.idiag_states = STATES;
  return send_dump(fd, &msg.nlh, sizeof msg, TCPDIAG_GETSOCK, &msg.rta, msg.ops, port);
}

/* One family per walk. */
static int ask_family(int fd, int family, unsigned port) {
  struct {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 req;
    struct rtattr rta;
    port_filter ops;
  } msg;
  memset(&msg, 0, sizeof msg);
  msg.req.sdiag_family = (unsigned char)family;
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = STATES;
  return send_dump(fd, &msg.nlh, sizeof msg, SOCK_DIAG_BY_FAMILY, &msg.rta, msg.ops, port);
}

/* Reads one dump's answer into the counts: 0 when done, -errno on failure. */
static int count(int fd, census *c) {
  static char buf[1 << 16] __attribute__((aligned(NLMSG_ALIGNTO)));
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE) return 0;
      if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = NLMSG_DATA(h);
        return e->error;
      }
      struct inet_diag_msg *d = NLMSG_DATA(h);
      switch (d->idiag_state) {
        case ST_LISTEN:
          c->listening += 1;
          c->queue += d->idiag_rqueue; /* accept queue now */
          c->max += d->idiag_wqueue;   /* its limit (the backlog) */
          break;
        case ST_ESTABLISHED:
          if (d->idiag_inode == 0) c->unaccepted += 1;
          else {
            c->established += 1;
            c->unread += d->idiag_rqueue; /* arrived, not yet read by the process */
            if (d->idiag_rqueue > 0) c->unread_sockets += 1;
          }
          break;
        case ST_SYN_RECV:
        case ST_NEW_SYN_RECV:
          c->syn_recv += 1;
          break;
        case ST_CLOSE_WAIT:
          c->close_wait += 1;
          break;
        case ST_TIME_WAIT:
          c->time_wait += 1;
          break;
      }
    }
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s PORT\n", argv[0]);
    return 2;
  }
  unsigned port = (unsigned)atoi(argv[1]);
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) {
    perror("socklab-tcp-census: netlink");
    return 1;
  }
  char line[64];
  int both = getenv("SOCKLAB_CENSUS_PER_FAMILY") == NULL;
  while (fgets(line, sizeof line, stdin)) {
    census c = {0};
    int err = both ? ask_both(fd, port) : -EINVAL;
    if (err == 0) err = count(fd, &c);
    if (err < 0 && both) {
      both = 0; /* refused here: one request per family from now on */
      memset(&c, 0, sizeof c);
    }
    if (!both) {
      int e4 = ask_family(fd, AF_INET, port);
      if (e4 == 0) e4 = count(fd, &c);
      int e6 = ask_family(fd, AF_INET6, port);
      if (e6 == 0) e6 = count(fd, &c);
      err = e4 < 0 && e6 < 0 ? e4 : 0;
    }
    struct timespec cpu;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
    long long cpu_us = (long long)cpu.tv_sec * 1000000 + cpu.tv_nsec / 1000;
    if (err < 0) printf("error %s\n", strerror(-err));
    else
      printf("census listening=%ld queue=%ld max=%ld syn_recv=%ld established=%ld unaccepted=%ld close_wait=%ld time_wait=%ld unread=%ld unread_sockets=%ld cpu_us=%lld\n",
             c.listening, c.queue, c.max, c.syn_recv, c.established, c.unaccepted, c.close_wait, c.time_wait, c.unread, c.unread_sockets, cpu_us);
    fflush(stdout);
  }
  return 0;
}
