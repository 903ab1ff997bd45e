/* Writes: sent at once and answered later (as the kernel's NFS client writes back): close, fsync and every other
 * request on the file first wait for them (settle), so the server has every byte before anyone looks
 * (close-to-open). */
#include "files.h"
#include <stdlib.h>
#include <string.h>

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

/* The receiving thread's: the answer of a WRITE sent by op_write. */
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
  struct redo *r = NULL;
  pthread_mutex_lock(&in->mu);
  if (stateid_error(s) || (!s && count < w->len)) {
    /* Sent again by the next settle: by the anonymous stateid, or the rest of a short write. */
    r = calloc(1, sizeof *r);
    r->f = f;
    r->off = w->off + (s ? 0 : count);
    r->len = w->len - (s ? 0 : count);
    r->data = malloc(r->len ? r->len : 1);
    memcpy(r->data, w->data + (w->len - r->len), r->len);
    struct redo **pp = &in->redo;
    while (*pp) pp = &(*pp)->next;
    *pp = r;
  }
  if (!s) note_verifier(f, verf);
  else if (!r && !f->error) f->error = nfs4_errno(s);
  in->writes--;
  pthread_cond_broadcast(&in->cond);
  pthread_mutex_unlock(&in->mu);
  free(w->data);
  free(w);
}

void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)ino;
  struct ofile *f = OFILE(fi);
  struct inode *in = f->in;
  pthread_mutex_lock(&in->mu);
  if (f->error) {
    int e = f->error;
    f->error = 0;
    pthread_mutex_unlock(&in->mu);
    fuse_reply_err(req, e);
    return;
  }
  while (in->writes >= WRITE_WINDOW) pthread_cond_wait(&in->cond, &in->mu);
  in->writes++;
  pthread_mutex_unlock(&in->mu);
  uint32_t uid, gid;
  caller(req, &uid, &gid);
  struct wreq *w = calloc(1, sizeof *w);
  w->f = f;
  w->off = (uint64_t)off;
  w->len = size;
  w->data = malloc(size ? size : 1);
  memcpy(w->data, buf, size);
  uint8_t stateid[16];
  io_stateid(f, stateid);
  cp_begin(&w->c, uid, gid);
  cp_putfh(&w->c, &in->fh);
  cp_op(&w->c, OP_WRITE);
  xb_fixed(&w->c.call.msg, stateid, 16);
  xb_u64(&w->c.call.msg, (uint64_t)off);
  xb_u32(&w->c.call.msg, 0); /* UNSTABLE4 */
  xb_u32(&w->c.call.msg, (uint32_t)size);
  w->c.call.payload = w->data;
  w->c.call.payload_len = size;
  w->c.call.on_done = write_done;
  w->c.call.arg = w;
  cp_finish(&w->c);
  rpc_submit(&w->c.call);
  fuse_reply_write(req, size);
}

/* Every WRITE of the file answered, and those to send again sent (one settle at a time per file). */
void settle(struct inode *in) {
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
