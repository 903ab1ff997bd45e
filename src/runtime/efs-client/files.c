/* Open files: each holds an NFSv4 OPEN of its own (its own open owner, so no seqid is shared and one CLOSE never
 * ends another opener's state), by which its reads, writes (writes.c) and byte-range locks (locks.c) go. */
#include "files.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>

static pthread_mutex_t serial_mu = PTHREAD_MUTEX_INITIALIZER;
static uint32_t serials;

void io_stateid(struct ofile *f, uint8_t out[16]) {
  pthread_mutex_lock(&f->mu);
  memcpy(out, f->has_state ? f->stateid : ANON_STATEID, 16);
  pthread_mutex_unlock(&f->mu);
}

void file_stateid(struct fuse_file_info *fi, uint8_t out[16]) { io_stateid(OFILE(fi), out); }

void state_lost(struct ofile *f) {
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
      if (create) names_forget(dir);
      return -nfs4_errno(s);
    }
    xrd *r = &c.call.body;
    uint8_t stateid[16];
    xr_fixed(r, stateid, 16);
    xr_u32(r); /* change_info4: atomic (ganesha's never is), before, after */
    uint64_t before = xr_u64(r), after = xr_u64(r);
    if (create) names_changed(dir, before, after, name, NULL);
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

static void unlock_all(uint32_t uid, uint32_t gid, struct ofile *f) {
  for (struct lockowner *lo = f->locks; lo; lo = lo->next)
    if (lo->established) lock_unlock(uid, gid, f, lo, 0, UINT64_MAX);
}

/* Its locks released, then its CLOSE (its open owner back to the pool). Under nothing: takes f->mu. */
static void close_state(uint32_t uid, uint32_t gid, struct ofile *f) {
  unlock_all(uid, gid, f);
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

int take_error(struct ofile *f) {
  pthread_mutex_lock(&f->in->mu);
  int e = f->error;
  f->error = 0;
  pthread_mutex_unlock(&f->in->mu);
  return e;
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

/* The last close: its locks (flock's too) released in this worker thread (the kernel does not wait for a RELEASE),
 * its CLOSE sent later with others' (closes.c). */
void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  (void)ino;
  struct ofile *f = OFILE(fi);
  settle(f->in);
  fuse_reply_err(req, 0);
  unlock_all(f->uid, f->gid, f);
  for (struct lockowner *lo = f->locks, *next; lo; lo = next) {
    next = lo->next;
    free(lo);
  }
  f->locks = NULL;
  close_later(f);
}
