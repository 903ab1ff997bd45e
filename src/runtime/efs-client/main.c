/* halo's EFS client: started by the runtime (efs-client.ts) in the instance's network namespace and the host's
 * mount namespace. It connects to the mount target first; only then does a forked child enter the instance's mount
 * namespace and mount /dev/fuse there. It prints one line, `mounted` or `error: <message>`, and then serves until
 * the instance unmounts (or dies).
 *
 * Usage: efs-client --server IP --pid INIT_PID --target DIR --source SRC [--root PATH] [--read-only]
 *                   [--id-base N] [--connect-timeout S] [--renew S] [--state DIR --home DIR] */
#define _GNU_SOURCE
#include "ops.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

static void fail(const char *fmt, const char *arg) {
  printf("error: ");
  printf(fmt, arg);
  printf("\n");
  fflush(stdout);
  exit(32);
}

/* The file handle and attributes of the exported root's subdirectory (PUTROOTFH, a LOOKUP per component). */
static int find_root(const char *root, nfs_fh *fh, nfs_attr *a) {
  compound c;
  cp_begin(&c, 0, 0);
  cp_op(&c, OP_PUTROOTFH);
  char *copy = strdup(root), *save = NULL;
  uint32_t lookups = 0;
  for (char *part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
    cp_op(&c, OP_LOOKUP);
    xb_str(&c.call.msg, part);
    lookups++;
  }
  free(copy);
  cp_op(&c, OP_GETFH);
  cp_getattr(&c, 0);
  cp_end(&c);
  uint32_t s = cp_status(&c);
  if (!s) s = cp_res(&c, OP_PUTROOTFH);
  for (uint32_t i = 0; !s && i < lookups; i++) s = cp_res(&c, OP_LOOKUP);
  if (!s) s = cp_res(&c, OP_GETFH);
  if (!s && cp_getfh(&c, fh) < 0) s = 5;
  if (!s) s = cp_res(&c, OP_GETATTR);
  if (!s && cp_attrs(&c, a) < 0) s = 5;
  cp_done(&c);
  return s ? -nfs4_errno(s) : 0;
}

/* mount(2) of the FUSE fd, in a child that entered the instance's mount namespace (the parent stays put). */
static int mount_in_instance(int pid, int fuse_fd, const char *source, const char *target) {
  pid_t child = fork();
  if (child == 0) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/mnt", pid);
    int ns = open(path, O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNS) != 0) _exit(10);
    if (chdir("/") != 0) _exit(10);
    struct stat st;
    if (stat(target, &st) != 0 || !S_ISDIR(st.st_mode)) _exit(11);
    char opts[160];
    snprintf(opts, sizeof opts, "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions", fuse_fd);
    unsigned long flags = MS_NOSUID | MS_NODEV | (opt.read_only ? MS_RDONLY : 0);
    if (mount(source, target, "fuse.nfs4", flags, opts) != 0) _exit(12);
    _exit(0);
  }
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) < 0) return 13;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 13;
}

static void init(void *userdata, struct fuse_conn_info *conn) {
  (void)userdata;
  conn->max_write = MAX_IO;
  conn->max_readahead = MAX_IO;
  /* Other clients write through other mount targets: no kernel-side write-back caching of data (a file written and
   * closed here is read at once elsewhere, and what is read here was written there). */
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
}

static const struct fuse_lowlevel_ops ops = {
    .init = init,
    .lookup = op_lookup,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .readlink = op_readlink,
    .mkdir = op_mkdir,
    .unlink = op_unlink,
    .rmdir = op_rmdir,
    .symlink = op_symlink,
    .rename = op_rename,
    .link = op_link,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .flush = op_flush,
    .release = op_release,
    .fsync = op_fsync,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .readdirplus = op_readdirplus,
    .releasedir = op_releasedir,
    .statfs = op_statfs,
    .access = op_access,
    .create = op_create,
    .getlk = op_getlk,
    .setlk = op_setlk,
    .flock = op_flock,
};

int main(int argc, char **argv) {
  static const struct option longs[] = {
      {"server", required_argument, 0, 's'}, {"pid", required_argument, 0, 'p'},
      {"target", required_argument, 0, 't'}, {"source", required_argument, 0, 'o'},
      {"root", required_argument, 0, 'r'},   {"read-only", no_argument, 0, 'R'},
      {"id-base", required_argument, 0, 'i'}, {"connect-timeout", required_argument, 0, 'c'},
      {"state", required_argument, 0, 'S'},  {"home", required_argument, 0, 'H'},
      {"renew", required_argument, 0, 'n'},
      {0, 0, 0, 0}};
  const char *server = NULL, *target = NULL, *source = NULL, *root = "/";
  int pid = 0;
  double connect_timeout = 10;
  unsigned renew = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
    switch (ch) {
    case 's': server = optarg; break;
    case 'p': pid = atoi(optarg); break;
    case 't': target = optarg; break;
    case 'o': source = optarg; break;
    case 'r': root = optarg; break;
    case 'R': opt.read_only = 1; break;
    case 'i': opt.id_base = strtoull(optarg, NULL, 10); break;
    case 'c': connect_timeout = atof(optarg); break;
    case 'n': renew = (unsigned)atoi(optarg); break;
    case 'S': case 'H': break; /* name the process as the cloud's (cleanup finds it by them) */
    default: fprintf(stderr, "usage: efs-client --server IP --pid N --target DIR --source SRC ...\n"); return 2;
    }
  }
  if (!server || !pid || !target || !source) {
    fprintf(stderr, "efs-client: --server, --pid, --target and --source are required\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);

  /* A blocked port (a security group, an ACL) or no server: the TCP connection tells, as mount.nfs4 would. */
  char err[256];
  if (rpc_open(server, connect_timeout, err, sizeof err) < 0) fail("%s", err);
  nfs_fh fh;
  nfs_attr a;
  int rc = find_root(root, &fh, &a);
  if (rc < 0) {
    char where[512];
    snprintf(where, sizeof where, "%s", root);
    fail("mount.nfs4: access denied by server while mounting %s", where);
  }
  set_root(&fh, &a);
  start_renewer(renew);

  int fuse_fd = open("/dev/fuse", O_RDWR);
  if (fuse_fd < 0) fail("cannot open /dev/fuse: %s", strerror(errno));
  int code = mount_in_instance(pid, fuse_fd, source, target);
  if (code == 11) fail("mount point %s does not exist", target);
  if (code != 0) {
    char what[64];
    snprintf(what, sizeof what, "%d", code);
    printf("error: mount of %s failed (%s)\n", target, what);
    fflush(stdout);
    return 32;
  }
  char *fargv[] = {argv[0], "-d", NULL};
  struct fuse_args args = FUSE_ARGS_INIT(getenv("EFS_CLIENT_DEBUG") ? 2 : 1, fargv);
  struct fuse_session *se = fuse_session_new(&args, &ops, sizeof ops, NULL);
  char devfd[32];
  snprintf(devfd, sizeof devfd, "/dev/fd/%d", fuse_fd);
  if (!se || fuse_session_mount(se, devfd) != 0) fail("%s", "the FUSE session could not start");
  printf("mounted\n");
  fflush(stdout);
  struct fuse_loop_config config = {.clone_fd = 0, .max_idle_threads = 16};
  fuse_session_loop_mt(se, &config);
  /* The instance unmounted (or died): nothing of this client is mounted anywhere else. */
  fuse_session_destroy(se);
  return 0;
}
