/* NFSv4.0 (RFC 7530) COMPOUNDs: building them, reading their results, the attributes this client asks for, the
 * client id with its lease, and the open owners. */
#include "efs.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <unistd.h>

const uint8_t ANON_STATEID[16];

void cp_begin(compound *c, uint32_t uid, uint32_t gid) {
  rpc_prepare(&c->call, uid, gid);
  xb_u32(&c->call.msg, 0); /* tag */
  xb_u32(&c->call.msg, 0); /* minor version */
  c->count_at = c->call.msg.len;
  xb_u32(&c->call.msg, 0);
  c->nops = 0;
  c->sequenced = 0;
}

void cp_op(compound *c, uint32_t op) {
  xb_u32(&c->call.msg, op);
  c->nops++;
  /* An op with a seqid: a NFS4ERR_DELAY moves it too (RFC 7530 9.1.7), so the same call is never sent again. */
  if (op == OP_OPEN || op == OP_OPEN_CONFIRM || op == OP_CLOSE || op == OP_LOCK || op == OP_LOCKU) c->sequenced = 1;
}

void cp_putfh(compound *c, const nfs_fh *fh) {
  cp_op(c, OP_PUTFH);
  xb_opaque(&c->call.msg, fh->data, fh->len);
}

/* What is asked: type, change, size, fileid (word 0; the file handle too in READDIR); mode, numlinks, owner,
 * owner_group, space_used, time_access, time_metadata, time_modify (word 1). */
#define W0 (1u << 1 | 1u << 3 | 1u << 4 | 1u << 20)
#define W0_FH (1u << 19)
#define W1 (1u << 1 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 13 | 1u << 15 | 1u << 20 | 1u << 21)

void cp_getattr(compound *c, int with_fh) {
  cp_op(c, OP_GETATTR);
  xb_u32(&c->call.msg, 2);
  xb_u32(&c->call.msg, W0 | (with_fh ? W0_FH : 0));
  xb_u32(&c->call.msg, W1);
}

void cp_finish(compound *c) {
  uint8_t *p = c->call.msg.buf + c->count_at;
  p[0] = c->nops >> 24;
  p[1] = c->nops >> 16;
  p[2] = c->nops >> 8;
  p[3] = c->nops;
}

/* Sent and answered; NFS4ERR_DELAY (the server busy: nothing of the COMPOUND was done from that op on) is asked
 * again after a pause (but for ops with a seqid, whose callers see it), under a new xid (the old one's answer is in the server's duplicate request cache). */
void cp_end(compound *c) {
  cp_finish(c);
  for (int pause_ms = 10;; pause_ms = pause_ms < 1000 ? pause_ms * 2 : pause_ms) {
    rpc_call(&c->call);
    xrd peek = c->call.body;
    if (c->sequenced || xr_u32(&peek) != NFS4ERR_DELAY) return;
    free(c->call.reply);
    c->call.reply = NULL;
    c->call.done = 0;
    rpc_new_xid(&c->call);
    struct timespec ts = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
}

uint32_t cp_status(compound *c) {
  xrd *r = &c->call.body;
  uint32_t status = xr_u32(r);
  uint32_t n;
  xr_opaque(r, &n);
  xr_u32(r); /* results */
  return status;
}

/* The next op's status (an op missing from the results: the COMPOUND stopped before it). */
uint32_t cp_res(compound *c, uint32_t op) {
  xrd *r = &c->call.body;
  if (r->at >= r->len) return 5;
  uint32_t got = xr_u32(r);
  uint32_t status = xr_u32(r);
  if (r->bad || got != op) return 5;
  return status;
}

int cp_getfh(compound *c, nfs_fh *fh) {
  uint32_t n;
  const uint8_t *p = xr_opaque(&c->call.body, &n);
  if (c->call.body.bad || n > NFS4_FHSIZE) return -EIO;
  fh->len = n;
  memcpy(fh->data, p, n);
  return 0;
}

static uint32_t id_of(const uint8_t *p, uint32_t n) {
  char s[32];
  if (n == 0 || n >= sizeof s) return 65534;
  memcpy(s, p, n);
  s[n] = 0;
  char *end;
  unsigned long v = strtoul(s, &end, 10);
  return *end ? 65534 : (uint32_t)v;
}

static void read_time(xrd *v, struct timespec *t) {
  t->tv_sec = (int64_t)xr_u64(v);
  t->tv_nsec = xr_u32(v);
}

static const mode_t TYPES[] = {0, S_IFREG, S_IFDIR, S_IFBLK, S_IFCHR, S_IFLNK, S_IFSOCK, S_IFIFO};

/* A fattr4 (bitmap, values) with the attributes asked; a->valid only when every one of them came. */
void decode_fattr(xrd *r, nfs_attr *a) {
  memset(a, 0, sizeof *a);
  uint32_t words = xr_u32(r), w[4] = {0};
  for (uint32_t i = 0; i < words; i++) {
    uint32_t x = xr_u32(r);
    if (i < 4) w[i] = x;
  }
  uint32_t vlen;
  const uint8_t *vals = xr_opaque(r, &vlen);
  if (r->bad || (w[0] & ~(W0 | W0_FH)) || (w[1] & ~W1) || w[2] || w[3]) return;
  xrd v = {vals, vlen, 0, 0};
  uint32_t n;
  const uint8_t *p;
  if (w[0] & (1u << 1)) a->type = xr_u32(&v);
  if (w[0] & (1u << 3)) a->change = xr_u64(&v);
  if (w[0] & (1u << 4)) a->size = xr_u64(&v);
  if (w[0] & W0_FH) {
    p = xr_opaque(&v, &n);
    if (n <= NFS4_FHSIZE) {
      a->fh.len = n;
      memcpy(a->fh.data, p, n);
      a->has_fh = 1;
    }
  }
  if (w[0] & (1u << 20)) a->fileid = xr_u64(&v);
  if (w[1] & (1u << 1)) a->mode = xr_u32(&v) & 07777;
  if (w[1] & (1u << 3)) a->nlink = xr_u32(&v);
  if (w[1] & (1u << 4)) {
    p = xr_opaque(&v, &n);
    a->uid = id_of(p, n);
  }
  if (w[1] & (1u << 5)) {
    p = xr_opaque(&v, &n);
    a->gid = id_of(p, n);
  }
  if (w[1] & (1u << 13)) a->used = xr_u64(&v);
  if (w[1] & (1u << 15)) read_time(&v, &a->atime);
  if (w[1] & (1u << 20)) read_time(&v, &a->ctime);
  if (w[1] & (1u << 21)) read_time(&v, &a->mtime);
  a->mode |= a->type < 8 ? TYPES[a->type] : 0;
  a->valid = !v.bad && (w[0] & W0) == W0 && (w[1] & W1) == W1;
}

int cp_attrs(compound *c, nfs_attr *a) {
  decode_fattr(&c->call.body, a);
  return a->valid ? 0 : -EIO;
}

void cp_done(compound *c) { rpc_release(&c->call); }

int nfs4_errno(uint32_t s) {
  switch (s) {
  case 0: return 0;
  case 1: return EPERM;
  case 2: return ENOENT;
  case 6: return ENXIO;
  case 13: return EACCES;
  case 17: return EEXIST;
  case 18: return EXDEV;
  case 20: return ENOTDIR;
  case 21: return EISDIR;
  case 22: return EINVAL;
  case 27: return EFBIG;
  case 28: return ENOSPC;
  case 30: return EROFS;
  case 31: return EMLINK;
  case 63: return ENAMETOOLONG;
  case 66: return ENOTEMPTY;
  case 69: return EDQUOT;
  case 70: case 10001: return ESTALE;
  case 10004: return EOPNOTSUPP;
  case 10010: case 10012: return EAGAIN;
  case 10029: return ELOOP;
  case 10040: case 10041: case 10043: case 10007: case 10032: return EINVAL;
  default: return EIO;
  }
}

/* RFC 7530 9.1.7: the seqid moves on with every answer but these. */
int seqid_consumed(uint32_t s) {
  return !(s == NFS4ERR_STALE_CLIENTID || s == NFS4ERR_STALE_STATEID || s == NFS4ERR_BAD_STATEID ||
           s == NFS4ERR_BAD_SEQID || s == 10036 /* BADXDR */ || s == 10018 /* RESOURCE */ ||
           s == 10020 /* NOFILEHANDLE */ || s == 10019 /* MOVED */ || s == 5 /* never reached */);
}

/* ---- the client id ---- */
static pthread_mutex_t id_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t clientid;
static int have_id;
static char client_name[128];

static int establish(void) {
  if (!client_name[0]) {
    char host[64] = "";
    uint32_t rnd;
    gethostname(host, sizeof host - 1);
    getrandom(&rnd, sizeof rnd, 0);
    snprintf(client_name, sizeof client_name, "halo-efs-%s-%d-%08x", host, getpid(), rnd);
  }
  uint8_t verifier[8];
  getrandom(verifier, sizeof verifier, 0);
  compound c;
  cp_begin(&c, 0, 0);
  cp_op(&c, OP_SETCLIENTID);
  xb_fixed(&c.call.msg, verifier, 8);
  xb_str(&c.call.msg, client_name);
  /* No callback (no delegations): an address that cannot answer. */
  xb_u32(&c.call.msg, 0x40000000);
  xb_str(&c.call.msg, "tcp");
  xb_str(&c.call.msg, "0.0.0.0.0.0");
  xb_u32(&c.call.msg, 1);
  cp_end(&c);
  uint32_t s = cp_status(&c);
  if (!s) s = cp_res(&c, OP_SETCLIENTID);
  if (s) {
    cp_done(&c);
    return -nfs4_errno(s);
  }
  uint64_t id = xr_u64(&c.call.body);
  uint8_t confirm[8];
  xr_fixed(&c.call.body, confirm, 8);
  cp_done(&c);
  cp_begin(&c, 0, 0);
  cp_op(&c, OP_SETCLIENTID_CONFIRM);
  xb_u64(&c.call.msg, id);
  xb_fixed(&c.call.msg, confirm, 8);
  cp_end(&c);
  s = cp_status(&c);
  cp_done(&c);
  if (s) return -nfs4_errno(s);
  clientid = id;
  have_id = 1;
  return 0;
}

int client_id(uint64_t *out) {
  pthread_mutex_lock(&id_mu);
  int rc = have_id ? 0 : establish();
  *out = clientid;
  pthread_mutex_unlock(&id_mu);
  return rc;
}

void client_id_lost(uint64_t was) {
  pthread_mutex_lock(&id_mu);
  if (have_id && clientid == was) have_id = 0;
  pthread_mutex_unlock(&id_mu);
}

/* The lease (the server's, efs-server.ts) is renewed every `every` seconds while the client holds a client id: its
 * opens and locks last as long as the mount, as with the kernel's client. */
static unsigned every = 15;

static void *renewer(void *unused) {
  (void)unused;
  for (;;) {
    sleep(every);
    pthread_mutex_lock(&id_mu);
    int have = have_id;
    uint64_t id = clientid;
    pthread_mutex_unlock(&id_mu);
    if (!have) continue;
    compound c;
    cp_begin(&c, 0, 0);
    cp_op(&c, OP_RENEW);
    xb_u64(&c.call.msg, id);
    cp_end(&c);
    uint32_t s = cp_status(&c);
    cp_done(&c);
    if (s == NFS4ERR_STALE_CLIENTID || s == NFS4ERR_EXPIRED) client_id_lost(id);
  }
  return NULL;
}

void start_renewer(unsigned seconds) {
  if (seconds) every = seconds;
  pthread_t t;
  pthread_create(&t, NULL, renewer, NULL);
  pthread_detach(t);
}

/* ---- open owners ---- */
static pthread_mutex_t owners_mu = PTHREAD_MUTEX_INITIALIZER;
static struct owner *free_owners;
static uint32_t owners_made;

struct owner *owner_take(void) {
  pthread_mutex_lock(&owners_mu);
  struct owner *o = free_owners;
  if (o) free_owners = o->next;
  else {
    o = calloc(1, sizeof *o);
    o->id = ++owners_made;
  }
  pthread_mutex_unlock(&owners_mu);
  return o;
}

void owner_give(struct owner *o) {
  pthread_mutex_lock(&owners_mu);
  o->next = free_owners;
  free_owners = o;
  pthread_mutex_unlock(&owners_mu);
}

/* An owner whose seqid is no longer known (a lost reply, a forgotten client id): never used again. */
void owner_drop(struct owner *o) { free(o); }

void xb_owner(xbuf *b, uint64_t id, const char *kind, uint32_t n, uint64_t extra, uint32_t gen) {
  char s[96];
  int len = snprintf(s, sizeof s, "%s%u.%llx.%u", kind, n, (unsigned long long)extra, gen);
  xb_u64(b, id);
  xb_opaque(b, s, (size_t)len);
}
