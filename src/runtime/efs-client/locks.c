/* Byte-range locks (fcntl) and flock: NFSv4 LOCK, LOCKT and LOCKU, an NFSv4 lock owner per FUSE lock owner of an
 * open file. */
#include "files.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>

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

uint32_t lock_unlock(uint32_t uid, uint32_t gid, struct ofile *f, struct lockowner *lo, uint64_t off, uint64_t len) {
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

int unlock_range(fuse_req_t req, struct ofile *f, uint64_t fuse_owner, uint64_t off, uint64_t len) {
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
