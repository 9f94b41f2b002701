/* socklab's blocking server core: real accept/recv/send/close on OS threads.
 * Shared by the N-API addon (socklab_native.node) and the prefork worker executable. */
#ifndef SOCKLAB_H
#define SOCKLAB_H
#include <stdatomic.h>
#include <stdint.h>
#include <pthread.h>

/* Counter block slots. The TypeScript side (src/native.ts) mirrors this layout. */
enum {
  SL_ACCEPTED = 0,
  SL_ACTIVE = 1,
  SL_IN_SERVICE = 2,
  SL_PEAK = 3,
  SL_HANDLED = 4, /* 6 slots, in the order of OUTCOMES: ok refused reset connect_timeout read_timeout error */
  SL_DURATION_COUNT = 10,
  SL_DURATION_SUM_US = 11,
  SL_BUCKETS = 12, /* SL_MAX_BOUNDS + 1 slots: one per bound, then +Inf */
  SL_MAX_BOUNDS = 32,
  SL_SLOTS = 64
};
enum { SL_OK = 0, SL_REFUSED = 1, SL_RESET = 2, SL_CONNECT_TIMEOUT = 3, SL_READ_TIMEOUT = 4, SL_ERROR = 5 };

/* Lives in plain memory, or in a memfd mapping shared with prefork children. */
typedef struct {
  _Atomic int64_t v[SL_SLOTS];
  double bounds[SL_MAX_BOUNDS]; /* seconds, ascending */
  int32_t nbounds;
} sl_block;

enum { SL_SEQUENTIAL = 0, SL_THREADED = 1, SL_POOL = 2, SL_POLLING = 3 };
enum { SL_WORK_NONE = 0, SL_WORK_IO = 1, SL_WORK_CPU = 2 };
enum { SL_PROTO_ECHO = 0, SL_PROTO_GREET = 1, SL_PROTO_KEEPALIVE = 2 };

typedef struct {
  int listen_fd;
  int mode;
  int threads; /* pool size */
  int work_kind;
  int64_t work_us;
  int protocol;
  int recv_timeout_ms;
  int64_t poll_interval_us;
  sl_block *block;
  _Atomic int stopping;
  pthread_t tids[4096];
  int ntids;
} sl_server;

int64_t sl_now_ns(void);
/* Compute until the calling thread has had `us` of CPU time (CLOCK_THREAD_CPUTIME_ID). */
void sl_spin_cpu_us(int64_t us);
/* Name the calling thread: the model's own threads are "sl-...", the rest are the runtime's. */
void sl_name_thread(const char *name);
/* A dual-stack TCP listener on [::]:port with the given backlog; -errno on failure. */
int sl_listen(int port, int backlog);
/* Serve one accepted connection to the end, in the calling thread, with blocking calls. */
void sl_serve(sl_server *s, int fd, int64_t accepted_ns);
/* Blocking accept loop: sequential and pool serve inline, threaded starts a pthread per connection. */
void sl_accept_loop(sl_server *s);
/* One thread, non-blocking accept and recv in a loop. */
void sl_poll_loop(sl_server *s);
/* Start the mode's threads; 0 or -errno. */
int sl_start(sl_server *s);
/* Stop: wake acceptors with shutdown() (close() does not wake a thread blocked in accept on Linux), join. */
void sl_stop(sl_server *s);
void sl_block_init(sl_block *b, const double *bounds, int nbounds);
void sl_record_accept(sl_block *b);
#endif
