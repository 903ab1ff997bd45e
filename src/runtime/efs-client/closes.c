/* The CLOSEs of released files, sent together from a thread of their own. The kernel does not wait for a RELEASE,
 * so nothing waits for its CLOSE: each waits here up to CLOSE_DELAY_MS for others (a program making many small
 * files releases one every few hundred microseconds), and up to CLOSE_BATCH go in one COMPOUND (PUTFH, CLOSE,
 * PUTFH, CLOSE, ...): one call where there was one per file. A file's open owner goes back to the pool once its
 * CLOSE is answered. */
#include "files.h"
#include <stdlib.h>
#include <time.h>

#define CLOSE_BATCH 16
#define CLOSE_DELAY_MS 5

struct later {
  struct ofile *f;
  struct later *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static struct later *head, **tail = &head;
static int queued;
static pthread_once_t started = PTHREAD_ONCE_INIT;
static int running;

static void finish(struct ofile *f, uint32_t s) {
  if (f->owner) {
    if (s == NFS4ERR_BAD_SEQID) owner_drop(f->owner);
    else owner_give(f->owner);
  }
  pthread_mutex_destroy(&f->mu);
  free(f);
}

static int answered(compound *c) { return c->call.body.at < c->call.body.len; }

/* One COMPOUND for up to CLOSE_BATCH of the list that share the first one's uid/gid; they leave the list, but for
 * those the server did not reach (a CLOSE before them failed), which go back to its head. */
static void send_batch(struct later **list) {
  struct later *batch[CLOSE_BATCH];
  int n = 0;
  uint32_t uid = (*list)->f->uid, gid = (*list)->f->gid;
  for (struct later **pp = list; *pp && n < CLOSE_BATCH;) {
    if ((*pp)->f->uid == uid && (*pp)->f->gid == gid) {
      batch[n++] = *pp;
      *pp = (*pp)->next;
    } else {
      pp = &(*pp)->next;
    }
  }
  compound c;
  cp_begin(&c, uid, gid);
  for (int i = 0; i < n; i++) {
    struct ofile *f = batch[i]->f;
    cp_putfh(&c, &f->in->fh);
    cp_op(&c, OP_CLOSE);
    xb_u32(&c.call.msg, f->owner->seqid);
    xb_fixed(&c.call.msg, f->stateid, 16);
  }
  cp_end(&c);
  cp_status(&c);
  int done = 0;
  while (done < n && (answered(&c) || done == 0)) {
    struct ofile *f = batch[done]->f;
    uint32_t s = cp_res(&c, OP_PUTFH);
    if (!s) {
      s = cp_res(&c, OP_CLOSE);
      if (seqid_consumed(s)) f->owner->seqid++;
      if (!s) xr_skip(&c.call.body, 16);
    }
    finish(f, s);
    free(batch[done++]);
    if (s) break;
  }
  cp_done(&c);
  for (int i = n - 1; i >= done; i--) {
    batch[i]->next = *list;
    *list = batch[i];
  }
}

static void *closer(void *arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  for (;;) {
    while (!head) pthread_cond_wait(&cond, &mu);
    if (queued < CLOSE_BATCH) {
      struct timespec until;
      clock_gettime(CLOCK_REALTIME, &until);
      until.tv_nsec += CLOSE_DELAY_MS * 1000000L;
      if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
      }
      while (queued < CLOSE_BATCH && pthread_cond_timedwait(&cond, &mu, &until) == 0) {
      }
    }
    struct later *list = head;
    head = NULL;
    tail = &head;
    queued = 0;
    pthread_mutex_unlock(&mu);
    while (list) send_batch(&list);
    pthread_mutex_lock(&mu);
  }
  return NULL;
}

static void start(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, closer, NULL) == 0) {
    pthread_detach(t);
    running = 1;
  }
}

void close_later(struct ofile *f) {
  if (!f->has_state || !f->owner) {
    finish(f, 0);
    return;
  }
  pthread_once(&started, start);
  struct later *l = calloc(1, sizeof *l);
  l->f = f;
  if (!running) { /* no thread for it: sent now */
    while (l) send_batch(&l);
    return;
  }
  pthread_mutex_lock(&mu);
  *tail = l;
  tail = &l->next;
  if (++queued == 1 || queued >= CLOSE_BATCH) pthread_cond_broadcast(&cond);
  pthread_mutex_unlock(&mu);
}
