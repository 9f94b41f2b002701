/* N-API wrapper around core.c: small on purpose. TypeScript holds configuration, lifecycle and metrics. */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include "socklab.h"
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_SERVERS 64
/* Process-wide, so Node Workers (each with its own module instance) reach the same servers by id. */
static sl_server *servers[MAX_SERVERS];
static int block_fds[MAX_SERVERS];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

#define CHECK(call)                                                         \
  do {                                                                      \
    if ((call) != napi_ok) {                                                \
      napi_throw_error(env, NULL, "socklab native: N-API call failed: " #call); \
      return NULL;                                                          \
    }                                                                       \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, int e) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  napi_value err, code, message;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, NULL, message, &err);
  napi_create_int32(env, e, &code);
  napi_set_named_property(env, err, "errno", code);
  napi_throw(env, err);
  return NULL;
}

static int32_t arg_i32(napi_env env, napi_value v) {
  int32_t out = 0;
  napi_get_value_int32(env, v, &out);
  return out;
}
static double arg_f64(napi_env env, napi_value v) {
  double out = 0;
  napi_get_value_double(env, v, &out);
  return out;
}
static int32_t prop_i32(napi_env env, napi_value obj, const char *name) {
  napi_value v;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return 0;
  return arg_i32(env, v);
}
static double prop_f64(napi_env env, napi_value obj, const char *name) {
  napi_value v;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return 0;
  return arg_f64(env, v);
}

static sl_server *server_of(napi_env env, napi_value v) {
  int32_t id = arg_i32(env, v);
  sl_server *s = (id >= 0 && id < MAX_SERVERS) ? servers[id] : NULL;
  if (!s) napi_throw_range_error(env, NULL, "socklab native: unknown server id");
  return s;
}

/* The arguments of a call whose first argument is a server id: that server, or NULL with an exception set. */
static sl_server *server_args(napi_env env, napi_callback_info info, napi_value *argv, size_t argc) {
  size_t got = argc;
  if (napi_get_cb_info(env, info, &got, argv, NULL, NULL) != napi_ok) {
    napi_throw_error(env, NULL, "socklab native: cannot read arguments");
    return NULL;
  }
  return server_of(env, argv[0]);
}

/* listen(port, backlog) -> fd */
static napi_value js_listen(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int fd = sl_listen(arg_i32(env, argv[0]), arg_i32(env, argv[1]));
  if (fd < 0) return throw_errno(env, "listen", -fd);
  CHECK(napi_create_int32(env, fd, &out));
  return out;
}

/* listenerInfo(fd) -> { queue, max }: TCP_INFO of a LISTEN socket holds the accept queue in tcpi_unacked
 * and the backlog limit in tcpi_sacked. */
static napi_value js_listener_info(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out, q, m;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  struct tcp_info ti;
  socklen_t len = sizeof ti;
  memset(&ti, 0, sizeof ti);
  if (getsockopt(arg_i32(env, argv[0]), IPPROTO_TCP, TCP_INFO, &ti, &len) < 0) return throw_errno(env, "TCP_INFO", errno);
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_uint32(env, ti.tcpi_unacked, &q));
  CHECK(napi_create_uint32(env, ti.tcpi_sacked, &m));
  CHECK(napi_set_named_property(env, out, "queue", q));
  CHECK(napi_set_named_property(env, out, "max", m));
  return out;
}

/* create({ fd, mode, threads, workKind, workUs, protocol, recvTimeoutMs, pollIntervalUs, bounds, shared }) -> id */
static napi_value js_create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out, bounds_v;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_value o = argv[0];
  double bounds[SL_MAX_BOUNDS];
  uint32_t nb = 0;
  CHECK(napi_get_named_property(env, o, "bounds", &bounds_v));
  CHECK(napi_get_array_length(env, bounds_v, &nb));
  if (nb > SL_MAX_BOUNDS) nb = SL_MAX_BOUNDS;
  for (uint32_t i = 0; i < nb; i++) {
    napi_value e;
    CHECK(napi_get_element(env, bounds_v, i, &e));
    bounds[i] = arg_f64(env, e);
  }
  bool shared = false;
  napi_value shared_v;
  if (napi_get_named_property(env, o, "shared", &shared_v) == napi_ok) napi_get_value_bool(env, shared_v, &shared);

  sl_block *block;
  int bfd = -1;
  if (shared) { /* prefork: children map the same memory */
    bfd = memfd_create("socklab-counters", 0);
    if (bfd < 0 || ftruncate(bfd, sizeof(sl_block)) < 0) return throw_errno(env, "memfd", errno);
    block = mmap(NULL, sizeof(sl_block), PROT_READ | PROT_WRITE, MAP_SHARED, bfd, 0);
    if (block == MAP_FAILED) return throw_errno(env, "mmap", errno);
  } else {
    block = malloc(sizeof(sl_block));
    if (!block) return throw_errno(env, "malloc", ENOMEM);
  }
  sl_block_init(block, bounds, (int)nb);
  sl_server *s = calloc(1, sizeof *s);
  if (!s) return throw_errno(env, "calloc", ENOMEM);
  s->listen_fd = prop_i32(env, o, "fd");
  s->mode = prop_i32(env, o, "mode");
  s->threads = prop_i32(env, o, "threads");
  s->work_kind = prop_i32(env, o, "workKind");
  s->work_us = (int64_t)prop_f64(env, o, "workUs");
  s->protocol = prop_i32(env, o, "protocol");
  s->recv_timeout_ms = prop_i32(env, o, "recvTimeoutMs");
  s->poll_interval_us = (int64_t)prop_f64(env, o, "pollIntervalUs");
  s->block = block;
  pthread_mutex_lock(&table_lock);
  int id = -1;
  for (int i = 0; i < MAX_SERVERS; i++)
    if (!servers[i]) {
      servers[i] = s;
      block_fds[i] = bfd;
      id = i;
      break;
    }
  pthread_mutex_unlock(&table_lock);
  if (id < 0) return throw_errno(env, "create", ENOSPC);
  CHECK(napi_create_int32(env, id, &out));
  return out;
}

static napi_value js_start(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  sl_server *s = server_args(env, info, argv, 1);
  if (!s) return NULL;
  int e = sl_start(s);
  if (e < 0) return throw_errno(env, "start", -e);
  return NULL;
}

static napi_value js_stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  sl_server *s = server_args(env, info, argv, 1);
  if (!s) return NULL;
  sl_stop(s);
  return NULL;
}

/* stats(id) -> Float64Array of the counter block's slots (a copy). */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1], ab, out;
  sl_server *s = server_args(env, info, argv, 1);
  if (!s) return NULL;
  double *data;
  CHECK(napi_create_arraybuffer(env, SL_SLOTS * sizeof(double), (void **)&data, &ab));
  for (int i = 0; i < SL_SLOTS; i++) data[i] = (double)atomic_load(&s->block->v[i]);
  CHECK(napi_create_typedarray(env, napi_float64_array, SL_SLOTS, ab, 0, &out));
  return out;
}

static napi_value js_block_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t id = arg_i32(env, argv[0]);
  if (!server_of(env, argv[0])) return NULL;
  CHECK(napi_create_int32(env, block_fds[id], &out));
  return out;
}

/* serveOne(id, fd, acceptedNs): serve a connection with blocking calls in the calling thread (a Worker). */
static napi_value js_serve_one(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  sl_server *s = server_args(env, info, argv, 3);
  if (!s) return NULL;
  sl_serve(s, arg_i32(env, argv[1]), (int64_t)arg_f64(env, argv[2]));
  return NULL;
}

/* spinCpu(ms): compute on the calling thread until it has had ms of CPU (an event loop's cpu: work). */
static napi_value js_spin_cpu(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sl_spin_cpu_us((int64_t)(arg_f64(env, argv[0]) * 1000));
  return NULL;
}

/* nameThread(name): name the calling thread (the event loop's main thread, a Worker's). */
static napi_value js_name_thread(napi_env env, napi_callback_info info) {
  size_t argc = 1, len = 0;
  napi_value argv[1];
  char name[16];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len));
  sl_name_thread(name);
  return NULL;
}

static napi_value js_now_ns(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  CHECK(napi_create_double(env, (double)sl_now_ns(), &out));
  return out;
}

/* ---- startAcceptor(id, cb): a blocking accept loop on a C thread, handing each fd to JavaScript ---- */
typedef struct {
  sl_server *s;
  napi_threadsafe_function tsfn;
  pthread_t tid;
} acceptor;
typedef struct {
  int fd;
  double t;
} accepted;

static void call_js(napi_env env, napi_value cb, void *ctx, void *data) {
  (void)ctx;
  accepted *a = data;
  if (env && cb) {
    napi_value argv[2], undef;
    napi_create_int32(env, a->fd, &argv[0]);
    napi_create_double(env, a->t, &argv[1]);
    napi_get_undefined(env, &undef);
    napi_call_function(env, undef, cb, 2, argv, NULL);
  } else {
    close(a->fd);
  }
  free(a);
}

static void *acceptor_thread(void *p) {
  acceptor *ac = p;
  sl_server *s = ac->s;
  sl_name_thread("sl-acceptor");
  while (!atomic_load(&s->stopping)) {
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        usleep(10000);
        continue;
      }
      break;
    }
    sl_record_accept(s->block);
    accepted *a = malloc(sizeof *a);
    if (!a) {
      close(fd);
      continue;
    }
    a->fd = fd;
    a->t = (double)sl_now_ns();
    if (napi_call_threadsafe_function(ac->tsfn, a, napi_tsfn_blocking) != napi_ok) {
      close(fd);
      free(a);
      break;
    }
  }
  napi_release_threadsafe_function(ac->tsfn, napi_tsfn_release);
  return NULL;
}

static napi_value js_start_acceptor(napi_env env, napi_callback_info info) {
  napi_value argv[2], name;
  sl_server *s = server_args(env, info, argv, 2);
  if (!s) return NULL;
  acceptor *ac = calloc(1, sizeof *ac);
  if (!ac) return throw_errno(env, "calloc", ENOMEM);
  ac->s = s;
  CHECK(napi_create_string_utf8(env, "socklab-acceptor", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_threadsafe_function(env, argv[1], NULL, name, 0, 1, NULL, NULL, NULL, call_js, &ac->tsfn));
  int e = pthread_create(&ac->tid, NULL, acceptor_thread, ac);
  if (e != 0) return throw_errno(env, "pthread_create", e);
  pthread_detach(ac->tid);
  return NULL;
}

/* shutdownFd(fd): wakes threads blocked in accept() on it. */
static napi_value js_shutdown(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  sl_server *s = server_args(env, info, argv, 1);
  if (!s) return NULL;
  atomic_store(&s->stopping, 1);
  shutdown(s->listen_fd, SHUT_RDWR);
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
      {"listen", NULL, js_listen, NULL, NULL, NULL, napi_default, NULL},
      {"listenerInfo", NULL, js_listener_info, NULL, NULL, NULL, napi_default, NULL},
      {"create", NULL, js_create, NULL, NULL, NULL, napi_default, NULL},
      {"start", NULL, js_start, NULL, NULL, NULL, napi_default, NULL},
      {"stop", NULL, js_stop, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL},
      {"blockFd", NULL, js_block_fd, NULL, NULL, NULL, napi_default, NULL},
      {"serveOne", NULL, js_serve_one, NULL, NULL, NULL, napi_default, NULL},
      {"startAcceptor", NULL, js_start_acceptor, NULL, NULL, NULL, napi_default, NULL},
      {"shutdownListener", NULL, js_shutdown, NULL, NULL, NULL, napi_default, NULL},
      {"nowNs", NULL, js_now_ns, NULL, NULL, NULL, napi_default, NULL},
      {"spinCpu", NULL, js_spin_cpu, NULL, NULL, NULL, napi_default, NULL},
      {"nameThread", NULL, js_name_thread, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
