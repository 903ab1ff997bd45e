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
  uint32_t access; /* OPEN4_SHARE_ACCESS_* asked */
  pthread_mutex_t mu; /* the open owner's and lock owners' seqids: one of their ops at a time */
  struct owner *owner;
  uint8_t stateid[16];
  int has_state;
  int closed;   /* its CLOSE went with its last write at a close(2) (writes.c): a later use opens it again */
  int reopened; /* it was: its CLOSE waits for RELEASE from then on */
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

/* A small write kept back until the next request on its file: at close(2) it goes with the CLOSE. */
struct held {
  struct ofile *f;
  uint32_t uid, gid;
  uint64_t off;
  uint8_t *data;
  size_t len;
};

#define OFILE(fi) ((struct ofile *)(uintptr_t)(fi)->fh)

void io_stateid(struct ofile *f, uint8_t out[16]);
void state_lost(struct ofile *f);
/* After an early CLOSE (f->closed): the file opened again by name (else its I/O goes by the anonymous stateid). */
void reopen_if_closed(struct ofile *f);
/* close(2)'s part for writes: a write held for f goes with f's CLOSE in one COMPOUND; the rest are awaited. */
void flush_writes(struct ofile *f);
/* The first error of the file's writes, once (0 when none). */
int take_error(struct ofile *f);
uint32_t lock_unlock(uint32_t uid, uint32_t gid, struct ofile *f, struct lockowner *lo, uint64_t off, uint64_t len);
int unlock_range(fuse_req_t req, struct ofile *f, uint64_t fuse_owner, uint64_t off, uint64_t len);
#endif
