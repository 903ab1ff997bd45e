/* One TCP connection to the mount target, many calls in flight: callers send under a send lock; replies are matched
 * to their calls by xid. Whoever waits reads (one reply per turn, then the turn passes): a caller alone reads its
 * own reply with no thread between, a caller whose reply another reads is woken; a background thread reads when
 * only calls nobody waits for (writes) are in flight. There is no
 * time-out, as on a hard mount: when the connection breaks, or stays silent SILENCE seconds while calls wait, it
 * is made again (tried every second while the path is cut) and every unanswered call is sent again. */
#include "efs.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define SILENCE 30
#define NFS_PROGRAM 100003

static struct {
  struct sockaddr_in addr;
  int fd;                    /* -1 while reconnecting */
  pthread_mutex_t mu;        /* pending, fd, last_heard */
  pthread_mutex_t send_mu;   /* one record at a time on the socket */
  struct rpc_call *pending;  /* sent (or to be sent on the next connection), unanswered */
  uint32_t next_xid;
  char host[64];
  time_t last_heard;
  int reading;          /* a thread has the turn to read */
  int waiters;          /* threads waiting for answers (the background reader leaves the turn to them) */
  pthread_cond_t turn;  /* a reply delivered, a turn ended, a call nobody waits for sent */
} R = {.fd = -1, .mu = PTHREAD_MUTEX_INITIALIZER, .send_mu = PTHREAD_MUTEX_INITIALIZER, .turn = PTHREAD_COND_INITIALIZER};

static time_t now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec;
}

/* A connection within timeout_ms, or -1 with errno. */
static int dial(int timeout_ms) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&R.addr, sizeof R.addr) < 0 && errno != EINPROGRESS) goto fail;
  struct pollfd p = {.fd = fd, .events = POLLOUT};
  int n = poll(&p, 1, timeout_ms);
  if (n == 0) {
    errno = ETIMEDOUT;
    goto fail;
  }
  int soerr = 0;
  socklen_t sl = sizeof soerr;
  if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0) goto fail;
  if (soerr) {
    errno = soerr;
    goto fail;
  }
  int one = 1;
  /* Calls go out as soon as they are made, many small ones in flight: no Nagle delay. */
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
fail:;
  int e = errno;
  close(fd);
  errno = e;
  return -1;
}

static int send_all(int fd, struct rpc_call *c) {
  static const uint8_t zeros[4];
  struct iovec iov[3] = {{c->msg.buf, c->msg.len}, {(void *)c->payload, c->payload_len}, {(void *)zeros, (4 - c->payload_len % 4) % 4}};
  int n = 3, i = 0;
  while (i < n) {
    ssize_t w = writev(fd, iov + i, n - i);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    while (i < n && (size_t)w >= iov[i].iov_len) w -= iov[i++].iov_len;
    if (i < n) {
      iov[i].iov_base = (char *)iov[i].iov_base + w;
      iov[i].iov_len -= w;
    }
  }
  return 0;
}

/* Reads n bytes; -1 when the connection broke or stayed silent too long while calls wait. */
static int read_full(int fd, uint8_t *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int k = poll(&p, 1, 1000);
    if (k < 0 && errno == EINTR) continue;
    if (k == 0) {
      pthread_mutex_lock(&R.mu);
      int silent = R.pending && now_s() - R.last_heard > SILENCE;
      pthread_mutex_unlock(&R.mu);
      if (silent) return -1;
      continue;
    }
    ssize_t r = read(fd, buf + got, n - got);
    if (r <= 0) {
      if (r < 0 && errno == EINTR) continue;
      return -1;
    }
    got += r;
    pthread_mutex_lock(&R.mu);
    R.last_heard = now_s();
    pthread_mutex_unlock(&R.mu);
  }
  return 0;
}

static void reconnect(void) {
  pthread_mutex_lock(&R.send_mu);
  pthread_mutex_lock(&R.mu);
  if (R.fd >= 0) close(R.fd);
  R.fd = -1;
  pthread_mutex_unlock(&R.mu);
  int fd;
  while ((fd = dial(SILENCE * 1000)) < 0) sleep(1);
  pthread_mutex_lock(&R.mu);
  R.last_heard = now_s();
  /* Every unanswered call again, in the order made (the newest first in the list). */
  size_t n = 0;
  for (struct rpc_call *c = R.pending; c; c = c->next) n++;
  struct rpc_call **all = calloc(n ? n : 1, sizeof *all);
  size_t i = n;
  for (struct rpc_call *c = R.pending; c; c = c->next) all[--i] = c;
  pthread_mutex_unlock(&R.mu);
  /* The calls cannot go away meanwhile: only this thread answers them. */
  for (i = 0; i < n; i++)
    if (send_all(fd, all[i]) < 0) break;
  free(all);
  pthread_mutex_lock(&R.mu);
  R.fd = fd;
  pthread_mutex_unlock(&R.mu);
  pthread_mutex_unlock(&R.send_mu);
}

static void deliver(uint8_t *rec, size_t len) {
  xrd r = {rec, len, 0, 0};
  uint32_t xid = xr_u32(&r);
  uint32_t mtype = xr_u32(&r), rstat = xr_u32(&r);
  pthread_mutex_lock(&R.mu);
  struct rpc_call **pp = &R.pending;
  while (*pp && (*pp)->xid != xid) pp = &(*pp)->next;
  struct rpc_call *c = *pp;
  if (!c) {
    pthread_mutex_unlock(&R.mu);
    free(rec);
    return;
  }
  *pp = c->next;
  pthread_mutex_unlock(&R.mu);
  xr_u32(&r); /* verifier flavor */
  uint32_t vlen;
  xr_opaque(&r, &vlen);
  uint32_t accept = xr_u32(&r);
  c->reply = rec;
  c->reply_len = len;
  if (mtype != 1 || rstat != 0 || accept != 0 || r.bad) {
    /* Refused at the RPC level: read as a COMPOUND that failed with NFS4ERR_IO and no results. */
    static const uint8_t io[12] = {0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0};
    c->body = (xrd){io, sizeof io, 0, 0};
  } else {
    c->body = (xrd){rec + r.at, len - r.at, 0, 0};
  }
  if (c->on_done) {
    c->on_done(c);
    return;
  }
  pthread_mutex_lock(&R.mu);
  c->done = 1;
  pthread_cond_broadcast(&R.turn);
  pthread_mutex_unlock(&R.mu);
}

/* One reply read and delivered (the connection made again first when it broke). */
static void read_one(void) {
  pthread_mutex_lock(&R.mu);
  int fd = R.fd;
  pthread_mutex_unlock(&R.mu);
  if (fd < 0) {
    reconnect();
    return;
  }
  uint8_t *rec = NULL;
  size_t len = 0;
  int last = 0;
  while (!last) {
    uint8_t mark[4];
    if (read_full(fd, mark, 4) < 0) goto broken;
    uint32_t m = (uint32_t)mark[0] << 24 | (uint32_t)mark[1] << 16 | (uint32_t)mark[2] << 8 | mark[3];
    last = m >> 31;
    size_t frag = m & 0x7fffffff;
    rec = realloc(rec, len + frag + 1);
    if (!rec) abort();
    if (read_full(fd, rec + len, frag) < 0) goto broken;
    len += frag;
  }
  deliver(rec, len);
  return;
broken:
  free(rec);
  reconnect();
}

/* One step towards an answer, under R.mu: the turn to read one reply when no one reads and calls are in flight,
 * else the wait for the reader's delivery or the end of its turn; nothing when nothing is in flight. */
static void pump_locked(void) {
  if (R.reading) {
    pthread_cond_wait(&R.turn, &R.mu);
  } else if (R.pending) {
    R.reading = 1;
    pthread_mutex_unlock(&R.mu);
    read_one();
    pthread_mutex_lock(&R.mu);
    R.reading = 0;
    pthread_cond_broadcast(&R.turn);
  }
}

void rpc_pump(void) {
  pthread_mutex_lock(&R.mu);
  R.waiters++;
  pump_locked();
  if (--R.waiters == 0) pthread_cond_broadcast(&R.turn);
  pthread_mutex_unlock(&R.mu);
}

static void *background_reader(void *unused) {
  (void)unused;
  pthread_mutex_lock(&R.mu);
  for (;;) {
    while (R.reading || R.waiters || !R.pending) pthread_cond_wait(&R.turn, &R.mu);
    pump_locked();
  }
  return NULL;
}

int rpc_open(const char *server, double timeout_s, char *err, size_t errlen) {
  R.addr.sin_family = AF_INET;
  R.addr.sin_port = htons(2049);
  if (inet_pton(AF_INET, server, &R.addr.sin_addr) != 1) {
    snprintf(err, errlen, "mount.nfs4: Failed to resolve server %s", server);
    return -1;
  }
  gethostname(R.host, sizeof R.host - 1);
  getrandom(&R.next_xid, sizeof R.next_xid, 0);
  int fd = dial((int)(timeout_s * 1000));
  if (fd < 0) {
    snprintf(err, errlen, "mount.nfs4: %s", errno == ETIMEDOUT ? "Connection timed out" : errno == ECONNREFUSED ? "Connection refused" : strerror(errno));
    return -1;
  }
  R.fd = fd;
  R.last_heard = now_s();
  pthread_t t;
  pthread_create(&t, NULL, background_reader, NULL);
  pthread_detach(t);
  return 0;
}

void rpc_prepare(struct rpc_call *c, uint32_t uid, uint32_t gid) {
  memset(c, 0, sizeof *c);
  xb_init(&c->msg, 512);
  xb_u32(&c->msg, 0); /* record mark, set by rpc_submit */
  pthread_mutex_lock(&R.mu);
  c->xid = R.next_xid++;
  pthread_mutex_unlock(&R.mu);
  xb_u32(&c->msg, c->xid);
  xb_u32(&c->msg, 0); /* CALL */
  xb_u32(&c->msg, 2); /* RPC version */
  xb_u32(&c->msg, NFS_PROGRAM);
  xb_u32(&c->msg, 4);
  xb_u32(&c->msg, 1); /* NFSPROC4_COMPOUND */
  xbuf cred;
  xb_init(&cred, 128);
  xb_u32(&cred, 0); /* stamp */
  xb_str(&cred, R.host);
  xb_u32(&cred, uid);
  xb_u32(&cred, gid);
  xb_u32(&cred, 0); /* no other groups */
  xb_u32(&c->msg, 1); /* AUTH_SYS */
  xb_opaque(&c->msg, cred.buf, cred.len);
  xb_free(&cred);
  xb_u32(&c->msg, 0); /* verifier AUTH_NONE */
  xb_u32(&c->msg, 0);
}

void rpc_new_xid(struct rpc_call *c) {
  pthread_mutex_lock(&R.mu);
  c->xid = R.next_xid++;
  pthread_mutex_unlock(&R.mu);
  uint8_t *p = c->msg.buf + 4;
  p[0] = c->xid >> 24;
  p[1] = c->xid >> 16;
  p[2] = c->xid >> 8;
  p[3] = c->xid;
}

void rpc_submit(struct rpc_call *c) {
  size_t len = c->msg.len - 4 + c->payload_len + (4 - c->payload_len % 4) % 4;
  uint32_t mark = 0x80000000u | (uint32_t)len;
  c->msg.buf[0] = mark >> 24;
  c->msg.buf[1] = mark >> 16;
  c->msg.buf[2] = mark >> 8;
  c->msg.buf[3] = mark;
  pthread_mutex_lock(&R.send_mu);
  pthread_mutex_lock(&R.mu);
  if (!R.pending) R.last_heard = now_s();
  c->next = R.pending;
  R.pending = c;
  int fd = R.fd;
  if (c->on_done) pthread_cond_broadcast(&R.turn); /* the background reader reads its answer */
  pthread_mutex_unlock(&R.mu);
  /* Not connected: the receiving thread sends it once it is. Broken: it notices, reconnects and sends it again. */
  if (fd >= 0 && send_all(fd, c) < 0) shutdown(fd, SHUT_RDWR);
  pthread_mutex_unlock(&R.send_mu);
}

void rpc_call(struct rpc_call *c) {
  c->on_done = NULL;
  rpc_submit(c);
  pthread_mutex_lock(&R.mu);
  R.waiters++;
  while (!c->done) pump_locked();
  if (--R.waiters == 0) pthread_cond_broadcast(&R.turn);
  pthread_mutex_unlock(&R.mu);
}

void rpc_release(struct rpc_call *c) {
  xb_free(&c->msg);
  free(c->reply);
  c->reply = NULL;
}
