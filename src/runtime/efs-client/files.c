/* Open files: each holds an NFSv4 OPEN of its own (its own open owner, so no seqid is shared and one CLOSE never
 * ends another opener's state), by which its reads, writes and byte-range locks go. Writes are sent at once and
 * answered later (as the kernel's NFS client writes back): close, fsync and every other request on the file first
 * wait for them, so the server has every byte before anyone looks (close-to-open). */
#include "ops.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>

struct lockowner {
  uint64_t fuse_owner;
  int established; /* the server gave this owner a lock stateid for the file */
  uint8_t stateid[16];
  uint32_t seqid;
  uint32_t gen; /* a new owner's LOCK refused: the next tries as another new owner (its seqid unknown) */
  int holds;    /* a LOCK of it succeeded since its last unlock of the whole file */
  struct lockowner *next;
};

struct ofile {
  struct inode *in;
  uint32_t uid, gid; /* the opener's */
  uint32_t serial;
  pthread_mutex_t mu; /* the open owner's and lock owners' seqids: one of their ops at a time */
  struct owner *owner;
  uint8_t stateid[16];
  int has_state;
  uint64_t clientid;
  /* Under in->mu: the first error of the file's writes (reported once), their write verifiers. */
  int error;
  uint8_t verf[8];
  int verf_set, verf_mixed;
  struct lockowner *locks;
};

struct redo {
  struct ofile *f;
  uint64_t off;
  uint8_t *data;
  size_t len;
  struct redo *next;
};

static pthread_mutex_t serial_mu = PTHREAD_MUTEX_INITIALIZER;
static uint32_t serials;

#define OFILE(fi) ((struct ofile *)(uintptr_t)(fi)->fh)

static void io_stateid(struct ofile *f, uint8_t out[16]) {
  pthread_mutex_lock(&f->mu);
  memcpy(out, f->has_state ? f->stateid : ANON_STATEID, 16);
  pthread_mutex_unlock(&f->mu);
}

void file_stateid(struct fuse_file_info *fi, uint8_t out[16]) { io_stateid(OFILE(fi), out); }

static void state_lost(struct ofile *f) {
  pthread_mutex_lock(&f->mu);
  f->has_state = 0;
  pthread_mutex_unlock(&f->mu);
}

static struct ofile *new_ofile(struct inode *in, uint32_t uid, uint32_t gid) {
  struct ofile *f = calloc(1, sizeof *f);
  f->in = in;
  f->uid = uid;
  f->gid = gid;
  pthread_mutex_init(&f->mu, NULL);
  pthread_mutex_lock(&serial_mu);
  f->serial = ++serials;
  pthread_mutex_unlock(&serial_mu);
  return f;
}

static void skip_bitmap(xrd *r) {
  uint32_t n = xr_u32(r);
  xr_skip(r, 4 * (size_t)n);
}

/* An OPEN by name in a directory (OPEN4_CREATE when asked: the mode as its attribute, GUARDED4 for O_EXCL, size 0
 * for O_TRUNC), with GETFH and GETATTR; its OPEN_CONFIRM, when the server asks (an owner it does not know yet),
 * waited for. The state is kept in f. Returns 0 or a negative errno. */
static int open_by_name(uint32_t uid, uint32_t gid, struct ofile *f, struct inode *dir, const char *name, uint32_t access,
                        int create, mode_t mode, int excl, int trunc, nfs_fh *fh, nfs_attr *a) {
  for (int attempt = 0; attempt < 4; attempt++) {
    uint64_t id;
    int rc = client_id(&id);
    if (rc < 0) return rc;
    struct owner *o = owner_take();
    if (o->clientid != id) {
      o->clientid = id;
      o->confirmed = 0;
      o->seqid = 0;
    }
    compound c;
    cp_begin(&c, uid, gid);
    cp_putfh(&c, &dir->fh);
    cp_op(&c, OP_OPEN);
    xbuf *m = &c.call.msg;
    xb_u32(m, o->seqid);
    xb_u32(m, access);
    xb_u32(m, 0); /* deny none */
    xb_owner(m, id, "O", o->id, 0, 0);
    xb_u32(m, create ? 1 : 0);
    if (create) {
      xb_u32(m, excl ? 1 : 0); /* GUARDED4 / UNCHECKED4 */
      xb_u32(m, 2);
      xb_u32(m, trunc && !excl ? 1u << 4 : 0);
      xb_u32(m, 1u << 1);
      xb_u32(m, trunc && !excl ? 12 : 4);
      if (trunc && !excl) xb_u64(m, 0);
      xb_u32(m, mode & 07777);
    }
    xb_u32(m, 0); /* CLAIM_NULL */
    xb_str(m, name);
    cp_op(&c, OP_GETFH);
    cp_getattr(&c, 0);
    cp_end(&c);
    cp_status(&c);
    uint32_t s = cp_res(&c, OP_PUTFH);
    if (s) {
      cp_done(&c);
      owner_give(o);
      return -nfs4_errno(s);
    }
    s = cp_res(&c, OP_OPEN);
    if (seqid_consumed(s)) o->seqid++;
    if (s == NFS4ERR_STALE_CLIENTID || s == NFS4ERR_EXPIRED) {
      cp_done(&c);
      client_id_lost(id);
      owner_give(o);
      continue;
    }
    if (s == NFS4ERR_BAD_SEQID) {
      cp_done(&c);
      owner_drop(o);
      continue;
    }
    if (s) {
      cp_done(&c);
      owner_give(o);
      return -nfs4_errno(s);
    }
    xrd *r = &c.call.body;
    uint8_t stateid[16];
    xr_fixed(r, stateid, 16);
    xr_skip(r, 20); /* change_info4 */
    uint32_t rflags = xr_u32(r);
    skip_bitmap(r);
    uint32_t deleg = xr_u32(r);
    if (deleg) { /* never asked for (no callback): given anyway, it ends with the CLOSE */
      xr_skip(r, 16);
      xr_u32(r);
      if (deleg == 2) {
        xr_u32(r);
        xr_skip(r, 8);
      }
      xr_skip(r, 12);
      uint32_t n;
      xr_opaque(r, &n);
    }
    rc = 0;
    if ((s = cp_res(&c, OP_GETFH)) || cp_getfh(&c, fh) < 0 || (s = cp_res(&c, OP_GETATTR)) || cp_attrs(&c, a) < 0) rc = -EIO;
    cp_done(&c);
    if (rc == 0 && (rflags & 2)) { /* OPEN4_RESULT_CONFIRM */
      cp_begin(&c, uid, gid);
      cp_putfh(&c, fh);
      cp_op(&c, OP_OPEN_CONFIRM);
      xb_fixed(&c.call.msg, stateid, 16);
      xb_u32(&c.call.msg, o->seqid);
      cp_end(&c);
      cp_status(&c);
      s = cp_res(&c, OP_PUTFH);
      if (!s) {
        s = cp_res(&c, OP_OPEN_CONFIRM);
        if (seqid_consumed(s)) o->seqid++;
        if (!s) xr_fixed(&c.call.body, stateid, 16);
      }
      cp_done(&c);
      if (s) {
        owner_drop(o);
        return -EIO;
      }
    }
    o->confirmed = 1;
    if (rc < 0) {
      owner_give(o); /* its OPEN holds state until the lease ends: nothing names it */
      return rc;
    }
    f->owner = o;
    memcpy(f->stateid, stateid, 16);
    f->has_state = 1;
    f->clientid = id;
    return 0;
  }
  return -EIO;
}

static uint32_t lock_unlock(uint32_t uid, uint32_t gid, struct ofile *f, struct lockowner *lo, uint64_t off, uint64_t len);

/* Its locks released, then its CLOSE (its open owner back to the pool). Under nothing: takes f->mu. */
static void close_state(uint32_t uid, uint32_t gid, struct ofile *f) {
  for (struct lockowner *lo = f->locks; lo; lo = lo->next)
    if (lo->established) lock_unlock(uid, gid, f, lo, 0, UINT64_MAX);
  pthread_mutex_lock(&f->mu);
  if (!f->owner) {
    pthread_mutex_unlock(&f->mu);
    return;
  }
  struct owner *o = f->owner;
  uint32_t s = 0;
  if (f->has_state) {
    compound c;
    cp_begin(&c, uid, gid);
    cp_putfh(&c, &f->in->fh);
    cp_op(&c, OP_CLOSE);
    xb_u32(&c.call.msg, o->seqid);
    xb_fixed(&c.call.msg, f->stateid, 16);
    cp_end(&c);
    cp_status(&c);
    s = cp_res(&c, OP_PUTFH);
    if (!s) {
      s = cp_res(&c, OP_CLOSE);
      if (seqid_consumed(s)) o->seqid++;
    }
    cp_done(&c);
  }
  f->owner = NULL;
  f->has_state = 0;
  pthread_mutex_unlock(&f->mu);
  if (s == NFS4ERR_BAD_SEQID) owner_drop(o);
  else owner_give(o);
}

static uint32_t share_access(int flags) {
  int acc = flags & O_ACCMODE;
  return acc == O_RDONLY ? 1 : acc == O_WRONLY ? 2 : 3;
}

/* Without a name to OPEN by (the mount's root, a name another client changed): what OPEN checks, without its
 * state (PUTFH, ACCESS); reads and writes then go by the anonymous stateid (RFC 7530 9.1.4.3). */
static int check_access(uint32_t uid, uint32_t gid, struct inode *in, int flags) {
  int acc = flags & O_ACCMODE;
  uint32_t want = (acc != O_WRONLY ? 0x1 : 0) | (acc != O_RDONLY ? 0x4 : 0);
  compound c;
  cp_begin(&c, uid, gid);
  cp_putfh(&c, &in->fh);
  cp_op(&c, OP_ACCESS);
  xb_u32(&c.call.msg, want);
  cp_end(&c);
  uint32_t s = cp_status(&c);
  if (!s) s = cp_res(&c, OP_PUTFH);
  if (!s) s = cp_res(&c, OP_ACCESS);
  uint32_t granted = 0;
  if (!s) {
    xr_u32(&c.call.body);
    granted = xr_u32(&c.call.body);
  }
  cp_done(&c);
  if (s) return -nfs4_errno(s);
  return (granted & want) == want ? 0 : -EACCES;
}

static int truncate_open(uint32_t uid, uint32_t gid, struct ofile *f) {
  uint8_t stateid[16];
  io_stateid(f, stateid);
  compound c;
  cp_begin(&c, uid, gid);
  cp_putfh(&c, &f->in->fh);
  cp_op(&c, OP_SETATTR);
  xb_fixed(&c.call.msg, stateid, 16);
  xb_u32(&c.call.msg, 2);
  xb_u32(&c.call.msg, 1u << 4);
  xb_u32(&c.call.msg, 0);
  xb_u32(&c.call.msg, 8);
  xb_u64(&c.call.msg, 0);
  cp_end(&c);
  uint32_t s = cp_status(&c);
  cp_done(&c);
  return -nfs4_errno(s);
}

void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  struct inode *in = inode_get(ino);
  if (!in) {
    fuse_reply_err(req, ESTALE);
    return;
  }
  if (opt.read_only && (fi->flags & O_ACCMODE) != O_RDONLY) {
    fuse_reply_err(req, EROFS);
    return;
  }
  uint32_t uid, gid;
  caller(req, &uid, &gid);
  settle(in);
  struct ofile *f = new_ofile(in, uid, gid);
  pthread_mutex_lock(&in->mu);
  char *name = in->name ? strdup(in->name) : NULL;
  fuse_ino_t parent = in->parent;
  nfs_fh known = in->fh;
  pthread_mutex_unlock(&in->mu);
  struct inode *dir = name ? inode_get(parent) : NULL;
  int rc = -ENOENT;
  if (dir) {
    nfs_fh fh;
    nfs_attr a;
    rc = open_by_name(uid, gid, f, dir, name, share_access(fi->flags), 0, 0, 0, 0, &fh, &a);
    if (rc == 0 && (fh.len != known.len || memcmp(fh.data, known.data, fh.len))) {
      /* The name is another file's now: not this one's state. */
      close_state(uid, gid, f);
      rc = -ENOENT;
    }
  }
  free(name);
  if (rc == -ENOENT || rc == -ESTALE) rc = check_access(uid, gid, in, fi->flags);
  if (rc == 0 && (fi->flags & O_TRUNC)) rc = truncate_open(uid, gid, f);
  if (rc < 0) {
    close_state(uid, gid, f);
    free(f);
    fuse_reply_err(req, -rc);
    return;
  }
  fi->fh = (uint64_t)(uintptr_t)f;
  fi->keep_cache = 0; /* every open re-reads what other clients wrote */
  fuse_reply_open(req, fi);
}

void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, struct fuse_file_info *fi) {
  struct inode *dir = inode_get(parent);
  if (!dir) {
    fuse_reply_err(req, ESTALE);
    return;
  }
  if (opt.read_only) {
    fuse_reply_err(req, EROFS);
    return;
  }
  uint32_t uid, gid;
  caller(req, &uid, &gid);
  struct ofile *f = new_ofile(NULL, uid, gid);
  nfs_fh fh;
  nfs_attr a;
  int rc = open_by_name(uid, gid, f, dir, name, share_access(fi->flags), 1, mode, fi->flags & O_EXCL, fi->flags & O_TRUNC, &fh, &a);
  if (rc < 0) {
    free(f);
    fuse_reply_err(req, -rc);
    return;
  }
  f->in = inode_put(&fh, &a, parent, name);
  struct fuse_entry_param e;
  memset(&e, 0, sizeof e);
  e.ino = f->in->ino;
  e.attr_timeout = e.entry_timeout = ATTR_TIMEOUT;
  to_stat(&a, e.ino, &e.attr);
  fi->fh = (uint64_t)(uintptr_t)f;
  fi->keep_cache = 0;
  fuse_reply_create(req, &e, fi);
}

void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)ino;
  struct ofile *f = OFILE(fi);
  settle(f->in);
  uint32_t uid, gid;
  caller(req, &uid, &gid);
  if (size > MAX_IO) size = MAX_IO;
  uint8_t stateid[16];
  io_stateid(f, stateid);
  for (int attempt = 0;; attempt++) {
    compound c;
    cp_begin(&c, uid, gid);
    cp_putfh(&c, &f->in->fh);
    cp_op(&c, OP_READ);
    xb_fixed(&c.call.msg, stateid, 16);
    xb_u64(&c.call.msg, (uint64_t)off);
    xb_u32(&c.call.msg, (uint32_t)size);
    cp_end(&c);
    uint32_t s = cp_status(&c);
    if (stateid_error(s) && attempt == 0) {
      cp_done(&c);
      state_lost(f);
      memset(stateid, 0, 16);
      continue;
    }
    if (s || (s = cp_res(&c, OP_PUTFH)) || (s = cp_res(&c, OP_READ))) {
      cp_done(&c);
      fuse_reply_err(req, nfs4_errno(s));
      return;
    }
    xr_u32(&c.call.body); /* eof */
    uint32_t n;
    const uint8_t *data = xr_opaque(&c.call.body, &n);
    fuse_reply_buf(req, (const char *)data, n);
    cp_done(&c);
    return;
  }
}

/* ---- writes ---- */
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

static int take_error(struct ofile *f) {
  pthread_mutex_lock(&f->in->mu);
  int e = f->error;
  f->error = 0;
  pthread_mutex_unlock(&f->in->mu);
  return e;
}

/* ---- byte-range locks: NFSv4 LOCK, LOCKT, LOCKU, a lock owner per FUSE lock owner and open file ---- */
enum { READ_LT = 1, WRITE_LT = 2, READW_LT = 3, WRITEW_LT = 4 };

static struct lockowner *lock_owner(struct ofile *f, uint64_t fuse_owner, int make) {
  pthread_mutex_lock(&f->mu);
  struct lockowner *lo = f->locks;
  while (lo && lo->fuse_owner != fuse_owner) lo = lo->next;
  if (!lo && make) {
    lo = calloc(1, sizeof *lo);
    lo->fuse_owner = fuse_owner;
    lo->next = f->locks;
    f->locks = lo;
  }
  pthread_mutex_unlock(&f->mu);
  return lo;
}

static void xb_lock_owner(xbuf *b, struct ofile *f, struct lockowner *lo) {
  xb_owner(b, f->clientid, "L", f->serial, lo->fuse_owner, lo->gen);
}

/* One LOCK: the owner's first as a new lock owner (open_to_lock_owner4, which moves the open owner's seqid too). */
static uint32_t lock_once(uint32_t uid, uint32_t gid, struct ofile *f, struct lockowner *lo, uint32_t type, uint64_t off, uint64_t len) {
  pthread_mutex_lock(&f->mu);
  if (!f->has_state || !f->owner) {
    pthread_mutex_unlock(&f->mu);
    return NFS4ERR_BAD_STATEID;
  }
  compound c;
  cp_begin(&c, uid, gid);
  cp_putfh(&c, &f->in->fh);
  cp_op(&c, OP_LOCK);
  xbuf *m = &c.call.msg;
  xb_u32(m, type);
  xb_u32(m, 0); /* not a reclaim */
  xb_u64(m, off);
  xb_u64(m, len);
  int fresh = !lo->established;
  xb_u32(m, fresh);
  if (fresh) {
    xb_u32(m, f->owner->seqid);
    xb_fixed(m, f->stateid, 16);
    xb_u32(m, 0);
    xb_lock_owner(m, f, lo);
  } else {
    xb_fixed(m, lo->stateid, 16);
    xb_u32(m, lo->seqid);
  }
  cp_end(&c);
  cp_status(&c);
  uint32_t s = cp_res(&c, OP_PUTFH);
  if (!s) {
    s = cp_res(&c, OP_LOCK);
    if (fresh) {
      if (seqid_consumed(s)) f->owner->seqid++;
      if (!s) {
        lo->established = 1;
        lo->seqid = 1;
      } else {
        lo->gen++;
      }
    } else if (seqid_consumed(s)) {
      lo->seqid++;
    }
    if (!s) {
      xr_fixed(&c.call.body, lo->stateid, 16);
      lo->holds = 1;
    }
  }
  cp_done(&c);
  pthread_mutex_unlock(&f->mu);
  return s;
}

static uint32_t lock_unlock(uint32_t uid, uint32_t gid, struct ofile *f, struct lockowner *lo, uint64_t off, uint64_t len) {
  pthread_mutex_lock(&f->mu);
  if (!lo->established) {
    pthread_mutex_unlock(&f->mu);
    return 0;
  }
  compound c;
  cp_begin(&c, uid, gid);
  cp_putfh(&c, &f->in->fh);
  cp_op(&c, OP_LOCKU);
  xb_u32(&c.call.msg, WRITE_LT);
  xb_u32(&c.call.msg, lo->seqid);
  xb_fixed(&c.call.msg, lo->stateid, 16);
  xb_u64(&c.call.msg, off);
  xb_u64(&c.call.msg, len);
  cp_end(&c);
  cp_status(&c);
  uint32_t s = cp_res(&c, OP_PUTFH);
  if (!s) {
    s = cp_res(&c, OP_LOCKU);
    if (seqid_consumed(s)) lo->seqid++;
    if (!s) xr_fixed(&c.call.body, lo->stateid, 16);
    if (!s && off == 0 && len == UINT64_MAX) lo->holds = 0;
  }
  if (stateid_error(s)) {
    lo->established = 0; /* the server forgot it (and its locks) */
    lo->gen++;
    s = 0;
  }
  cp_done(&c);
  pthread_mutex_unlock(&f->mu);
  return s;
}

static uint64_t nfs_length(off_t len) { return len == 0 ? UINT64_MAX : (uint64_t)len; }

/* One LOCK's outcome: 0, an errno, or -1 for NFS4ERR_DENIED (or the server busy). */
static int try_lock(uint32_t uid, uint32_t gid, struct ofile *f, struct lockowner *lo, uint32_t type, uint64_t off, uint64_t len) {
  uint32_t s = lock_once(uid, gid, f, lo, type, off, len);
  if (s == NFS4ERR_STALE_CLIENTID || s == NFS4ERR_EXPIRED) client_id_lost(f->clientid);
  if (stateid_error(s)) return ENOLCK;
  if (s == NFS4ERR_DENIED || s == NFS4ERR_DELAY) return -1;
  return nfs4_errno(s);
}

struct lock_wait {
  fuse_req_t req;
  struct ofile *f; /* open while its caller waits in fcntl or flock */
  struct lockowner *lo;
  uint32_t uid, gid, type;
  uint64_t off, len;
};

/* A blocked F_SETLKW or flock, in a thread of its own (so waiters never hold FUSE's worker threads, which the
 * holder's unlock needs): asked again while the server answers NFS4ERR_DENIED, as the Linux NFS client polls,
 * after 10 ms, doubling to 0.5 s; an interrupted waiter (a signal) ends with EINTR. */
static void *lock_waiter(void *arg) {
  struct lock_wait *w = arg;
  long delay_ms = 10;
  int e;
  for (;;) {
    if (fuse_req_interrupted(w->req)) {
      e = EINTR;
      break;
    }
    struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
    if (delay_ms < 500) delay_ms *= 2;
    e = try_lock(w->uid, w->gid, w->f, w->lo, w->type, w->off, w->len);
    if (e >= 0) break;
  }
  fuse_reply_err(w->req, e);
  free(w);
  return NULL;
}

/* Returns an errno to answer now, or -1 when a waiter thread answers later. */
static int lock_range(fuse_req_t req, struct ofile *f, uint64_t fuse_owner, int exclusive, uint64_t off, uint64_t len, int wait) {
  uint32_t uid, gid;
  caller(req, &uid, &gid);
  settle(f->in);
  struct lockowner *lo = lock_owner(f, fuse_owner, 1);
  uint32_t type = exclusive ? (wait ? WRITEW_LT : WRITE_LT) : (wait ? READW_LT : READ_LT);
  int e = try_lock(uid, gid, f, lo, type, off, len);
  if (e >= 0) return e;
  if (!wait) return EAGAIN;
  struct lock_wait *w = calloc(1, sizeof *w);
  *w = (struct lock_wait){req, f, lo, uid, gid, type, off, len};
  pthread_t t;
  if (pthread_create(&t, NULL, lock_waiter, w) != 0) {
    free(w);
    return ENOLCK;
  }
  pthread_detach(t);
  return -1;
}

static int unlock_range(fuse_req_t req, struct ofile *f, uint64_t fuse_owner, uint64_t off, uint64_t len) {
  uint32_t uid, gid;
  caller(req, &uid, &gid);
  struct lockowner *lo = lock_owner(f, fuse_owner, 0);
  if (!lo) return 0;
  return nfs4_errno(lock_unlock(uid, gid, f, lo, off, len));
}

void op_getlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct flock *fl) {
  (void)ino;
  struct ofile *f = OFILE(fi);
  uint32_t uid, gid;
  caller(req, &uid, &gid);
  uint64_t id;
  if (client_id(&id) < 0) {
    fuse_reply_err(req, EIO);
    return;
  }
  struct lockowner *lo = lock_owner(f, fi->lock_owner, 1);
  compound c;
  cp_begin(&c, uid, gid);
  cp_putfh(&c, &f->in->fh);
  cp_op(&c, OP_LOCKT);
  uint32_t want = fl->l_type == F_WRLCK ? WRITE_LT : READ_LT;
  xb_u32(&c.call.msg, want);
  xb_u64(&c.call.msg, (uint64_t)fl->l_start);
  xb_u64(&c.call.msg, nfs_length(fl->l_len));
  pthread_mutex_lock(&f->mu);
  if (!f->clientid) f->clientid = id;
  xb_lock_owner(&c.call.msg, f, lo);
  pthread_mutex_unlock(&f->mu);
  cp_end(&c);
  cp_status(&c);
  uint32_t s = cp_res(&c, OP_PUTFH);
  if (!s) s = cp_res(&c, OP_LOCKT);
  if (s == NFS4ERR_DENIED) {
    /* Another owner's lock (of this client or another): where it is and what it is. */
    uint64_t off = xr_u64(&c.call.body), len = xr_u64(&c.call.body);
    uint32_t type = xr_u32(&c.call.body);
    fl->l_type = type == WRITE_LT || type == WRITEW_LT ? F_WRLCK : F_RDLCK;
    fl->l_whence = SEEK_SET;
    fl->l_start = (off_t)off;
    fl->l_len = len == UINT64_MAX || len > INT64_MAX ? 0 : (off_t)len;
    fl->l_pid = 0;
    s = 0;
  } else if (!s) {
    fl->l_type = F_UNLCK;
  }
  cp_done(&c);
  if (!s && fl->l_type == F_UNLCK && !lo->holds) {
    /* The mount target's server knows its own clients' locks; another zone's mount target serves the same files and
     * holds its clients' locks on them too, which only a LOCK meets: one is tried (and undone) by this owner when
     * it holds none of its own that the LOCK could change. */
    uint64_t off = (uint64_t)fl->l_start, len = nfs_length(fl->l_len);
    uint32_t probe = lock_once(uid, gid, f, lo, want == WRITE_LT ? WRITE_LT : READ_LT, off, len);
    if (probe == 0) {
      lock_unlock(uid, gid, f, lo, off, len);
      lo->holds = 0;
    }
    if (probe == NFS4ERR_DENIED) {
      fl->l_type = want == WRITE_LT ? F_WRLCK : F_RDLCK;
      fl->l_whence = SEEK_SET;
      fl->l_pid = 0;
    }
  }
  if (s) fuse_reply_err(req, nfs4_errno(s));
  else fuse_reply_lock(req, fl);
}

void op_setlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct flock *fl, int sleep) {
  (void)ino;
  struct ofile *f = OFILE(fi);
  uint64_t off = (uint64_t)fl->l_start, len = nfs_length(fl->l_len);
  int e = fl->l_type == F_UNLCK ? unlock_range(req, f, fi->lock_owner, off, len)
                                : lock_range(req, f, fi->lock_owner, fl->l_type == F_WRLCK, off, len, sleep);
  if (e >= 0) fuse_reply_err(req, e);
}

/* flock: a lock of the whole file by the open file's owner (as the Linux NFS client emulates it). */
void op_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op) {
  (void)ino;
  struct ofile *f = OFILE(fi);
  int e = (op & LOCK_UN) ? unlock_range(req, f, fi->lock_owner, 0, UINT64_MAX)
                         : lock_range(req, f, fi->lock_owner, (op & LOCK_EX) != 0, 0, UINT64_MAX, !(op & LOCK_NB));
  if (e >= 0) fuse_reply_err(req, e);
}

/* close(2): the writes answered (close-to-open), their first error reported; the closing process's POSIX locks on
 * the file released (as close releases them). */
void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  (void)ino;
  struct ofile *f = OFILE(fi);
  settle(f->in);
  int e = take_error(f);
  unlock_range(req, f, fi->lock_owner, 0, UINT64_MAX);
  fuse_reply_err(req, e);
}

void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi) {
  (void)ino;
  (void)datasync;
  struct ofile *f = OFILE(fi);
  struct inode *in = f->in;
  settle(in);
  int e = take_error(f);
  if (e) {
    fuse_reply_err(req, e);
    return;
  }
  uint32_t uid, gid;
  caller(req, &uid, &gid);
  compound c;
  cp_begin(&c, uid, gid);
  cp_putfh(&c, &in->fh);
  cp_op(&c, OP_COMMIT);
  xb_u64(&c.call.msg, 0);
  xb_u32(&c.call.msg, 0);
  cp_end(&c);
  uint32_t s = cp_status(&c);
  if (!s) s = cp_res(&c, OP_PUTFH);
  if (!s) s = cp_res(&c, OP_COMMIT);
  uint8_t verf[8];
  if (!s) xr_fixed(&c.call.body, verf, 8);
  cp_done(&c);
  if (s) {
    fuse_reply_err(req, nfs4_errno(s));
    return;
  }
  pthread_mutex_lock(&in->mu);
  /* The server restarted between an unstable write and its COMMIT: those bytes may be lost. */
  e = f->verf_set && (f->verf_mixed || memcmp(f->verf, verf, 8)) ? EIO : 0;
  f->verf_set = f->verf_mixed = 0;
  pthread_mutex_unlock(&in->mu);
  fuse_reply_err(req, e);
}

/* The last close: its locks (flock's too) released and its CLOSE sent, in this worker thread (the kernel does not
 * wait for a RELEASE). */
void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  (void)ino;
  struct ofile *f = OFILE(fi);
  settle(f->in);
  fuse_reply_err(req, 0);
  close_state(f->uid, f->gid, f);
  for (struct lockowner *lo = f->locks, *next; lo; lo = next) {
    next = lo->next;
    free(lo);
  }
  pthread_mutex_destroy(&f->mu);
  free(f);
}
