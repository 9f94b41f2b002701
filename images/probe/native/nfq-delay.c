/* socklab-nfq-delay: link shaping where the kernel has no netem.
 * Holds each packet's NFQUEUE verdict for delay +/- jitter (uniform) on a timer queue (a min-heap: every packet
 * waits concurrently, none sleeps alone), keeps order within a flow, and drops with the loss probability.
 *
 * Usage: socklab-nfq-delay QUEUE_NUM DELAY_US JITTER_US LOSS_PPM
 * stdin:  "set DELAY_US JITTER_US LOSS_PPM\n" changes the parameters while running.
 * stdout: "ready\n" once bound, then every second:
 *         "stats received=N accepted=N dropped=N pending=N\n" (cumulative counts). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  uint64_t release_ns;
  uint32_t id;
} held;

static held *heap;
static size_t heap_len, heap_cap;
static int64_t delay_us, jitter_us;
static uint32_t loss_ppm;
static uint64_t n_received, n_accepted, n_dropped;
static struct nfq_q_handle *qh;
static volatile sig_atomic_t stop;

#define FLOWS 65536
static uint64_t flow_last[FLOWS]; /* last release time per flow bucket: order is kept within a flow */

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: fast, good enough for loss and jitter draws */
static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rng(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 2685821657736338717ULL;
}

static void heap_push(held h) {
  if (heap_len == heap_cap) {
    heap_cap = heap_cap ? heap_cap * 2 : 4096;
    heap = realloc(heap, heap_cap * sizeof *heap);
    if (!heap) {
      perror("socklab-nfq-delay: realloc");
      exit(1);
    }
  }
  size_t i = heap_len++;
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (heap[p].release_ns <= h.release_ns) break;
    heap[i] = heap[p];
    i = p;
  }
  heap[i] = h;
}

static held heap_pop(void) {
  held top = heap[0], last = heap[--heap_len];
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    uint64_t mv = last.release_ns;
    if (l < heap_len && heap[l].release_ns < mv) m = l, mv = heap[l].release_ns;
    if (r < heap_len && heap[r].release_ns < mv) m = r;
    if (m == i) break;
    heap[i] = heap[m];
    i = m;
  }
  if (heap_len > 0) heap[i] = last;
  return top;
}

/* A flow bucket from the IP addresses and TCP/UDP ports, direction-independent enough for ordering. */
static uint32_t flow_of(const unsigned char *p, int len) {
  uint64_t h = 1469598103934665603ULL;
  int ihl = 0, proto = 0;
  if (len >= 20 && (p[0] >> 4) == 4) {
    ihl = (p[0] & 15) * 4;
    proto = p[9];
    for (int i = 12; i < 20; i++) h = (h ^ p[i]) * 1099511628211ULL;
  } else if (len >= 40 && (p[0] >> 4) == 6) {
    ihl = 40;
    proto = p[6];
    for (int i = 8; i < 40; i++) h = (h ^ p[i]) * 1099511628211ULL;
  }
  if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) && len >= ihl + 4)
    for (int i = ihl; i < ihl + 4; i++) h = (h ^ p[i]) * 1099511628211ULL;
  return (uint32_t)(h ^ (h >> 32)) % FLOWS;
}

static int on_packet(struct nfq_q_handle *q, struct nfgenmsg *msg, struct nfq_data *nfa, void *data) {
  (void)msg;
  (void)data;
  struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
  if (!ph) return 0;
  uint32_t id = ntohl(ph->packet_id);
  n_received++;
  if (loss_ppm > 0 && rng() % 1000000 < loss_ppm) {
    n_dropped++;
    return nfq_set_verdict(q, id, NF_DROP, 0, NULL);
  }
  int64_t d = delay_us;
  if (jitter_us > 0) d += (int64_t)(rng() % (uint64_t)(2 * jitter_us + 1)) - jitter_us;
  if (d <= 0 && heap_len == 0) {
    n_accepted++;
    return nfq_set_verdict(q, id, NF_ACCEPT, 0, NULL);
  }
  unsigned char *payload = NULL;
  int len = nfq_get_payload(nfa, &payload);
  uint32_t f = len > 0 ? flow_of(payload, len) : 0;
  uint64_t release = now_ns() + (uint64_t)(d > 0 ? d : 0) * 1000ULL;
  if (release < flow_last[f]) release = flow_last[f]; /* never overtake an earlier packet of the flow */
  flow_last[f] = release;
  heap_push((held){release, id});
  return 0;
}

static void release_due(void) {
  uint64_t now = now_ns();
  while (heap_len > 0 && heap[0].release_ns <= now) {
    held h = heap_pop();
    nfq_set_verdict(qh, h.id, NF_ACCEPT, 0, NULL);
    n_accepted++;
  }
}

static void read_command(char *line) {
  long long dl, jt;
  unsigned long lp;
  if (sscanf(line, "set %lld %lld %lu", &dl, &jt, &lp) == 3 && dl >= 0 && jt >= 0 && lp <= 1000000) {
    delay_us = dl;
    jitter_us = jt;
    loss_ppm = (uint32_t)lp;
    printf("set delay_us=%lld jitter_us=%lld loss_ppm=%lu\n", dl, jt, lp);
  } else {
    printf("error bad command: %s\n", line);
  }
  fflush(stdout);
}

static void on_signal(int s) {
  (void)s;
  stop = 1;
}

int main(int argc, char **argv) {
  if (argc != 5 && argc != 6) {
    fprintf(stderr, "usage: %s QUEUE_NUM DELAY_US JITTER_US LOSS_PPM [SEED]\n", argv[0]);
    return 2;
  }
  int queue = atoi(argv[1]);
  delay_us = atoll(argv[2]);
  jitter_us = atoll(argv[3]);
  loss_ppm = (uint32_t)strtoul(argv[4], NULL, 10);
  /* A seed makes the loss and jitter draws repeatable (a run's manifest records it); without one, vary them. */
  if (argc == 6) rng_state ^= strtoull(argv[5], NULL, 10) * 0x9E3779B97F4A7C15ULL;
  else rng_state ^= now_ns() ^ (uint64_t)getpid() << 32;
  if (rng_state == 0) rng_state = 88172645463325252ULL;
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);

  struct nfq_handle *h = nfq_open();
  if (!h) {
    perror("socklab-nfq-delay: nfq_open (needs NET_ADMIN)");
    return 1;
  }
  qh = nfq_create_queue(h, (uint16_t)queue, on_packet, NULL);
  if (!qh) {
    fprintf(stderr, "socklab-nfq-delay: cannot bind queue %d (another program holds it?)\n", queue);
    return 1;
  }
  nfq_set_mode(qh, NFQNL_COPY_PACKET, 128); /* headers are enough to tell flows apart */
  nfq_set_queue_maxlen(qh, 1 << 16);
  nfnl_rcvbufsiz(nfq_nfnlh(h), 16 * 1024 * 1024);
  int fd = nfq_fd(h);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  printf("ready queue=%d delay_us=%lld jitter_us=%lld loss_ppm=%u\n", queue, (long long)delay_us, (long long)jitter_us, loss_ppm);
  fflush(stdout);

  char buf[65536] __attribute__((aligned));
  char cmd[256];
  size_t cmd_len = 0;
  uint64_t next_stats = now_ns() + 1000000000ULL;
  int stdin_open = 1;
  while (!stop) {
    /* Sleep until the next release exactly (ppoll takes nanoseconds; poll's milliseconds would add jitter). */
    uint64_t wait_ns = 1000000000ULL;
    if (heap_len > 0) {
      uint64_t now = now_ns();
      wait_ns = heap[0].release_ns <= now ? 0 : heap[0].release_ns - now;
      if (wait_ns > 1000000000ULL) wait_ns = 1000000000ULL;
    }
    struct timespec timeout = {.tv_sec = (time_t)(wait_ns / 1000000000ULL), .tv_nsec = (long)(wait_ns % 1000000000ULL)};
    struct pollfd pfd[2] = {{fd, POLLIN, 0}, {0, POLLIN, 0}};
    int n = ppoll(pfd, stdin_open ? 2 : 1, &timeout, NULL);
    if (n < 0 && errno != EINTR) break;
    if (n > 0 && (pfd[0].revents & POLLIN)) {
      for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r < 0) {
          if (errno == ENOBUFS) continue; /* the kernel dropped messages: keep going */
          break;
        }
        nfq_handle_packet(h, buf, (int)r);
      }
    }
    if (stdin_open && n > 0 && (pfd[1].revents & (POLLIN | POLLHUP))) {
      ssize_t r = read(0, cmd + cmd_len, sizeof cmd - 1 - cmd_len);
      if (r == 0) stdin_open = 0; /* the probe went away: keep shaping with the last parameters until killed */
      if (r > 0) {
        cmd_len += (size_t)r;
        cmd[cmd_len] = 0;
        char *nl;
        while ((nl = strchr(cmd, '\n'))) {
          *nl = 0;
          read_command(cmd);
          memmove(cmd, nl + 1, cmd_len - (size_t)(nl + 1 - cmd) + 1);
          cmd_len -= (size_t)(nl + 1 - cmd);
        }
        if (cmd_len >= sizeof cmd - 1) cmd_len = 0;
      }
    }
    release_due();
    uint64_t now = now_ns();
    if (now >= next_stats) {
      printf("stats received=%llu accepted=%llu dropped=%llu pending=%zu\n", (unsigned long long)n_received,
             (unsigned long long)n_accepted, (unsigned long long)n_dropped, heap_len);
      fflush(stdout);
      next_stats = now + 1000000000ULL;
    }
  }
  /* Let every held packet go before leaving, so no connection is left waiting on a dead queue. */
  while (heap_len > 0) {
    held hp = heap_pop();
    nfq_set_verdict(qh, hp.id, NF_ACCEPT, 0, NULL);
  }
  nfq_destroy_queue(qh);
  nfq_close(h);
  return 0;
}
