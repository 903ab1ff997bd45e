/* What the FUSE operations share (meta.c: names, attributes, directories; files.c, writes.c, locks.c: open files). */
#ifndef OPS_H
#define OPS_H
#include "efs.h"

/* Other clients write through other mount targets: the kernel keeps attributes and names this long (seconds). */
#define ATTR_TIMEOUT 0.5
#define MAX_IO (1u << 20)
#define WRITE_WINDOW 16

struct options {
  uint64_t id_base;   /* the instance's user namespace (userns.ts), 0 for none */
  int read_only;
};
extern struct options opt;

struct redo;
struct names;
/* An object the kernel knows: its node id is the server's fileid (the root: 1). */
struct inode {
  fuse_ino_t ino;
  nfs_fh fh;
  fuse_ino_t parent; /* the directory and name it was last found by (an OPEN names a file so) */
  char *name;
  pthread_mutex_t mu;
  pthread_cond_t cond;
  int writes;            /* WRITEs sent and unanswered */
  int settling;
  struct redo *redo;     /* writes to send again (a stateid the server forgot, a short write) */
  double attr_at;        /* a directory's attributes, kept ATTR_TIMEOUT (see getattr) */
  struct stat attr;
  struct names *names;   /* a directory made here: its names, while only this client changed it (names.c) */
  struct inode *next;
};

struct inode *inode_get(fuse_ino_t ino);
struct inode *inode_put(const nfs_fh *fh, const nfs_attr *a, fuse_ino_t parent, const char *name);
void set_root(const nfs_fh *fh, const nfs_attr *a);
void to_stat(const nfs_attr *a, fuse_ino_t ino, struct stat *st);
fuse_ino_t ino_of(const nfs_attr *a);
double now(void);
void caller(fuse_req_t req, uint32_t *uid, uint32_t *gid);
uint32_t inside(uint32_t host_id);
int stateid_error(uint32_t s);
void settle(struct inode *in);
void forget_dir_attrs(struct inode *in);

/* names.c: each takes dir->mu. */
void names_begin(struct inode *dir, uint64_t change);
int names_absent(struct inode *dir, const char *name, double *holds);
int names_kept(struct inode *dir);
/* What a LOOKUP found (found or not) and the directory's change attribute then: the names confirmed or forgotten. */
void names_check(struct inode *dir, uint64_t change, const char *name, int found);
void names_changed(struct inode *dir, uint64_t before, uint64_t after, const char *added, const char *gone);
void names_forget(struct inode *dir);
void names_free(struct names *k);

void op_lookup(fuse_req_t, fuse_ino_t, const char *);
void op_getattr(fuse_req_t, fuse_ino_t, struct fuse_file_info *);
void op_setattr(fuse_req_t, fuse_ino_t, struct stat *, int, struct fuse_file_info *);
void op_readlink(fuse_req_t, fuse_ino_t);
void op_mkdir(fuse_req_t, fuse_ino_t, const char *, mode_t);
void op_unlink(fuse_req_t, fuse_ino_t, const char *);
void op_rmdir(fuse_req_t, fuse_ino_t, const char *);
void op_symlink(fuse_req_t, const char *, fuse_ino_t, const char *);
void op_rename(fuse_req_t, fuse_ino_t, const char *, fuse_ino_t, const char *, unsigned int);
void op_link(fuse_req_t, fuse_ino_t, fuse_ino_t, const char *);
void op_opendir(fuse_req_t, fuse_ino_t, struct fuse_file_info *);
void op_readdir(fuse_req_t, fuse_ino_t, size_t, off_t, struct fuse_file_info *);
void op_readdirplus(fuse_req_t, fuse_ino_t, size_t, off_t, struct fuse_file_info *);
void op_releasedir(fuse_req_t, fuse_ino_t, struct fuse_file_info *);
void op_statfs(fuse_req_t, fuse_ino_t);
void op_access(fuse_req_t, fuse_ino_t, int);

void op_open(fuse_req_t, fuse_ino_t, struct fuse_file_info *);
void op_create(fuse_req_t, fuse_ino_t, const char *, mode_t, struct fuse_file_info *);
void op_read(fuse_req_t, fuse_ino_t, size_t, off_t, struct fuse_file_info *);
void op_write(fuse_req_t, fuse_ino_t, const char *, size_t, off_t, struct fuse_file_info *);
void op_flush(fuse_req_t, fuse_ino_t, struct fuse_file_info *);
void op_fsync(fuse_req_t, fuse_ino_t, int, struct fuse_file_info *);
void op_release(fuse_req_t, fuse_ino_t, struct fuse_file_info *);
void op_getlk(fuse_req_t, fuse_ino_t, struct fuse_file_info *, struct flock *);
void op_setlk(fuse_req_t, fuse_ino_t, struct fuse_file_info *, struct flock *, int);
void op_flock(fuse_req_t, fuse_ino_t, struct fuse_file_info *, int);
/* The open file's stateid for a SETATTR of its size (its OPEN's, else the anonymous one). */
void file_stateid(struct fuse_file_info *fi, uint8_t out[16]);
#endif
