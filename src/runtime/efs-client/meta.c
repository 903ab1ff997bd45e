/* Names, attributes and directories: each FUSE request is one COMPOUND by file handle (PUTFH, the op, GETFH and
 * GETATTR of what it made or found), answered with the uid/gid translation of the instance's user namespace. */
#include "ops.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

struct options opt;

/* ---- the objects the kernel knows ---- */
#define BUCKETS 4096
static struct inode *table[BUCKETS];
static pthread_mutex_t table_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t root_fileid;

double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

fuse_ino_t ino_of(const nfs_attr *a) {
  if (a->fileid == root_fileid) return FUSE_ROOT_ID;
  return a->fileid <= 1 ? a->fileid + 2 : a->fileid;
}

struct inode *inode_get(fuse_ino_t ino) {
  pthread_mutex_lock(&table_mu);
  struct inode *in = table[ino % BUCKETS];
  while (in && in->ino != ino) in = in->next;
  pthread_mutex_unlock(&table_mu);
  return in;
}

/* Kept for the mount's life (a few hundred bytes per object seen); a file handle found again replaces the old one
 * (a fileid the server reused for a new file). */
struct inode *inode_put(const nfs_fh *fh, const nfs_attr *a, fuse_ino_t parent, const char *name) {
  fuse_ino_t ino = ino_of(a);
  pthread_mutex_lock(&table_mu);
  struct inode *in = table[ino % BUCKETS];
  while (in && in->ino != ino) in = in->next;
  if (!in) {
    in = calloc(1, sizeof *in);
    in->ino = ino;
    pthread_mutex_init(&in->mu, NULL);
    pthread_cond_init(&in->cond, NULL);
    in->next = table[ino % BUCKETS];
    table[ino % BUCKETS] = in;
  }
  pthread_mutex_lock(&in->mu);
  if (in->fh.len != fh->len || memcmp(in->fh.data, fh->data, fh->len)) {
    names_free(in->names); /* the fileid is another object's now */
    in->names = NULL;
  }
  in->fh = *fh;
  if (name && ino != FUSE_ROOT_ID) {
    free(in->name);
    in->name = strdup(name);
    in->parent = parent;
  }
  pthread_mutex_unlock(&in->mu);
  pthread_mutex_unlock(&table_mu);
  return in;
}

void set_root(const nfs_fh *fh, const nfs_attr *a) {
  root_fileid = a->fileid;
  inode_put(fh, a, 0, NULL);
}

#define ID_RANGE 65536
#define NOBODY 65534

uint32_t inside(uint32_t host_id) {
  if (!opt.id_base) return host_id;
  return host_id - opt.id_base < ID_RANGE && host_id >= opt.id_base ? (uint32_t)(host_id - opt.id_base) : NOBODY;
}

static uint32_t outside(uint32_t stored) {
  if (!opt.id_base) return stored;
  return (uint32_t)(opt.id_base + (stored < ID_RANGE ? stored : NOBODY));
}

void caller(fuse_req_t req, uint32_t *uid, uint32_t *gid) {
  const struct fuse_ctx *ctx = fuse_req_ctx(req);
  *uid = inside(ctx->uid);
  *gid = inside(ctx->gid);
}

void to_stat(const nfs_attr *a, fuse_ino_t ino, struct stat *st) {
  memset(st, 0, sizeof *st);
  st->st_ino = ino;
  st->st_mode = a->mode;
  st->st_nlink = a->nlink;
  st->st_uid = outside(a->uid);
  st->st_gid = outside(a->gid);
  st->st_size = (off_t)a->size;
  st->st_blksize = 4096;
  st->st_blocks = (blkcnt_t)((a->size + 511) / 512);
  st->st_atim = a->atime;
  st->st_mtim = a->mtime;
  st->st_ctim = a->ctime;
}

int stateid_error(uint32_t s) {
  return s == NFS4ERR_BAD_STATEID || s == NFS4ERR_STALE_STATEID || s == NFS4ERR_EXPIRED || s == NFS4ERR_OLD_STATEID ||
         s == NFS4ERR_ADMIN_REVOKED || s == NFS4ERR_STALE_CLIENTID;
}

static void reply_entry(fuse_req_t req, struct inode *in, const nfs_attr *a) {
  struct fuse_entry_param e;
  memset(&e, 0, sizeof e);
  e.ino = in->ino;
  e.attr_timeout = e.entry_timeout = ATTR_TIMEOUT;
  to_stat(a, in->ino, &e.attr);
  fuse_reply_entry(req, &e);
}

/* The kernel asks for a directory's attributes again after every entry made in it (its times changed) to check the
 * next lookup's permission: a directory's are kept as long as the kernel would keep them. */
static void keep_dir_attrs(struct inode *in, const nfs_attr *a) {
  if (!S_ISDIR(a->mode)) return;
  pthread_mutex_lock(&in->mu);
  to_stat(a, in->ino, &in->attr);
  in->attr_at = now();
  pthread_mutex_unlock(&in->mu);
}

void forget_dir_attrs(struct inode *in) {
  pthread_mutex_lock(&in->mu);
  in->attr_at = 0;
  pthread_mutex_unlock(&in->mu);
}

#define BEGIN(req, c)              \
  uint32_t uid, gid;               \
  caller(req, &uid, &gid);         \
  compound c;                      \
  cp_begin(&c, uid, gid)

/* Ends a request whose COMPOUND failed at status s (its errno). */
static void fail(fuse_req_t req, compound *c, uint32_t s) {
  cp_done(c);
  fuse_reply_err(req, nfs4_errno(s));
}

#define INODE(req, ino, in)             \
  struct inode *in = inode_get(ino);    \
  if (!in) {                            \
    fuse_reply_err(req, ESTALE);        \
    return;                             \
  }

/* GETFH and GETATTR ending a COMPOUND: the object is known from then on, and the kernel told of it. */
static void reply_made(fuse_req_t req, compound *c, fuse_ino_t parent, const char *name, int made) {
  nfs_fh fh;
  nfs_attr a;
  uint32_t s = cp_res(c, OP_GETFH);
  if (s || cp_getfh(c, &fh) < 0 || (s = cp_res(c, OP_GETATTR)) || cp_attrs(c, &a) < 0) {
    fail(req, c, s ? s : 5);
    return;
  }
  cp_done(c);
  struct inode *in = inode_put(&fh, &a, parent, name);
  keep_dir_attrs(in, &a);
  if (made && S_ISDIR(a.mode)) names_begin(in, a.change); /* empty, as this client made it */
  reply_entry(req, in, &a);
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
  INODE(req, parent, dir);
  double holds;
  if (names_absent(dir, name, &holds)) {
    struct fuse_entry_param e;
    memset(&e, 0, sizeof e);
    e.entry_timeout = holds;
    fuse_reply_entry(req, &e);
    return;
  }
  int check = names_kept(dir); /* the directory's change attribute asked too, to confirm its names */
  BEGIN(req, c);
  cp_putfh(&c, &dir->fh);
  if (check) cp_getattr(&c, 0);
  cp_op(&c, OP_LOOKUP);
  xb_str(&c.call.msg, name);
  cp_op(&c, OP_GETFH);
  cp_getattr(&c, 0);
  cp_end(&c);
  uint32_t status = cp_status(&c);
  nfs_attr da;
  uint32_t s = cp_res(&c, OP_PUTFH);
  if (!s && check && ((s = cp_res(&c, OP_GETATTR)) || cp_attrs(&c, &da) < 0)) check = 0;
  if (status == 2) {
    /* The kernel keeps the name's absence as long as a name's presence (what a search path asks again and again). */
    cp_done(&c);
    if (check) names_check(dir, da.change, name, 0);
    else names_forget(dir);
    struct fuse_entry_param e;
    memset(&e, 0, sizeof e);
    e.entry_timeout = ATTR_TIMEOUT;
    fuse_reply_entry(req, &e);
    return;
  }
  if (s || (s = cp_res(&c, OP_LOOKUP))) return fail(req, &c, s ? s : status);
  if (check) names_check(dir, da.change, name, 1);
  else names_forget(dir);
  reply_made(req, &c, parent, name, 0);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  (void)fi;
  INODE(req, ino, in);
  pthread_mutex_lock(&in->mu);
  if (in->attr_at && now() - in->attr_at < ATTR_TIMEOUT) {
    struct stat st = in->attr;
    pthread_mutex_unlock(&in->mu);
    fuse_reply_attr(req, &st, ATTR_TIMEOUT);
    return;
  }
  pthread_mutex_unlock(&in->mu);
  settle(in);
  BEGIN(req, c);
  cp_putfh(&c, &in->fh);
  cp_getattr(&c, 0);
  cp_end(&c);
  nfs_attr a;
  uint32_t s = cp_status(&c);
  if (s || (s = cp_res(&c, OP_PUTFH)) || (s = cp_res(&c, OP_GETATTR)) || cp_attrs(&c, &a) < 0) return fail(req, &c, s ? s : 5);
  cp_done(&c);
  keep_dir_attrs(in, &a);
  struct stat st;
  to_stat(&a, ino, &st);
  fuse_reply_attr(req, &st, ATTR_TIMEOUT);
}

static void settime(xbuf *b, int now_flag, struct timespec t) {
  if (now_flag) {
    xb_u32(b, 0); /* SET_TO_SERVER_TIME4 */
    return;
  }
  xb_u32(b, 1);
  xb_u64(b, (uint64_t)t.tv_sec);
  xb_u32(b, (uint32_t)t.tv_nsec);
}

/* chmod, chown, truncate and utimes, of open and closed files, directories and links alike: one SETATTR. */
void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi) {
  INODE(req, ino, in);
  if (opt.read_only) {
    fuse_reply_err(req, EROFS);
    return;
  }
  settle(in);
  forget_dir_attrs(in);
  uint32_t w0 = 0, w1 = 0;
  xbuf v;
  xb_init(&v, 128);
  char id[16];
  if (to_set & FUSE_SET_ATTR_SIZE) {
    w0 |= 1u << 4;
    xb_u64(&v, (uint64_t)attr->st_size);
  }
  if (to_set & FUSE_SET_ATTR_MODE) {
    w1 |= 1u << 1;
    xb_u32(&v, attr->st_mode & 07777);
  }
  if (to_set & FUSE_SET_ATTR_UID) {
    w1 |= 1u << 4;
    snprintf(id, sizeof id, "%u", inside(attr->st_uid));
    xb_str(&v, id);
  }
  if (to_set & FUSE_SET_ATTR_GID) {
    w1 |= 1u << 5;
    snprintf(id, sizeof id, "%u", inside(attr->st_gid));
    xb_str(&v, id);
  }
  if (to_set & FUSE_SET_ATTR_ATIME) {
    w1 |= 1u << 16;
    settime(&v, to_set & FUSE_SET_ATTR_ATIME_NOW, attr->st_atim);
  }
  if (to_set & FUSE_SET_ATTR_MTIME) {
    w1 |= 1u << 22;
    settime(&v, to_set & FUSE_SET_ATTR_MTIME_NOW, attr->st_mtim);
  }
  uint8_t stateid[16];
  memset(stateid, 0, sizeof stateid);
  if (fi && (to_set & FUSE_SET_ATTR_SIZE)) file_stateid(fi, stateid);
  for (int attempt = 0;; attempt++) {
    BEGIN(req, c);
    cp_putfh(&c, &in->fh);
    cp_op(&c, OP_SETATTR);
    xb_fixed(&c.call.msg, stateid, 16);
    xb_u32(&c.call.msg, 2);
    xb_u32(&c.call.msg, w0);
    xb_u32(&c.call.msg, w1);
    xb_opaque(&c.call.msg, v.buf, v.len);
    cp_getattr(&c, 0);
    cp_end(&c);
    nfs_attr a;
    uint32_t s = cp_status(&c);
    if (stateid_error(s) && attempt == 0) {
      /* The open's state is gone (a server restart): as any other client may, by the anonymous stateid. */
      cp_done(&c);
      memset(stateid, 0, sizeof stateid);
      continue;
    }
    xb_free(&v);
    if (s || (s = cp_res(&c, OP_PUTFH)) || (s = cp_res(&c, OP_SETATTR))) return fail(req, &c, s);
    uint32_t n = xr_u32(&c.call.body);
    xr_skip(&c.call.body, 4 * (size_t)n);
    if ((s = cp_res(&c, OP_GETATTR)) || cp_attrs(&c, &a) < 0) return fail(req, &c, s ? s : 5);
    cp_done(&c);
    struct stat st;
    to_stat(&a, ino, &st);
    fuse_reply_attr(req, &st, ATTR_TIMEOUT);
    return;
  }
}

void op_readlink(fuse_req_t req, fuse_ino_t ino) {
  INODE(req, ino, in);
  BEGIN(req, c);
  cp_putfh(&c, &in->fh);
  cp_op(&c, OP_READLINK);
  cp_end(&c);
  uint32_t s = cp_status(&c);
  if (s || (s = cp_res(&c, OP_PUTFH)) || (s = cp_res(&c, OP_READLINK))) return fail(req, &c, s);
  uint32_t n;
  const uint8_t *p = xr_opaque(&c.call.body, &n);
  char *link = strndup((const char *)p, n);
  cp_done(&c);
  fuse_reply_readlink(req, link);
  free(link);
}

/* CREATE of a directory or a symbolic link. */
static void make(fuse_req_t req, fuse_ino_t parent, const char *name, uint32_t type, const char *link, mode_t mode) {
  INODE(req, parent, dir);
  if (opt.read_only) {
    fuse_reply_err(req, EROFS);
    return;
  }
  BEGIN(req, c);
  cp_putfh(&c, &dir->fh);
  cp_op(&c, OP_CREATE);
  xb_u32(&c.call.msg, type);
  if (link) xb_str(&c.call.msg, link);
  xb_str(&c.call.msg, name);
  xb_u32(&c.call.msg, 2);
  xb_u32(&c.call.msg, 0);
  xb_u32(&c.call.msg, link ? 0 : 1u << 1);
  if (link) xb_u32(&c.call.msg, 0);
  else {
    xb_u32(&c.call.msg, 4);
    xb_u32(&c.call.msg, mode & 07777);
  }
  cp_op(&c, OP_GETFH);
  cp_getattr(&c, 0);
  cp_end(&c);
  uint32_t s = cp_status(&c);
  if (s || (s = cp_res(&c, OP_PUTFH)) || (s = cp_res(&c, OP_CREATE))) {
    names_forget(dir);
    return fail(req, &c, s);
  }
  xr_u32(&c.call.body); /* change_info4: atomic (ganesha's never is), before, after */
  uint64_t before = xr_u64(&c.call.body), after = xr_u64(&c.call.body);
  names_changed(dir, before, after, name, NULL);
  uint32_t n = xr_u32(&c.call.body);
  xr_skip(&c.call.body, 4 * (size_t)n);
  forget_dir_attrs(dir);
  reply_made(req, &c, parent, name, 1);
}

void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode) { make(req, parent, name, 2, NULL, mode); }

void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name) { make(req, parent, name, 5, link, 0); }

static void remove_name(fuse_req_t req, fuse_ino_t parent, const char *name) {
  INODE(req, parent, dir);
  if (opt.read_only) {
    fuse_reply_err(req, EROFS);
    return;
  }
  BEGIN(req, c);
  cp_putfh(&c, &dir->fh);
  cp_op(&c, OP_REMOVE);
  xb_str(&c.call.msg, name);
  cp_end(&c);
  uint32_t s = cp_status(&c);
  if (!s && !(s = cp_res(&c, OP_PUTFH)) && !(s = cp_res(&c, OP_REMOVE))) {
    xr_u32(&c.call.body);
    uint64_t before = xr_u64(&c.call.body), after = xr_u64(&c.call.body);
    names_changed(dir, before, after, NULL, name);
  } else {
    names_forget(dir);
  }
  cp_done(&c);
  fuse_reply_err(req, nfs4_errno(s));
}

void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name) { remove_name(req, parent, name); }

void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name) {
  struct inode *dir = inode_get(parent);
  if (dir) forget_dir_attrs(dir); /* its link count changes */
  remove_name(req, parent, name);
}

void op_rename(fuse_req_t req, fuse_ino_t p_old, const char *n_old, fuse_ino_t p_new, const char *n_new, unsigned int flags) {
  if (flags) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  INODE(req, p_old, from);
  INODE(req, p_new, to);
  if (opt.read_only) {
    fuse_reply_err(req, EROFS);
    return;
  }
  BEGIN(req, c);
  cp_putfh(&c, &from->fh);
  cp_op(&c, OP_SAVEFH);
  cp_putfh(&c, &to->fh);
  cp_op(&c, OP_RENAME);
  xb_str(&c.call.msg, n_old);
  xb_str(&c.call.msg, n_new);
  cp_end(&c);
  uint32_t s = cp_status(&c);
  cp_done(&c);
  forget_dir_attrs(from);
  forget_dir_attrs(to);
  names_forget(from);
  names_forget(to);
  fuse_reply_err(req, nfs4_errno(s));
}

void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t parent, const char *name) {
  INODE(req, ino, in);
  INODE(req, parent, dir);
  if (opt.read_only) {
    fuse_reply_err(req, EROFS);
    return;
  }
  BEGIN(req, c);
  cp_putfh(&c, &in->fh);
  cp_op(&c, OP_SAVEFH);
  cp_putfh(&c, &dir->fh);
  cp_op(&c, OP_LINK);
  xb_str(&c.call.msg, name);
  cp_putfh(&c, &in->fh);
  cp_op(&c, OP_GETFH);
  cp_getattr(&c, 0);
  cp_end(&c);
  uint32_t s = cp_status(&c);
  if (s || (s = cp_res(&c, OP_PUTFH)) || (s = cp_res(&c, OP_SAVEFH)) || (s = cp_res(&c, OP_PUTFH)) || (s = cp_res(&c, OP_LINK)))
    return fail(req, &c, s);
  xr_skip(&c.call.body, 20);
  names_forget(dir);
  if ((s = cp_res(&c, OP_PUTFH))) return fail(req, &c, s);
  forget_dir_attrs(dir);
  reply_made(req, &c, parent, name, 0);
}

/* ---- directories: READDIRs that carry the entries' attributes and file handles (not a LOOKUP per entry) ---- */
struct listing {
  size_t n, cap;
  char **names;
  nfs_attr *attrs;
};

static void free_listing(struct listing *l) {
  for (size_t i = 0; i < l->n; i++) free(l->names[i]);
  free(l->names);
  free(l->attrs);
  l->n = l->cap = 0;
  l->names = NULL;
  l->attrs = NULL;
}

void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  INODE(req, ino, in);
  fi->fh = (uint64_t)(uintptr_t)calloc(1, sizeof(struct listing));
  fuse_reply_open(req, fi);
}

void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  (void)ino;
  struct listing *l = (struct listing *)(uintptr_t)fi->fh;
  free_listing(l);
  free(l);
  fuse_reply_err(req, 0);
}

static int list(fuse_req_t req, struct inode *dir, struct listing *l) {
  free_listing(l);
  uint64_t cookie = 0;
  uint8_t verifier[8] = {0};
  for (;;) {
    BEGIN(req, c);
    cp_putfh(&c, &dir->fh);
    cp_op(&c, OP_READDIR);
    xb_u64(&c.call.msg, cookie);
    xb_fixed(&c.call.msg, verifier, 8);
    xb_u32(&c.call.msg, 1u << 16);
    xb_u32(&c.call.msg, 1u << 18);
    xb_u32(&c.call.msg, 2);
    xb_u32(&c.call.msg, (1u << 1 | 1u << 3 | 1u << 4 | 1u << 20) | 1u << 19);
    xb_u32(&c.call.msg, 1u << 1 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 13 | 1u << 15 | 1u << 20 | 1u << 21);
    cp_end(&c);
    uint32_t s = cp_status(&c);
    if (s || (s = cp_res(&c, OP_PUTFH)) || (s = cp_res(&c, OP_READDIR))) {
      cp_done(&c);
      return -nfs4_errno(s);
    }
    xrd *r = &c.call.body;
    xr_fixed(r, verifier, 8);
    while (xr_u32(r) && !r->bad) {
      cookie = xr_u64(r);
      uint32_t n;
      const uint8_t *name = xr_opaque(r, &n);
      if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->names = realloc(l->names, l->cap * sizeof *l->names);
        l->attrs = realloc(l->attrs, l->cap * sizeof *l->attrs);
      }
      l->names[l->n] = strndup((const char *)name, n);
      decode_fattr(r, &l->attrs[l->n]);
      l->n++;
    }
    int eof = (int)xr_u32(r);
    int bad = r->bad;
    cp_done(&c);
    if (bad) return -EIO;
    if (eof) return 0;
  }
}

static void readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi, int plus) {
  INODE(req, ino, dir);
  struct listing *l = (struct listing *)(uintptr_t)fi->fh;
  if (off == 0 || !l->names) {
    /* A reading starts: the server is asked; the kernel's next pages come from that answer. */
    int rc = list(req, dir, l);
    if (rc < 0) {
      fuse_reply_err(req, -rc);
      return;
    }
  }
  char *buf = malloc(size);
  size_t used = 0;
  for (size_t i = (size_t)off; i < l->n; i++) {
    nfs_attr *a = &l->attrs[i];
    size_t need;
    if (plus) {
      struct fuse_entry_param e;
      memset(&e, 0, sizeof e);
      if (a->valid && a->has_fh) {
        struct inode *in = inode_put(&a->fh, a, ino, l->names[i]);
        e.ino = in->ino;
        e.attr_timeout = e.entry_timeout = ATTR_TIMEOUT;
        to_stat(a, in->ino, &e.attr);
      } else {
        e.attr.st_ino = a->valid ? ino_of(a) : 0;
        e.attr.st_mode = a->mode;
      }
      need = fuse_add_direntry_plus(req, buf + used, size - used, l->names[i], &e, (off_t)i + 1);
    } else {
      struct stat st;
      memset(&st, 0, sizeof st);
      st.st_ino = a->valid ? ino_of(a) : 0;
      st.st_mode = a->mode;
      need = fuse_add_direntry(req, buf + used, size - used, l->names[i], &st, (off_t)i + 1);
    }
    if (need > size - used) break;
    used += need;
  }
  fuse_reply_buf(req, buf, used);
  free(buf);
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
  readdir_common(req, ino, size, off, fi, 0);
}

void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
  readdir_common(req, ino, size, off, fi, 1);
}

void op_statfs(fuse_req_t req, fuse_ino_t ino) {
  (void)ino;
  /* EFS reports an 8 EiB file system that is never full. */
  struct statvfs s;
  memset(&s, 0, sizeof s);
  s.f_bsize = s.f_frsize = 4096;
  s.f_blocks = s.f_bfree = s.f_bavail = (8ull << 60) / 4096;
  s.f_files = s.f_ffree = s.f_favail = 1ull << 40;
  s.f_namemax = 255;
  fuse_reply_statfs(req, &s);
}

void op_access(fuse_req_t req, fuse_ino_t ino, int mask) {
  INODE(req, ino, in);
  if ((mask & W_OK) && opt.read_only) {
    fuse_reply_err(req, EROFS);
    return;
  }
  uint32_t want = (mask & R_OK ? 0x1 : 0) | (mask & W_OK ? 0x4 : 0) | (mask & X_OK ? 0x20 | 0x2 : 0);
  if (!want) {
    fuse_reply_err(req, 0);
    return;
  }
  BEGIN(req, c);
  cp_putfh(&c, &in->fh);
  cp_op(&c, OP_ACCESS);
  xb_u32(&c.call.msg, want);
  cp_end(&c);
  uint32_t s = cp_status(&c);
  if (s || (s = cp_res(&c, OP_PUTFH)) || (s = cp_res(&c, OP_ACCESS))) return fail(req, &c, s);
  uint32_t supported = xr_u32(&c.call.body), granted = xr_u32(&c.call.body);
  cp_done(&c);
  /* Execute and lookup: whichever the object's type supports. */
  uint32_t x = want & (0x20 | 0x2);
  int ok = (granted & (want & ~x & supported)) == (want & ~x & supported) && (!x || (granted & x));
  fuse_reply_err(req, ok ? 0 : EACCES);
}
