/* Writes: sent at once and answered later (as the kernel's NFS client writes back): close, fsync and every other
 * request on the file first wait for them (settle), so the server has every byte before anyone looks
 * (close-to-open). The last small write is kept back until the next request on the file: when that is close(2),
 * it goes in one COMPOUND with the file's CLOSE (WRITE, CLOSE), one round trip where there were two calls. */
#include "files.h"
#include <stdlib.h>
#include <string.h>

/* A write up to this size may be kept back (what a small file's content is). */
#define HOLD_MAX (64u << 10)

struct wreq {
  compound c;
  struct ofile *f;
  uint64_t off;
  uint8_t *data;
  size_t len;
};

static void note_verifier(struct ofile *f, const uint8_t v[8]) {
  if (!f->verf_set) {
    memcpy(f->verf, v, 8);
    f->verf_set = 1;
  } else if (memcmp(f->verf, v, 8)) {
    f->verf_mixed = 1;
  }
}

/* Under in->mu: the bytes from `done` on of a write, to send again by the next settle (by the anonymous stateid). */
static void queue_redo(struct inode *in, struct ofile *f, uint64_t off, const uint8_t *data, size_t len, size_t done) {
  struct redo *r = calloc(1, sizeof *r);
  r->f = f;
  r->off = off + done;
  r->len = len - done;
  r->data = malloc(r->len ? r->len : 1);
  memcpy(r->data, data + done, r->len);
  struct redo **pp = &in->redo;
  while (*pp) pp = &(*pp)->next;
  *pp = r;
}

/* The receiving thread's: the answer of a WRITE sent by send_write. */
static void write_done(struct rpc_call *call) {
  struct wreq *w = call->arg;
  struct ofile *f = w->f;
  struct inode *in = f->in;
  compound *c = &w->c;
  uint32_t s = cp_status(c);
  uint32_t count = 0;
  uint8_t verf[8];
  if (!s && !(s = cp_res(c, OP_PUTFH)) && !(s = cp_res(c, OP_WRITE))) {
    count = xr_u32(&c->call.body);
    xr_u32(&c->call.body);
    xr_fixed(&c->call.body, verf, 8);
  }
  cp_done(c);
  int redo = stateid_error(s) || (!s && count < w->len);
  pthread_mutex_lock(&in->mu);
  if (redo) queue_redo(in, f, w->off, w->data, w->len, s ? 0 : count);
  if (!s) note_verifier(f, verf);
  else if (!redo && !f->error) f->error = nfs4_errno(s);
  in->writes--;
  pthread_cond_broadcast(&in->cond);
  pthread_mutex_unlock(&in->mu);
  free(w->data);
  free(w);
}

/* One WRITE, answered later (write_done); at most WRITE_WINDOW in flight per file. Takes data. */
static void send_write(struct ofile *f, uint32_t uid, uint32_t gid, uint64_t off, uint8_t *data, size_t size) {
  struct inode *in = f->in;
  pthread_mutex_lock(&in->mu);
  while (in->writes >= WRITE_WINDOW) pthread_cond_wait(&in->cond, &in->mu);
  in->writes++;
  pthread_mutex_unlock(&in->mu);
  struct wreq *w = calloc(1, sizeof *w);
  w->f = f;
  w->off = off;
  w->len = size;
  w->data = data;
  uint8_t stateid[16];
  io_stateid(f, stateid);
  cp_begin(&w->c, uid, gid);
  cp_putfh(&w->c, &in->fh);
  cp_op(&w->c, OP_WRITE);
  xb_fixed(&w->c.call.msg, stateid, 16);
  xb_u64(&w->c.call.msg, off);
  xb_u32(&w->c.call.msg, 0); /* UNSTABLE4 */
  xb_u32(&w->c.call.msg, (uint32_t)size);
  w->c.call.payload = w->data;
  w->c.call.payload_len = size;
  w->c.call.on_done = write_done;
  w->c.call.arg = w;
  cp_finish(&w->c);
  rpc_submit(&w->c.call);
}

static struct held *take_held(struct inode *in) {
  pthread_mutex_lock(&in->mu);
  struct held *h = in->held;
  in->held = NULL;
  pthread_mutex_unlock(&in->mu);
  return h;
}

static void send_held(struct held *h) {
  if (!h) return;
  send_write(h->f, h->uid, h->gid, h->off, h->data, h->len);
  free(h);
}

void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)ino;
  struct ofile *f = OFILE(fi);
  struct inode *in = f->in;
  int e = take_error(f);
  if (e) {
    fuse_reply_err(req, e);
    return;
  }
  uint32_t uid, gid;
  caller(req, &uid, &gid);
  reopen_if_closed(f);
  send_held(take_held(in));
  uint8_t *data = malloc(size ? size : 1);
  memcpy(data, buf, size);
  if (size > HOLD_MAX) {
    send_write(f, uid, gid, (uint64_t)off, data, size);
  } else {
    struct held *h = calloc(1, sizeof *h);
    *h = (struct held){f, uid, gid, (uint64_t)off, data, size};
    pthread_mutex_lock(&in->mu);
    struct held *other = in->held; /* another thread's, kept meanwhile */
    in->held = h;
    pthread_mutex_unlock(&in->mu);
    send_held(other);
  }
  fuse_reply_write(req, size);
}

/* The held write and f's CLOSE in one COMPOUND (the write's data inline, as the CLOSE follows it). A write the
 * server did not take whole is sent again by settle; a CLOSE not done leaves the state for RELEASE. */
static void write_and_close(struct held *h) {
  struct ofile *f = h->f;
  struct inode *in = f->in;
  pthread_mutex_lock(&f->mu);
  struct owner *o = f->owner;
  compound c;
  cp_begin(&c, h->uid, h->gid);
  cp_putfh(&c, &in->fh);
  cp_op(&c, OP_WRITE);
  xb_fixed(&c.call.msg, f->stateid, 16);
  xb_u64(&c.call.msg, h->off);
  xb_u32(&c.call.msg, 0); /* UNSTABLE4 */
  xb_opaque(&c.call.msg, h->data, h->len);
  cp_op(&c, OP_CLOSE);
  xb_u32(&c.call.msg, o->seqid);
  xb_fixed(&c.call.msg, f->stateid, 16);
  cp_end(&c);
  cp_status(&c);
  uint32_t sw = cp_res(&c, OP_PUTFH), sc = 5, count = 0;
  uint8_t verf[8];
  if (!sw) sw = cp_res(&c, OP_WRITE);
  if (!sw) {
    count = xr_u32(&c.call.body);
    xr_u32(&c.call.body);
    xr_fixed(&c.call.body, verf, 8);
    sc = cp_res(&c, OP_CLOSE);
    if (seqid_consumed(sc)) o->seqid++;
  }
  cp_done(&c);
  int ended = !sc || sc == NFS4ERR_BAD_SEQID;
  if (ended) {
    f->owner = NULL;
    f->has_state = 0;
    f->closed = 1;
  }
  pthread_mutex_unlock(&f->mu);
  if (!sc) owner_give(o);
  else if (ended) owner_drop(o);
  int redo = stateid_error(sw) || sw == NFS4ERR_DELAY || (!sw && count < h->len);
  pthread_mutex_lock(&in->mu);
  if (redo) queue_redo(in, f, h->off, h->data, h->len, sw ? 0 : count);
  if (!sw) note_verifier(f, verf);
  else if (!redo && !f->error) f->error = nfs4_errno(sw);
  pthread_mutex_unlock(&in->mu);
}

void flush_writes(struct ofile *f) {
  struct inode *in = f->in;
  pthread_mutex_lock(&f->mu);
  /* Locks need the open (LOCKU at close, flock's at RELEASE); a file opened again after an early CLOSE is likely
   * closed by more than one holder, and keeps its open until RELEASE from then on. */
  int may_close = f->has_state && f->owner && !f->locks && !f->reopened;
  pthread_mutex_unlock(&f->mu);
  pthread_mutex_lock(&in->mu);
  struct held *h = in->held;
  if (h && h->f == f && may_close) in->held = NULL;
  else h = NULL;
  pthread_mutex_unlock(&in->mu);
  settle(in);
  if (!h) return;
  pthread_mutex_lock(&in->mu);
  in->writes++; /* others' settle waits for it */
  pthread_mutex_unlock(&in->mu);
  write_and_close(h);
  pthread_mutex_lock(&in->mu);
  in->writes--;
  pthread_cond_broadcast(&in->cond);
  pthread_mutex_unlock(&in->mu);
  free(h->data);
  free(h);
  settle(in); /* what the server did not take */
}

/* Every WRITE of the file answered, and those to send again sent (one settle at a time per file). */
void settle(struct inode *in) {
  send_held(take_held(in));
  pthread_mutex_lock(&in->mu);
  while (in->writes || in->settling) {
    if (in->settling) {
      pthread_cond_wait(&in->cond, &in->mu);
      continue;
    }
    /* The writes' answers: read by this thread when no one else reads. */
    pthread_mutex_unlock(&in->mu);
    rpc_pump();
    pthread_mutex_lock(&in->mu);
  }
  struct redo *list = in->redo;
  in->redo = NULL;
  if (list) in->settling = 1;
  pthread_mutex_unlock(&in->mu);
  if (!list) return;
  while (list) {
    struct redo *r = list;
    list = r->next;
    state_lost(r->f);
    uint64_t off = r->off;
    size_t at = 0;
    while (at < r->len) {
      compound c;
      cp_begin(&c, r->f->uid, r->f->gid);
      cp_putfh(&c, &in->fh);
      cp_op(&c, OP_WRITE);
      xb_fixed(&c.call.msg, ANON_STATEID, 16);
      xb_u64(&c.call.msg, off + at);
      xb_u32(&c.call.msg, 0);
      xb_u32(&c.call.msg, (uint32_t)(r->len - at));
      c.call.payload = r->data + at;
      c.call.payload_len = r->len - at;
      cp_end(&c);
      uint32_t s = cp_status(&c), count = 0;
      uint8_t verf[8];
      if (!s && !(s = cp_res(&c, OP_PUTFH)) && !(s = cp_res(&c, OP_WRITE))) {
        count = xr_u32(&c.call.body);
        xr_u32(&c.call.body);
        xr_fixed(&c.call.body, verf, 8);
      }
      cp_done(&c);
      pthread_mutex_lock(&in->mu);
      if (s && !r->f->error) r->f->error = nfs4_errno(s);
      if (!s) note_verifier(r->f, verf);
      pthread_mutex_unlock(&in->mu);
      if (s || count == 0) break;
      at += count;
    }
    free(r->data);
    free(r);
  }
  pthread_mutex_lock(&in->mu);
  in->settling = 0;
  pthread_cond_broadcast(&in->cond);
  pthread_mutex_unlock(&in->mu);
}
