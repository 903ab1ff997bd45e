"""halo's EFS client: an NFSv4 client in user space (libnfs, through ctypes) served to one instance through FUSE.

The runtime starts it in the instance's network namespace (so its packets leave through the instance's eth0 and
pass its security groups and the subnets' network ACLs) and in the host's mount namespace (so libnfs and pyfuse3
come from the host, not from the instance's image). It connects to the mount target first; only then does a forked
child enter the instance's mount namespace and mount /dev/fuse there. It prints one line, `mounted` or
`error: <message>`, and then serves until the instance unmounts (or dies).

Usage: efs-fuse.py --server IP --pid INIT_PID --target DIR --source SRC [--root PATH] [--uid N --gid N]
                   [--read-only] [--connect-timeout S] [--state DIR --home DIR]
"""
import argparse
import collections
import ctypes
import errno
import os
import socket
import stat
import sys
import time

import pyfuse3
import trio

# The NFSv4 this client speaks itself, beside this file (run with python3 -I, which leaves the script's directory out;
# no bytecode is written into the repository).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from efs_nfs4 import (  # noqa: E402
    ACCESS4_MODIFY, ACCESS4_READ, NEEDS_OPEN, Creator, Rpc, nfs4_commit, nfs4_open_by_path, nfs4_read_result, nfs4_read_submit,
    nfs4_readdir, nfs4_setattr, nfs4_write_result, nfs4_write_submit,
)

# What this client speaks itself, in COMPOUNDs over its own TCP connection to the mount target: every read and write
# (PUTFH, READ or WRITE, up to 1 MiB: ganesha's default maximum; WRITE_WINDOW writes in flight), every SETATTR and
# every file creation (see Creator). libnfs 4.0 (through ctypes) does the rest: lookups, attributes, directories,
# links, renames and removals, none of which holds NFSv4 state.
MAX_IO = 1 << 20
# Other clients write through other mount targets: the kernel keeps attributes and names this long (seconds).
ATTR_TIMEOUT = 0.5
WRITE_WINDOW = 16

nfs = ctypes.CDLL("libnfs.so.13", use_errno=True)
libc = ctypes.CDLL(None, use_errno=True)
vp = ctypes.c_void_p


class Stat64(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in (
        "dev", "ino", "mode", "nlink", "uid", "gid", "rdev", "size", "blksize", "blocks",
        "atime", "mtime", "ctime", "atime_nsec", "mtime_nsec", "ctime_nsec", "used")]


nfs.nfs_init_context.restype = vp
nfs.nfs_get_error.restype = ctypes.c_char_p
nfs.nfs_get_error.argtypes = [vp]
def connect(server):
    ctx = vp(nfs.nfs_init_context())
    nfs.nfs_set_version(ctx, 4)
    if nfs.nfs_mount(ctx, server.encode(), b"/") != 0:
        return None, (nfs.nfs_get_error(ctx) or b"mount failed").decode()
    return ctx, None


def check(rc):
    if rc < 0:
        raise pyfuse3.FUSEError(-rc if -rc in errno.errorcode else errno.EIO)
    return rc


class OpenFile:
    """A file open through this client: its NFS file handle, by which its reads and writes go (PUTFH, READ or WRITE
    with the anonymous stateid, RFC 7530 9.1.4.3), so an open file holds no NFSv4 state: none to share between
    openers, renew or keep in step. Only a file this client created keeps its OPEN (see Creator) until it is
    released: its creator may write it even when its mode does not allow (a file created 0444), and the server
    allows that only through the OPEN's stateid."""

    def __init__(self, nfsfh, created=None):
        self.nfsfh = nfsfh
        # (stateid, seqid for the CLOSE, xid of the OPEN_CONFIRM in flight or None) of a file this client created.
        self.created = created
        # Asynchronous writes: the first error is reported by the next write, fsync or close; fsync checks that
        # every unstable write since the last one was made stable by the same server instance (its verifier).
        self.error = 0
        self.verifiers = set()
        # (offset, size, xid) of the READ sent ahead of a sequential reader.
        self.ahead = None


class Listing:
    """What a READDIR told of a directory: its names, with the entries' attributes when they were asked for (valid while
    this client's epoch stays the same: see Efs.changed)."""

    def __init__(self, entries, epoch, sorted_entries=None):
        self.when = time.monotonic()
        self.entries = dict(entries)
        self.epoch = epoch
        # As a READDIR of all pages told it, left as it was (offsets into it stay valid while the names change).
        self.sorted = sorted_entries


ID_RANGE = 65536
NOBODY = 65534


class Efs(pyfuse3.Operations):
    def __init__(self, ctx, server, root, uid, gid, id_base=0):
        super().__init__()
        # The instance's user namespace (userns.ts): the kernel speaks of its ids as the host sees them (id_base + id),
        # the file system stores them as the instance sees them; ids outside its range are its "nobody".
        self.id_base = id_base
        self.ctx = ctx
        self.server = server
        self.rpc = Rpc(server)
        self.dir_attrs = {}
        self.listings = {}  # directory path -> Listing
        self.epoch = 0  # see changed()
        self.creator = Creator(self.rpc)
        self.root = root.rstrip("/")
        self.fixed = (uid, gid) if uid is not None else None
        # What the file system policy grants (ClientWrite, ClientRootAccess) the server enforces (efs-exports.ts).
        self.cred = self.fixed or (0, 0)
        nfs.nfs_set_uid(self.ctx, self.cred[0])
        nfs.nfs_set_gid(self.ctx, self.cred[1])
        self.paths = {pyfuse3.ROOT_INODE: "/"}
        # FUSE handle -> OpenFile, and the opener's credentials (its reads and writes carry them).
        self.handles = {}
        self.creds = {}
        self.next_fh = 1
        # Writes sent and not yet answered, oldest first: (OpenFile, FUSE handle, offset, bytes, xid).
        self.writes = collections.deque()

    # -- state --
    def remember(self, f):
        fh = self.next_fh
        self.next_fh += 1
        self.handles[fh] = f
        self.creds[fh] = self.cred
        return fh

    def open_stateid(self, f):
        """The stateid of the OPEN of a file this client created (once its OPEN_CONFIRM is answered), else None."""
        if f.created is None:
            return None
        stateid, seqid, confirming = f.created
        if confirming is not None:
            self.rpc.wait(confirming)
            f.created = (stateid, seqid, None)
        return stateid

    def setattr_path(self, path, **attrs):
        self.drop_read_ahead()
        check(nfs4_setattr(self.rpc, path, *self.cred, **attrs))

    # -- helpers --
    def full(self, path):
        return (self.root + path if path != "/" else (self.root or "/")).encode()

    def inside(self, host_id):
        if not self.id_base:
            return host_id
        return host_id - self.id_base if 0 <= host_id - self.id_base < ID_RANGE else NOBODY

    def outside(self, stored_id):
        if not self.id_base:
            return stored_id
        return self.id_base + stored_id if 0 <= stored_id < ID_RANGE else self.id_base + NOBODY

    def caller(self, rctx):
        self.settle()
        uid, gid = self.fixed or (self.inside(rctx.uid), self.inside(rctx.gid))
        self.cred = (uid, gid)
        nfs.nfs_set_uid(self.ctx, uid)
        nfs.nfs_set_gid(self.ctx, gid)

    def path_of(self, inode):
        try:
            return self.paths[inode]
        except KeyError:
            raise pyfuse3.FUSEError(errno.ESTALE)

    def child(self, parent, name):
        base = self.path_of(parent)
        return (base.rstrip("/") + "/" + name.decode("utf-8", "surrogateescape"))

    def attrs(self, path):
        self.settle()
        st = Stat64()
        check(nfs.nfs_lstat64(self.ctx, self.full(path), ctypes.byref(st)))
        return self.entry(path, st)

    def entry(self, path, st, age=0.0):
        """What the kernel is told of an object, kept by it for ATTR_TIMEOUT less the age of the attributes."""
        a = pyfuse3.EntryAttributes()
        ino = pyfuse3.ROOT_INODE if path == "/" else (st.ino if st.ino > 1 else st.ino + 2)
        self.paths[ino] = path
        a.st_ino = ino
        a.st_mode, a.st_nlink, a.st_uid, a.st_gid, a.st_rdev, a.st_size = st.mode, st.nlink, self.outside(st.uid), self.outside(st.gid), st.rdev, st.size
        a.st_blksize, a.st_blocks = 4096, (st.size + 511) // 512
        a.st_atime_ns = st.atime * 10**9 + st.atime_nsec
        a.st_mtime_ns = st.mtime * 10**9 + st.mtime_nsec
        a.st_ctime_ns = st.ctime * 10**9 + st.ctime_nsec
        # Other clients write through other mount targets: attributes are never trusted for long.
        a.attr_timeout = a.entry_timeout = ATTR_TIMEOUT - age
        if stat.S_ISDIR(st.mode):
            # The kernel asks for a directory's attributes again after every entry made in it (its times changed) to
            # check the next lookup's permission: a directory's are kept as long as the kernel would keep them.
            self.dir_attrs[ino] = (time.monotonic() - age, a)
        return a

    # -- metadata --
    async def lookup(self, parent, name, rctx):
        self.caller(rctx)
        known = self.from_listing(parent, name)
        if known is not None:
            return known
        try:
            return self.attrs(self.child(parent, name))
        except pyfuse3.FUSEError as e:
            if e.errno != errno.ENOENT:
                raise
        return self.missing()

    @staticmethod
    def missing():
        # The kernel keeps the name's absence as long as a name's presence (what a search path asks again and again).
        missing = pyfuse3.EntryAttributes()
        missing.st_ino = 0
        missing.entry_timeout = ATTR_TIMEOUT
        return missing

    # -- directory listings: what a READDIR told, used for ATTR_TIMEOUT as the kernel uses what a LOOKUP told --
    def from_listing(self, parent, name):
        """The answer to a LOOKUP of a name a listing younger than ATTR_TIMEOUT holds with attributes that no change of
        this client's has made stale since (the epoch), for what is left of ATTR_TIMEOUT (so never kept longer than a
        LOOKUP's answer would be); else None (the server is asked: a name it lacks may have been made since, by
        another client, and is looked up)."""
        listing = self.listings.get(self.path_of(parent))
        if listing is None or listing.epoch != self.epoch:
            return None
        age = time.monotonic() - listing.when
        st = listing.entries.get(name)
        if age >= ATTR_TIMEOUT or st is None:
            return None
        return self.entry(self.child(parent, name), st, age)

    def listed(self, parent, name, present):
        """This client made or removed a name: its listing of the directory says so, and the directory's own entry in
        its parent's listing has no attributes any more (its times changed)."""
        path = self.path_of(parent)
        listing = self.listings.get(path)
        if listing is not None:
            if present:
                listing.entries[name] = None
            else:
                listing.entries.pop(name, None)
        if path != "/":
            up, _, base = path.rpartition("/")
            above = self.listings.get(up or "/")
            if above is not None and base.encode("utf-8", "surrogateescape") in above.entries:
                above.entries[base.encode("utf-8", "surrogateescape")] = None

    def changed(self):
        """This client changed some object's attributes (data, mode, owner, times, links): no listing's attributes are
        used any more (names still are)."""
        self.epoch += 1

    async def getattr(self, inode, rctx):
        cached = self.dir_attrs.get(inode)
        if cached and time.monotonic() - cached[0] < ATTR_TIMEOUT:
            return cached[1]
        return self.attrs(self.path_of(inode))

    async def setattr(self, inode, attr, fields, fh, rctx):
        """chmod, chown, truncate and utimes, of open and closed files, directories and links alike: one SETATTR."""
        self.caller(rctx)
        self.changed()
        path = self.full(self.path_of(inode))
        if fields.update_size and stat.S_ISDIR(self.attrs(self.path_of(inode)).st_mode):
            raise pyfuse3.FUSEError(errno.EISDIR)
        self.setattr_path(
            path,
            size=attr.st_size if fields.update_size else None,
            mode=stat.S_IMODE(attr.st_mode) if fields.update_mode else None,
            owner=self.inside(attr.st_uid) if fields.update_uid else None,
            group=self.inside(attr.st_gid) if fields.update_gid else None,
            atime_ns=attr.st_atime_ns if fields.update_atime else None,
            mtime_ns=attr.st_mtime_ns if fields.update_mtime else None)
        return self.attrs(self.path_of(inode))

    async def readlink(self, inode, rctx):
        buf = ctypes.create_string_buffer(4096)
        check(nfs.nfs_readlink(self.ctx, self.full(self.path_of(inode)), buf, 4096))
        return buf.value

    async def statfs(self, rctx):
        s = pyfuse3.StatvfsData()
        # EFS reports an 8 EiB file system that is never full.
        s.f_bsize = s.f_frsize = 4096
        s.f_blocks = s.f_bfree = s.f_bavail = (8 << 60) // 4096
        s.f_files = s.f_ffree = s.f_favail = 1 << 40
        s.f_namemax = 255
        return s

    # -- directories --
    async def opendir(self, inode, rctx):
        self.path_of(inode)
        return inode

    async def readdir(self, inode, start_id, token):
        """The entries with their attributes, from READDIRs that carry them (not a GETATTR per entry)."""
        self.settle()
        dir_path = self.path_of(inode)
        listing = self.listings.get(dir_path)
        if start_id and listing is not None and listing.sorted is not None and listing.epoch == self.epoch \
                and time.monotonic() - listing.when < ATTR_TIMEOUT:
            # The next page of the same reading (the kernel asks a page at a time): from what the READDIRs told.
            entries, age = listing.sorted, time.monotonic() - listing.when
        else:
            age = 0.0
            entries = nfs4_readdir(self.rpc, self.full(dir_path), *self.cred)
            if isinstance(entries, int):
                check(entries)
            entries.sort(key=lambda e: e[0])
            self.listings[dir_path] = Listing(entries, self.epoch, entries)
        for i, (name, st) in enumerate(entries[start_id:], start_id + 1):
            path = self.child(inode, name)
            try:
                a = self.entry(path, st, age) if st is not None else self.attrs(path)
            except pyfuse3.FUSEError:
                continue
            if not pyfuse3.readdir_reply(token, name, a, i):
                break

    async def mkdir(self, parent, name, mode, rctx):
        self.caller(rctx)
        path = self.child(parent, name)
        self.dir_attrs.clear()  # links counts change
        check(nfs.nfs_mkdir2(self.ctx, self.full(path), stat.S_IMODE(mode)))
        self.listed(parent, name, True)
        return self.attrs(path)

    async def rmdir(self, parent, name, rctx):
        self.caller(rctx)
        self.dir_attrs.clear()
        path = self.child(parent, name)
        check(nfs.nfs_rmdir(self.ctx, self.full(path)))
        self.listings.pop(path, None)
        self.listed(parent, name, False)

    async def unlink(self, parent, name, rctx):
        self.caller(rctx)
        path = self.full(self.child(parent, name))
        check(nfs.nfs_unlink(self.ctx, path))
        listing = self.listings.get(self.path_of(parent))
        st = listing.entries.get(name) if listing is not None else None
        if st is None or st.nlink > 1:
            self.changed()  # other links to it may be listed, with its link count
        self.listed(parent, name, False)

    async def symlink(self, parent, name, target, rctx):
        self.caller(rctx)
        path = self.child(parent, name)
        check(nfs.nfs_symlink(self.ctx, target, self.full(path)))
        self.listed(parent, name, True)
        return self.attrs(path)

    async def rename(self, p_old, n_old, p_new, n_new, flags, rctx):
        if flags:
            raise pyfuse3.FUSEError(errno.EINVAL)
        self.caller(rctx)
        old, new = self.child(p_old, n_old), self.child(p_new, n_new)
        self.dir_attrs.clear()
        check(nfs.nfs_rename(self.ctx, self.full(old), self.full(new)))
        self.listings.clear()  # paths moved
        for ino, p in list(self.paths.items()):
            if p == old or p.startswith(old + "/"):
                self.paths[ino] = new + p[len(old):]

    # -- files --
    async def open(self, inode, flags, rctx):
        self.caller(rctx)
        path = self.full(self.path_of(inode))
        mode = flags & os.O_ACCMODE
        access = (ACCESS4_READ if mode != os.O_WRONLY else 0) | (ACCESS4_MODIFY if mode != os.O_RDONLY else 0)
        nfsfh = nfs4_open_by_path(self.rpc, path, *self.cred, access)
        if isinstance(nfsfh, int):
            check(nfsfh)
        fh = self.remember(OpenFile(nfsfh))
        # Offsets come from the kernel (O_APPEND included); truncation is a SETATTR.
        if flags & os.O_TRUNC:
            self.setattr_path(path, size=0)
        # keep_cache off: every open re-reads what other clients wrote.
        return pyfuse3.FileInfo(fh=fh, keep_cache=False)

    async def create(self, parent, name, mode, flags, rctx):
        self.caller(rctx)
        path = self.child(parent, name)
        mode_flags = flags & os.O_ACCMODE
        access = (1 if mode_flags != os.O_WRONLY else 0) | (2 if mode_flags != os.O_RDONLY else 0)  # OPEN4_SHARE_ACCESS_*
        try:
            made = self.creator.create(self.full(self.path_of(parent)), name, *self.cred, stat.S_IMODE(mode), bool(flags & os.O_EXCL), access)
        except OSError as e:  # no client id
            raise pyfuse3.FUSEError(e.errno or errno.EIO)
        if isinstance(made, int):
            check(made)
        nfsfh, stateid, seqid, confirming, st = made
        self.listed(parent, name, True)
        fh = self.remember(OpenFile(nfsfh, (stateid, seqid, confirming)))
        return pyfuse3.FileInfo(fh=fh, keep_cache=False), self.entry(path, st) if st else self.attrs(path)

    async def read(self, fh, off, size):
        """A READ, and the next one sent at once when this one was whole: a sequential reader finds it answered."""
        self.settle()
        f = self.handles[fh]
        size = min(size, MAX_IO)
        ahead, f.ahead = f.ahead, None
        if ahead and ahead[:2] == (off, size):
            xid = ahead[2]
        else:
            if ahead:
                self.rpc.forget(ahead[2])
            xid = nfs4_read_submit(self.rpc, f.nfsfh, off, size, *self.creds[fh])
        data, eof = nfs4_read_result(self.rpc.wait(xid))
        if data in NEEDS_OPEN and f.created is not None:
            data, eof = nfs4_read_result(self.rpc.wait(nfs4_read_submit(self.rpc, f.nfsfh, off, size, *self.creds[fh], self.open_stateid(f))))
        if isinstance(data, int):
            check(data)
        if len(data) == size and not eof:
            f.ahead = (off + size, size, nfs4_read_submit(self.rpc, f.nfsfh, off + size, size, *self.creds[fh]))
        return data

    def drop_read_ahead(self, f=None):
        """Reads sent ahead may predate a write or a truncation of this client: they are not used."""
        for g in [f] if f is not None else self.handles.values():
            if g.ahead:
                self.rpc.forget(g.ahead[2])
                g.ahead = None

    async def write(self, fh, off, data):
        """Sent at once, answered later (as the kernel's NFS client writes back): up to WRITE_WINDOW writes in flight;
        the next other operation waits for them all, so the server has every byte before anyone looks."""
        f = self.handles[fh]
        self.report(f)
        self.drop_read_ahead(f)
        self.changed()
        for at in range(0, len(data), MAX_IO):
            piece = data[at:at + MAX_IO]
            self.writes.append((f, fh, off + at, piece, nfs4_write_submit(self.rpc, f.nfsfh, off + at, piece, *self.creds[fh])))
        while len(self.writes) > WRITE_WINDOW:
            self.complete_write()
        return len(data)

    def complete_write(self):
        f, fh, off, piece, xid = self.writes.popleft()
        count, verifier = nfs4_write_result(self.rpc.wait(xid))
        if count in NEEDS_OPEN and f.created is not None and fh in self.creds:
            stateid = self.open_stateid(f)
            count, verifier = nfs4_write_result(self.rpc.wait(nfs4_write_submit(self.rpc, f.nfsfh, off, piece, *self.creds[fh], stateid)))
        while 0 <= count < len(piece):  # a short write: the rest again
            f.verifiers.add(verifier)
            off, piece = off + count, piece[count:]
            count, verifier = nfs4_write_result(self.rpc.wait(nfs4_write_submit(self.rpc, f.nfsfh, off, piece, *self.creds[fh])))
        if count >= 0:
            f.verifiers.add(verifier)
        if count < 0 and not f.error:
            f.error = -count

    def settle(self):
        while self.writes:
            self.complete_write()

    def report(self, f):
        """The first error of the file's earlier writes, once."""
        if f.error:
            err, f.error = f.error, 0
            raise pyfuse3.FUSEError(err if err in errno.errorcode else errno.EIO)

    async def fsync(self, fh, datasync):
        self.settle()
        f = self.handles[fh]
        self.report(f)
        verifier = nfs4_commit(self.rpc, f.nfsfh, *self.creds[fh])
        if isinstance(verifier, int):
            check(verifier)
        if f.verifiers - {verifier}:
            # The server restarted between an unstable write and its COMMIT: those bytes may be lost.
            f.verifiers.clear()
            raise pyfuse3.FUSEError(errno.EIO)
        f.verifiers.clear()

    async def flush(self, fh):
        self.settle()
        self.report(self.handles[fh])

    async def release(self, fh):
        self.settle()
        f = self.handles.pop(fh, None)
        cred = self.creds.pop(fh, None)
        if f is not None:
            self.drop_read_ahead(f)
        if f is not None and f.created is not None:
            stateid = self.open_stateid(f)
            self.creator.close(f.nfsfh, stateid, f.created[1], *cred)


def fail(msg):
    print("error: " + msg, flush=True)
    sys.exit(32)


def mount_in_instance(pid, fuse_fd, source, target, read_only=False):
    """mount(2) of the FUSE fd, in a child that entered the instance's mount namespace (the parent stays put)."""
    child = os.fork()
    if child == 0:
        try:
            ns = os.open("/proc/%d/ns/mnt" % pid, os.O_RDONLY)
            if libc.setns(ns, 0) != 0:
                os._exit(10)
            os.chdir("/")
            if not os.path.isdir(target):
                os._exit(11)
            opts = "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions" % fuse_fd
            flags = 6 | (1 if read_only else 0)  # MS_NOSUID|MS_NODEV, MS_RDONLY
            if libc.mount(source.encode(), target.encode(), b"fuse.nfs4", flags, opts.encode()) != 0:
                os._exit(12)
            os._exit(0)
        except BaseException:
            os._exit(13)
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--root", default="/")
    ap.add_argument("--uid", type=int)
    ap.add_argument("--gid", type=int)
    ap.add_argument("--read-only", action="store_true")
    ap.add_argument("--id-base", type=int, default=0)
    ap.add_argument("--connect-timeout", type=float, default=10)
    ap.add_argument("--state")
    ap.add_argument("--home")
    a = ap.parse_args()

    # A blocked port (a security group, an ACL) or no server: the TCP connection tells, as mount.nfs4 would.
    try:
        socket.create_connection((a.server, 2049), timeout=a.connect_timeout).close()
    except socket.timeout:
        fail("mount.nfs4: Connection timed out")
    except ConnectionRefusedError:
        fail("mount.nfs4: Connection refused")
    except OSError as e:
        fail("mount.nfs4: " + (e.strerror or str(e)))

    ctx, err = connect(a.server)
    if ctx is None:
        fail("mount.nfs4: " + err)
    root = "/" + a.root.strip("/") if a.root.strip("/") else ""
    if root:
        st = Stat64()
        if nfs.nfs_stat64(ctx, root.encode(), ctypes.byref(st)) != 0:
            fail("mount.nfs4: access denied by server while mounting %s" % root)

    fuse_fd = os.open("/dev/fuse", os.O_RDWR)
    code = mount_in_instance(a.pid, fuse_fd, a.source, a.target, a.read_only)
    if code != 0:
        fail({11: "mount point %s does not exist" % a.target}.get(code, "mount of %s failed (%d)" % (a.target, code)))
    ops = Efs(ctx, a.server, root, a.uid, a.gid, a.id_base)
    pyfuse3.init(ops, "/dev/fd/%d" % fuse_fd, set())
    print("mounted", flush=True)
    try:
        trio.run(pyfuse3.main)
    finally:
        pyfuse3.close(unmount=False)


if __name__ == "__main__":
    main()
