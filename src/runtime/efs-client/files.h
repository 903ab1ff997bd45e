/* What files.c (open files), writes.c (their writes) and locks.c (their byte-range locks) share. */
#ifndef FILES_H
#define FILES_H
#include "ops.h"

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

#define OFILE(fi) ((struct ofile *)(uintptr_t)(fi)->fh)

void io_stateid(struct ofile *f, uint8_t out[16]);
void state_lost(struct ofile *f);
/* The first error of the file's writes, once (0 when none). */
int take_error(struct ofile *f);
uint32_t lock_unlock(uint32_t uid, uint32_t gid, struct ofile *f, struct lockowner *lo, uint64_t off, uint64_t len);
/* closes.c: a released file's CLOSE, sent later with others'; the file is freed then. */
void close_later(struct ofile *f);
int unlock_range(fuse_req_t req, struct ofile *f, uint64_t fuse_owner, uint64_t off, uint64_t len);
#endif
