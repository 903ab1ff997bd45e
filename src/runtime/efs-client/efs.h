/* halo's EFS client: an NFSv4.0 client served to one instance through FUSE (libfuse3's low-level API).
 * src/runtime/README.md ("EFS") describes the design; this header joins its parts:
 *   xdr.c   XDR buffers          rpc.c   one TCP connection, many calls in flight (xid matching), hard-mount reconnect
 *   nfs4.c  COMPOUNDs, attributes, the client id and its lease, open and lock owners
 *   meta.c, files.c, writes.c, locks.c  the FUSE operations   main.c  the command line, the mount, the session */
#ifndef EFS_H
#define EFS_H
#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/stat.h>

/* ---- xdr.c ---- */
typedef struct {
  uint8_t *buf;
  size_t len, cap;
} xbuf;
void xb_init(xbuf *b, size_t cap);
void xb_free(xbuf *b);
void xb_u32(xbuf *b, uint32_t v);
void xb_u64(xbuf *b, uint64_t v);
void xb_fixed(xbuf *b, const void *p, size_t n);
void xb_opaque(xbuf *b, const void *p, size_t n);
void xb_str(xbuf *b, const char *s);

typedef struct {
  const uint8_t *p;
  size_t len, at;
  int bad;
} xrd;
uint32_t xr_u32(xrd *r);
uint64_t xr_u64(xrd *r);
const uint8_t *xr_opaque(xrd *r, uint32_t *n);
void xr_fixed(xrd *r, void *out, size_t n);
void xr_skip(xrd *r, size_t n);

/* ---- rpc.c ---- */
struct rpc_call;
typedef void (*rpc_done_fn)(struct rpc_call *c);
struct rpc_call {
  uint32_t xid;
  xbuf msg;             /* framed: record mark, RPC header, COMPOUND */
  const void *payload;  /* sent after msg, then padding (a WRITE's data, not copied) */
  size_t payload_len;
  uint8_t *reply;       /* the whole reply record */
  size_t reply_len;
  xrd body;             /* the COMPOUND's result, after the RPC header */
  int done;
  rpc_done_fn on_done;  /* called by the receiving thread instead of waking a waiter */
  void *arg;
  struct rpc_call *next;
};
int rpc_open(const char *server, double timeout_s, char *err, size_t errlen);
/* A COMPOUND under AUTH_SYS uid/gid: rpc_call waits for its reply (c->body), rpc_submit does not (on_done). */
void rpc_prepare(struct rpc_call *c, uint32_t uid, uint32_t gid);
void rpc_submit(struct rpc_call *c);
void rpc_call(struct rpc_call *c);
void rpc_release(struct rpc_call *c);
void rpc_new_xid(struct rpc_call *c); /* before sending a call again as a new one */
/* Waits a little for answers (reads one when no one else does): for a caller waiting on calls it did not make. */
void rpc_pump(void);

/* ---- nfs4.c ---- */
#define NFS4_FHSIZE 128
typedef struct {
  uint32_t len;
  uint8_t data[NFS4_FHSIZE];
} nfs_fh;

enum {
  OP_ACCESS = 3, OP_CLOSE = 4, OP_COMMIT = 5, OP_CREATE = 6, OP_GETATTR = 9, OP_GETFH = 10, OP_LINK = 11,
  OP_LOCK = 12, OP_LOCKT = 13, OP_LOCKU = 14, OP_LOOKUP = 15, OP_OPEN = 18, OP_OPEN_CONFIRM = 20, OP_PUTFH = 22,
  OP_PUTROOTFH = 24, OP_READ = 25, OP_READDIR = 26, OP_READLINK = 27, OP_REMOVE = 28, OP_RENAME = 29, OP_RENEW = 30,
  OP_RESTOREFH = 31, OP_SAVEFH = 32, OP_SETATTR = 34, OP_SETCLIENTID = 35, OP_SETCLIENTID_CONFIRM = 36, OP_WRITE = 38,
};
enum {
  NFS4ERR_DENIED = 10010, NFS4ERR_DELAY = 10008, NFS4ERR_GRACE = 10013, NFS4ERR_EXPIRED = 10011,
  NFS4ERR_STALE_CLIENTID = 10022, NFS4ERR_STALE_STATEID = 10023, NFS4ERR_OLD_STATEID = 10024,
  NFS4ERR_BAD_STATEID = 10025, NFS4ERR_BAD_SEQID = 10026, NFS4ERR_ADMIN_REVOKED = 10047,
};

typedef struct {
  int valid;
  uint32_t type;
  uint64_t change, size, fileid, used;
  uint32_t mode, nlink, uid, gid;
  struct timespec atime, ctime, mtime;
  nfs_fh fh; /* when asked (READDIR) */
  int has_fh;
} nfs_attr;

/* A COMPOUND being built: its ops counted, its result read op by op. */
typedef struct {
  struct rpc_call call;
  size_t count_at;
  uint32_t nops;
  int sequenced;
} compound;
void cp_begin(compound *c, uint32_t uid, uint32_t gid);
void cp_op(compound *c, uint32_t op);
void cp_putfh(compound *c, const nfs_fh *fh);
void cp_getattr(compound *c, int with_fh);
void cp_finish(compound *c); /* its op count set: ready for rpc_submit */
void cp_end(compound *c);   /* cp_finish, then rpc_call */
/* Reads the COMPOUND's header; then cp_res per op in order gives its status. */
uint32_t cp_status(compound *c);
uint32_t cp_res(compound *c, uint32_t op);
int cp_getfh(compound *c, nfs_fh *fh);
int cp_attrs(compound *c, nfs_attr *a);
void decode_fattr(xrd *r, nfs_attr *a);
void cp_done(compound *c);

int nfs4_errno(uint32_t status);
int seqid_consumed(uint32_t status);
/* The client id (SETCLIENTID/confirm), made again when the server forgot it; its lease renewed by a thread. */
int client_id(uint64_t *out);
void client_id_lost(uint64_t was);
void start_renewer(unsigned seconds); /* renewing the lease every that many seconds */
/* Open owners: each open file has its own (so no seqid is shared), reused once closed. */
struct owner {
  uint32_t id;
  uint32_t seqid;
  int confirmed;
  uint64_t clientid;
  struct owner *next;
};
struct owner *owner_take(void);
void owner_give(struct owner *o);
void owner_drop(struct owner *o);
void xb_owner(xbuf *b, uint64_t clientid, const char *kind, uint32_t id, uint64_t extra, uint32_t gen);

extern const uint8_t ANON_STATEID[16];
#endif
