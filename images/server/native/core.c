#define _GNU_SOURCE
#include "socklab.h"
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#define LINE_MAX_BYTES 4096
static const char GREETING[] = "HELLO socklab\n";

int64_t sl_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_us(int64_t us) {
  struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
  }
}

/* CPU time this thread has had (not wall-clock time: a thread that waits for a core does not count). */
static int64_t thread_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Compute until this thread has had `us` of CPU: real work that shares the cores like any other, so ten threads
 * each doing 200 ms on one core take about two seconds, and an event loop doing it serves no one meanwhile. */
void sl_spin_cpu_us(int64_t us) {
  int64_t end = thread_cpu_ns() + us * 1000;
  volatile uint64_t x = 0;
  while (thread_cpu_ns() < end) {
    for (int i = 0; i < 2000; i++) x += (uint64_t)i * 2654435761u;
  }
}

/* Name the calling thread (15 characters at most): the probe and the server tell the model's own threads,
 * named "sl-...", from the runtime's by it (/proc/<pid>/task/<tid>/comm). */
void sl_name_thread(const char *name) { pthread_setname_np(pthread_self(), name); }

static void do_work(const sl_server *s) {
  if (s->work_kind == SL_WORK_IO) sleep_us(s->work_us);
  else if (s->work_kind == SL_WORK_CPU) sl_spin_cpu_us(s->work_us);
}

void sl_block_init(sl_block *b, const double *bounds, int nbounds) {
  memset(b, 0, sizeof *b);
  if (nbounds > SL_MAX_BOUNDS) nbounds = SL_MAX_BOUNDS;
  for (int i = 0; i < nbounds; i++) b->bounds[i] = bounds[i];
  b->nbounds = nbounds;
}

void sl_record_accept(sl_block *b) {
  atomic_fetch_add(&b->v[SL_ACCEPTED], 1);
  atomic_fetch_add(&b->v[SL_ACTIVE], 1);
}

static void begin_service(sl_block *b) {
  int64_t now = atomic_fetch_add(&b->v[SL_IN_SERVICE], 1) + 1;
  int64_t peak = atomic_load(&b->v[SL_PEAK]);
  while (now > peak && !atomic_compare_exchange_weak(&b->v[SL_PEAK], &peak, now)) {
  }
}

static void end_service(sl_block *b) { atomic_fetch_sub(&b->v[SL_IN_SERVICE], 1); }

static void record_duration(sl_block *b, int64_t ns) {
  double sec = (double)ns / 1e9;
  int i = 0;
  while (i < b->nbounds && sec > b->bounds[i]) i++;
  atomic_fetch_add(&b->v[SL_BUCKETS + i], 1);
  atomic_fetch_add(&b->v[SL_DURATION_COUNT], 1);
  atomic_fetch_add(&b->v[SL_DURATION_SUM_US], ns / 1000);
}

static void record_close(sl_block *b, int outcome) {
  atomic_fetch_sub(&b->v[SL_ACTIVE], 1);
  atomic_fetch_add(&b->v[SL_HANDLED + outcome], 1);
}

static int outcome_of_errno(int e) {
  if (e == EAGAIN || e == EWOULDBLOCK) return SL_READ_TIMEOUT; /* SO_RCVTIMEO expired */
  if (e == ECONNRESET || e == EPIPE) return SL_RESET;
  return SL_ERROR;
}

static int send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int sl_listen(int port, int backlog) {
  int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int one = 1, zero = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_any;
  a.sin6_port = htons((uint16_t)port);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, backlog) < 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

/* Read one line (without its newline) with blocking recv; keeps bytes past the newline in buf.
 * Returns the line length, 0 when the peer closed first, -errno on error or timeout. */
static int read_line(int fd, char *buf, size_t *have, char **line_end) {
  for (;;) {
    char *nl = memchr(buf, '\n', *have);
    if (nl) {
      *line_end = nl;
      return (int)(nl - buf) + 1;
    }
    if (*have >= LINE_MAX_BYTES) return -EMSGSIZE;
    ssize_t r = recv(fd, buf + *have, LINE_MAX_BYTES - *have, 0);
    if (r == 0) return 0;
    if (r < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    *have += (size_t)r;
  }
}

void sl_serve(sl_server *s, int fd, int64_t accepted_ns) {
  sl_block *b = s->block;
  int outcome = SL_OK;
  int served = 0;
  if (s->recv_timeout_ms > 0) {
    struct timeval tv = {.tv_sec = s->recv_timeout_ms / 1000, .tv_usec = (s->recv_timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  char buf[LINE_MAX_BYTES];
  size_t have = 0;
  if (s->protocol == SL_PROTO_GREET) {
    int e = send_all(fd, GREETING, sizeof GREETING - 1);
    if (e < 0) outcome = outcome_of_errno(-e);
  }
  while (outcome == SL_OK) {
    char *end = NULL;
    int n = read_line(fd, buf, &have, &end);
    if (n == 0) {
      /* The client closed: fine after a served keep-alive exchange, an error before any request. */
      if (!served) outcome = SL_ERROR;
      break;
    }
    if (n < 0) {
      outcome = n == -EMSGSIZE ? SL_ERROR : outcome_of_errno(-n);
      break;
    }
    begin_service(b);
    do_work(s);
    end_service(b);
    int e = send_all(fd, buf, (size_t)n); /* echo the line, newline included */
    if (e < 0) {
      outcome = outcome_of_errno(-e);
      break;
    }
    record_duration(b, sl_now_ns() - accepted_ns);
    served = 1;
    have -= (size_t)n;
    memmove(buf, buf + n, have);
    if (s->protocol != SL_PROTO_KEEPALIVE) break;
  }
  close(fd);
  record_close(b, outcome);
}

typedef struct {
  sl_server *s;
  int fd;
  int64_t t;
} conn_arg;

static void *conn_thread(void *p) {
  conn_arg a = *(conn_arg *)p;
  free(p);
  sl_name_thread("sl-conn");
  sl_serve(a.s, a.fd, a.t);
  return NULL;
}

void sl_accept_loop(sl_server *s) {
  while (!atomic_load(&s->stopping)) {
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        sleep_us(10000);
        continue;
      }
      break; /* EINVAL after shutdown(): we are stopping */
    }
    int64_t t = sl_now_ns();
    sl_record_accept(s->block);
    if (s->mode != SL_THREADED) {
      sl_serve(s, fd, t);
      continue;
    }
    conn_arg *a = malloc(sizeof *a);
    pthread_t tid;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (!a) {
      close(fd);
      record_close(s->block, SL_ERROR);
    } else {
      *a = (conn_arg){s, fd, t};
      if (pthread_create(&tid, &attr, conn_thread, a) != 0) {
        free(a);
        close(fd);
        record_close(s->block, SL_ERROR);
      }
    }
    pthread_attr_destroy(&attr);
  }
}

/* ---- polling: one thread, non-blocking accept and recv in a loop ---- */
typedef struct {
  int fd;
  int working;
  int served;
  int64_t accepted_ns, last_ns, done_ns;
  size_t have;
  char buf[LINE_MAX_BYTES];
} poll_conn;

static void poll_close(sl_server *s, poll_conn *c, int outcome) {
  close(c->fd);
  record_close(s->block, outcome);
  c->fd = -1;
}

void sl_poll_loop(sl_server *s) {
  int fl = fcntl(s->listen_fd, F_GETFL);
  fcntl(s->listen_fd, F_SETFL, fl | O_NONBLOCK);
  size_t cap = 64, n = 0;
  poll_conn **conns = calloc(cap, sizeof *conns);
  while (!atomic_load(&s->stopping)) {
    for (;;) {
      int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) break;
      sl_record_accept(s->block);
      poll_conn *c = calloc(1, sizeof *c);
      if (!c) {
        close(fd);
        record_close(s->block, SL_ERROR);
        continue;
      }
      c->fd = fd;
      c->accepted_ns = c->last_ns = sl_now_ns();
      if (s->protocol == SL_PROTO_GREET && send(fd, GREETING, sizeof GREETING - 1, MSG_NOSIGNAL) < 0) {
        poll_close(s, c, outcome_of_errno(errno));
        free(c);
        continue;
      }
      if (n == cap) {
        cap *= 2;
        conns = realloc(conns, cap * sizeof *conns);
      }
      conns[n++] = c;
    }
    int64_t now = sl_now_ns();
    for (size_t i = 0; i < n; i++) {
      poll_conn *c = conns[i];
      if (c->working) {
        if (now < c->done_ns) continue;
        end_service(s->block);
        c->working = 0;
        char *nl = memchr(c->buf, '\n', c->have);
        size_t len = (size_t)(nl - c->buf) + 1;
        if (send(c->fd, c->buf, len, MSG_NOSIGNAL) < 0) {
          poll_close(s, c, outcome_of_errno(errno));
          continue;
        }
        record_duration(s->block, sl_now_ns() - c->accepted_ns);
        c->served = 1;
        c->have -= len;
        memmove(c->buf, c->buf + len, c->have);
        c->last_ns = now;
        if (s->protocol != SL_PROTO_KEEPALIVE) poll_close(s, c, SL_OK);
        continue;
      }
      ssize_t r = recv(c->fd, c->buf + c->have, LINE_MAX_BYTES - c->have, 0);
      if (r == 0) {
        poll_close(s, c, c->served ? SL_OK : SL_ERROR);
        continue;
      }
      if (r < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) poll_close(s, c, outcome_of_errno(errno));
        else if (s->recv_timeout_ms > 0 && now - c->last_ns > (int64_t)s->recv_timeout_ms * 1000000)
          poll_close(s, c, SL_READ_TIMEOUT);
        continue;
      }
      c->have += (size_t)r;
      c->last_ns = now;
      if (memchr(c->buf, '\n', c->have)) {
        begin_service(s->block);
        c->working = 1;
        if (s->work_kind == SL_WORK_CPU) sl_spin_cpu_us(s->work_us); /* CPU work blocks the only thread */
        c->done_ns = sl_now_ns() + (s->work_kind == SL_WORK_IO ? s->work_us * 1000 : 0);
      } else if (c->have >= LINE_MAX_BYTES) {
        poll_close(s, c, SL_ERROR);
      }
    }
    /* Drop closed connections. */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
      if (conns[i]->fd >= 0) conns[k++] = conns[i];
      else free(conns[i]);
    }
    n = k;
    if (s->poll_interval_us > 0) sleep_us(s->poll_interval_us);
  }
  for (size_t i = 0; i < n; i++) {
    if (conns[i]->working) end_service(s->block);
    poll_close(s, conns[i], SL_ERROR);
    free(conns[i]);
  }
  free(conns);
}

static void *loop_thread(void *p) {
  sl_server *s = p;
  static const char *names[] = {[SL_SEQUENTIAL] = "sl-sequential", [SL_THREADED] = "sl-acceptor", [SL_POOL] = "sl-pool", [SL_POLLING] = "sl-polling"};
  sl_name_thread(names[s->mode]);
  if (s->mode == SL_POLLING) sl_poll_loop(s);
  else sl_accept_loop(s);
  return NULL;
}

int sl_start(sl_server *s) {
  int n = s->mode == SL_POOL ? s->threads : 1;
  if (n < 1 || n > (int)(sizeof s->tids / sizeof s->tids[0])) return -EINVAL;
  for (int i = 0; i < n; i++) {
    int e = pthread_create(&s->tids[i], NULL, loop_thread, s);
    if (e != 0) {
      sl_stop(s);
      return -e;
    }
    s->ntids = i + 1;
  }
  return 0;
}

void sl_stop(sl_server *s) {
  atomic_store(&s->stopping, 1);
  shutdown(s->listen_fd, SHUT_RDWR);
  for (int i = 0; i < s->ntids; i++) pthread_join(s->tids[i], NULL);
  s->ntids = 0;
}
