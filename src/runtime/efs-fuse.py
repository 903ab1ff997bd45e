"""halo's EFS client: an NFSv4 client in user space (libnfs, through ctypes) served to one instance through FUSE.

The runtime starts it in the instance's network namespace (so its packets leave through the instance's eth0 and
pass its security groups and the subnets' network ACLs) and in the host's mount namespace (so libnfs and pyfuse3
come from the host, not from the instance's image). It connects to the mount target first; only then does a forked
child enter the instance's mount namespace and mount /dev/fuse there. It prints one line, `mounted` or
`error: <message>`, and then serves until the instance unmounts (or dies).

Usage: efs-fuse.py --server IP --pid INIT_PID --target DIR --source SRC [--root PATH] [--uid N --gid N]
                   [--connect-timeout S] [--state DIR --home DIR]
"""
import argparse
import ctypes
import errno
import os
import select
import socket
import stat
import struct
import sys

import pyfuse3
import trio

# Debian's libnfs 4.0.0 cannot encode an NFSv4 WRITE of 4 KiB or more: writes go in chunks just below that.
WRITE_CHUNK = 3584
READ_CHUNK = 1 << 20

nfs = ctypes.CDLL("libnfs.so.13", use_errno=True)
libc = ctypes.CDLL(None, use_errno=True)
vp = ctypes.c_void_p


class Stat64(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in (
        "dev", "ino", "mode", "nlink", "uid", "gid", "rdev", "size", "blksize", "blocks",
        "atime", "mtime", "ctime", "atime_nsec", "mtime_nsec", "ctime_nsec", "used")]


class Dirent(ctypes.Structure):
    pass


Dirent._fields_ = [("next", ctypes.POINTER(Dirent)), ("name", ctypes.c_char_p), ("inode", ctypes.c_uint64)]


nfs.nfs_init_context.restype = vp
nfs.nfs_get_error.restype = ctypes.c_char_p
nfs.nfs_get_error.argtypes = [vp]
nfs.nfs_readdir.restype = ctypes.POINTER(Dirent)
nfs.nfs_readdir.argtypes = [vp, vp]
for name in ("nfs_pread", "nfs_pwrite"):
    getattr(nfs, name).argtypes = [vp, vp, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_void_p]
# void nfs_cb(int err, struct nfs_context *nfs, void *data, void *private_data)
NFS_CB = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
nfs.nfs_pwrite_async.argtypes = [vp, vp, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_void_p, NFS_CB, ctypes.c_void_p]
nfs.nfs_get_fd.argtypes = [vp]
nfs.nfs_which_events.argtypes = [vp]
nfs.nfs_service.argtypes = [vp, ctypes.c_int]
# Chunks of one write in flight at once: the round trips overlap instead of adding up.
WRITE_WINDOW = 64


# What libnfs 4.0 answers when the NFSv4 state it holds is no longer good: NFS4ERR_BAD_SEQID (its open-owner
# sequence id slipped out of step), NFS4ERR_BAD_STATEID and an expired lease (it never renews one) come back as ERANGE.
LOST_STATE = (-errno.ERANGE, -errno.EIO)


# NFSv4 SETATTR by path, spoken directly: one COMPOUND (PUTROOTFH, LOOKUP..., SETATTR with the anonymous stateid), over
# TCP to the same server from the instance's network namespace. libnfs 4.0's nfs_chmod/nfs_chown/nfs_utimes/
# nfs_truncate OPEN the object, SETATTR it with that open's stateid and CLOSE it. A directory cannot be OPENed
# (EISDIR), and on a regular file that is open already the extra OPEN by the same NFSv4.0 open-owner shares the
# server's one open stateid for the file: its CLOSE ends the state under the other handle, whose next WRITE is
# NFS4ERR_BAD_STATEID and whose CLOSE is refused without moving the server's open-owner seqid, while libnfs moves
# its own; every OPEN after that is NFS4ERR_BAD_SEQID (ERANGE). So every SETATTR goes this way, files included:
# the anonymous stateid needs no open state, as RFC 7530 allows for a SETATTR (even of the size) when no share
# reservation denies it (libnfs opens deny none).
NFS4_ERRNO = {1: errno.EPERM, 2: errno.ENOENT, 5: errno.EIO, 13: errno.EACCES, 20: errno.ENOTDIR, 21: errno.EISDIR,
              22: errno.EINVAL, 27: errno.EFBIG, 28: errno.ENOSPC, 30: errno.EROFS, 63: errno.ENAMETOOLONG,
              69: errno.EDQUOT, 70: errno.ESTALE, 10001: errno.ESTALE, 10032: errno.EINVAL}
SERVER_TIME = -1


def xdr_u32(n):
    return struct.pack(">I", n & 0xFFFFFFFF)


def xdr_opaque(b):
    return xdr_u32(len(b)) + b + b"\0" * (-len(b) % 4)


def xdr_settime(ns):
    if ns == SERVER_TIME:
        return xdr_u32(0)  # SET_TO_SERVER_TIME4
    return xdr_u32(1) + struct.pack(">qI", ns // 10**9, ns % 10**9)  # SET_TO_CLIENT_TIME4


def recv_exact(sock, n):
    out = b""
    while len(out) < n:
        part = sock.recv(n - len(out))
        if not part:
            raise OSError(errno.ECONNRESET, "connection closed")
        out += part
    return out


class Rpc:
    """One TCP connection to the server for the COMPOUNDs this client speaks itself; made again when it breaks."""

    def __init__(self, server):
        self.server = server
        self.sock = None

    def call(self, uid, gid, compound):
        """The COMPOUND's reply body (after the RPC header), or raises OSError."""
        for attempt in range(2):
            try:
                if self.sock is None:
                    self.sock = socket.create_connection((self.server, 2049), timeout=30)
                return self.exchange(uid, gid, compound)
            except OSError:
                if self.sock is not None:
                    self.sock.close()
                self.sock = None
                if attempt == 1:
                    raise
        raise OSError(errno.EIO, "unreachable")

    def exchange(self, uid, gid, compound):
        xid = int.from_bytes(os.urandom(4), "big")
        cred = xdr_u32(0) + xdr_opaque(socket.gethostname().encode()[:255]) + xdr_u32(uid) + xdr_u32(gid) + xdr_u32(0)
        call = (xdr_u32(xid) + xdr_u32(0) + xdr_u32(2) + xdr_u32(100003) + xdr_u32(4) + xdr_u32(1)
                + xdr_u32(1) + xdr_opaque(cred) + xdr_u32(0) + xdr_u32(0) + compound)
        self.sock.sendall(xdr_u32(0x80000000 | len(call)) + call)
        reply, last = b"", False
        while not last:
            mark = struct.unpack(">I", recv_exact(self.sock, 4))[0]
            last = bool(mark & 0x80000000)
            reply += recv_exact(self.sock, mark & 0x7FFFFFFF)
        rxid, mtype, rstat = struct.unpack(">III", reply[:12])
        if rxid != xid or mtype != 1 or rstat != 0:
            raise OSError(errno.EIO, "bad RPC reply")
        vlen = struct.unpack(">I", reply[16:20])[0]
        at = 20 + vlen + (-vlen % 4)
        if struct.unpack(">I", reply[at:at + 4])[0] != 0:
            raise OSError(errno.EIO, "RPC not accepted")
        return reply[at + 4:]


def nfs4_setattr(rpc, path, uid, gid, size=None, mode=None, owner=None, group=None, atime_ns=None, mtime_ns=None):
    """Returns 0 or a negative errno, as libnfs calls do. Times may be SERVER_TIME."""
    words, vals = [0, 0], b""
    if size is not None:  # FATTR4_SIZE = 4
        words[0] |= 1 << 4
        vals += struct.pack(">Q", size)
    if mode is not None:  # FATTR4_MODE = 33
        words[1] |= 1 << 1
        vals += xdr_u32(mode)
    if owner is not None:  # FATTR4_OWNER = 36 (numeric: the server takes uids)
        words[1] |= 1 << 4
        vals += xdr_opaque(str(owner).encode())
    if group is not None:  # FATTR4_OWNER_GROUP = 37
        words[1] |= 1 << 5
        vals += xdr_opaque(str(group).encode())
    if atime_ns is not None:  # FATTR4_TIME_ACCESS_SET = 48
        words[1] |= 1 << 16
        vals += xdr_settime(atime_ns)
    if mtime_ns is not None:  # FATTR4_TIME_MODIFY_SET = 54
        words[1] |= 1 << 22
        vals += xdr_settime(mtime_ns)
    parts = [c for c in path.split(b"/") if c]
    ops = xdr_u32(24)  # PUTROOTFH
    for c in parts:
        ops += xdr_u32(15) + xdr_opaque(c)  # LOOKUP
    ops += xdr_u32(34) + xdr_u32(0) + b"\0" * 12  # SETATTR, anonymous stateid
    ops += xdr_u32(2) + xdr_u32(words[0]) + xdr_u32(words[1]) + xdr_opaque(vals)
    compound = xdr_opaque(b"") + xdr_u32(0) + xdr_u32(len(parts) + 2) + ops
    try:
        body = rpc.call(uid, gid, compound)
    except OSError:
        return -errno.EIO
    status = struct.unpack(">I", body[:4])[0]
    return -NFS4_ERRNO.get(status, errno.EIO) if status else 0


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


class LostState(Exception):
    pass


class OpenFile:
    """One NFSv4 OPEN of a file, shared by every FUSE handle open on it (as the kernel's NFS client shares one open
    stateid per open-owner and file): libnfs 4.0 uses one open-owner, for which the server keeps one open state per
    file, so a second OPEN of the same file would share it and the first CLOSE would end it under the other."""

    def __init__(self, handle, path, flags):
        self.handle = handle
        self.path = path
        self.flags = flags
        self.refs = 0

    def allows(self, flags):
        have, want = self.flags & os.O_ACCMODE, flags & os.O_ACCMODE
        return have == os.O_RDWR or have == want


class Efs(pyfuse3.Operations):
    def __init__(self, ctx, server, root, uid, gid):
        super().__init__()
        self.ctx = ctx
        self.server = server
        self.rpc = Rpc(server)
        self.root = root.rstrip("/")
        self.fixed = (uid, gid) if uid is not None else None
        self.cred = self.fixed or (0, 0)
        self.paths = {pyfuse3.ROOT_INODE: "/"}
        # FUSE handle -> OpenFile; the NFS path -> its OpenFile while its name is that path.
        self.handles = {}
        self.opened = {}
        self.next_fh = 1
        # Buffers of asynchronous writes, alive until their replies came.
        self.keep = []

    # -- state --
    def reconnect(self):
        """A new client (new client id, new lease), and every open file opened again in it."""
        ctx, err = connect(self.server)
        if ctx is None:
            raise pyfuse3.FUSEError(errno.EIO)
        old, self.ctx = self.ctx, ctx
        nfs.nfs_destroy_context(old)
        for f in {id(f): f for f in self.handles.values()}.values():
            h = vp()
            if nfs.nfs_open(self.ctx, f.path, f.flags, ctypes.byref(h)) == 0:
                f.handle = h

    def nfs_open(self, call, path, flags, *mode):
        """An OPEN (nfs_open/nfs_open2), tried again while the state is lost, then in a new client."""
        for attempt in range(5):
            if attempt == 3:
                self.reconnect()
            h = vp()
            rc = call(self.ctx, path, flags, *mode, ctypes.byref(h))
            if rc not in LOST_STATE:
                break
        check(rc)
        return h

    def open_shared(self, path, flags, create_mode=None):
        """The file's one OPEN, made (read-write when the caller may, so later opens share it) or reused."""
        create = (os.O_CREAT | (flags & os.O_EXCL)) if create_mode is not None else 0
        # Offsets come from the kernel (O_APPEND included); truncation is a SETATTR of its own.
        flags &= os.O_ACCMODE
        f = self.opened.get(path)
        if f is None or not f.allows(flags):
            h, got = None, flags
            if flags & os.O_ACCMODE != os.O_RDWR:
                try:
                    h = self.open_call(path, os.O_RDWR | create, create_mode)
                    got = os.O_RDWR
                except pyfuse3.FUSEError as e:
                    if e.errno not in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ETXTBSY):
                        raise
            if h is None:
                h = self.open_call(path, flags | create, create_mode)
            if f is None:
                f = OpenFile(h, path, got)
                self.opened[path] = f
            else:
                # An upgrade (another caller may write): the server moved the shared state to the new stateid; the
                # old handle's stateid is superseded, so it is dropped without a CLOSE of its own.
                f.handle, f.flags = h, os.O_RDWR if (got & os.O_ACCMODE) != (f.flags & os.O_ACCMODE) else got
        f.refs += 1
        fh = self.next_fh
        self.next_fh += 1
        self.handles[fh] = f
        return fh

    def open_call(self, path, flags, create_mode):
        if create_mode is None:
            return self.nfs_open(nfs.nfs_open, path, flags)
        return self.nfs_open(nfs.nfs_open2, path, flags, create_mode)

    def stateful(self, call, fh, *args):
        """A call on an open file; when its state is lost, once more in a new client."""
        rc = call(self.ctx, self.handles[fh].handle, *args)
        if rc in LOST_STATE:
            self.reconnect()
            rc = call(self.ctx, self.handles[fh].handle, *args)
        return check(rc)

    def setattr_path(self, path, **attrs):
        check(nfs4_setattr(self.rpc, path, *self.cred, **attrs))

    # -- helpers --
    def full(self, path):
        return (self.root + path if path != "/" else (self.root or "/")).encode()

    def caller(self, rctx):
        uid, gid = self.fixed or (rctx.uid, rctx.gid)
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
        st = Stat64()
        check(nfs.nfs_lstat64(self.ctx, self.full(path), ctypes.byref(st)))
        a = pyfuse3.EntryAttributes()
        ino = pyfuse3.ROOT_INODE if path == "/" else (st.ino if st.ino > 1 else st.ino + 2)
        self.paths[ino] = path
        a.st_ino = ino
        a.st_mode, a.st_nlink, a.st_uid, a.st_gid, a.st_rdev, a.st_size = st.mode, st.nlink, st.uid, st.gid, st.rdev, st.size
        a.st_blksize, a.st_blocks = 4096, (st.size + 511) // 512
        a.st_atime_ns = st.atime * 10**9 + st.atime_nsec
        a.st_mtime_ns = st.mtime * 10**9 + st.mtime_nsec
        a.st_ctime_ns = st.ctime * 10**9 + st.ctime_nsec
        # Other clients write through other mount targets: attributes are never trusted for long.
        a.attr_timeout = 0.5
        a.entry_timeout = 0.5
        return a

    # -- metadata --
    async def lookup(self, parent, name, rctx):
        self.caller(rctx)
        return self.attrs(self.child(parent, name))

    async def getattr(self, inode, rctx):
        return self.attrs(self.path_of(inode))

    async def setattr(self, inode, attr, fields, fh, rctx):
        """chmod, chown, truncate and utimes, of open and closed files, directories and links alike: one SETATTR."""
        self.caller(rctx)
        path = self.full(self.path_of(inode))
        if fields.update_size and stat.S_ISDIR(self.attrs(self.path_of(inode)).st_mode):
            raise pyfuse3.FUSEError(errno.EISDIR)
        self.setattr_path(
            path,
            size=attr.st_size if fields.update_size else None,
            mode=stat.S_IMODE(attr.st_mode) if fields.update_mode else None,
            owner=attr.st_uid if fields.update_uid else None,
            group=attr.st_gid if fields.update_gid else None,
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
        path = self.path_of(inode)
        d = vp()
        check(nfs.nfs_opendir(self.ctx, self.full(path), ctypes.byref(d)))
        names = []
        try:
            while True:
                ent = nfs.nfs_readdir(self.ctx, d)
                if not ent:
                    break
                name = ent.contents.name
                if name not in (b".", b".."):
                    names.append(name)
        finally:
            nfs.nfs_closedir(self.ctx, d)
        names.sort()
        for i, name in enumerate(names[start_id:], start_id + 1):
            try:
                a = self.attrs(self.child(inode, name))
            except pyfuse3.FUSEError:
                continue
            if not pyfuse3.readdir_reply(token, name, a, i):
                break

    async def mkdir(self, parent, name, mode, rctx):
        self.caller(rctx)
        path = self.child(parent, name)
        check(nfs.nfs_mkdir2(self.ctx, self.full(path), stat.S_IMODE(mode)))
        return self.attrs(path)

    async def rmdir(self, parent, name, rctx):
        self.caller(rctx)
        check(nfs.nfs_rmdir(self.ctx, self.full(self.child(parent, name))))

    async def unlink(self, parent, name, rctx):
        self.caller(rctx)
        path = self.full(self.child(parent, name))
        check(nfs.nfs_unlink(self.ctx, path))
        # Still open under its FUSE handles (the server keeps an open file's data); a new file may take the name.
        self.opened.pop(path, None)

    async def symlink(self, parent, name, target, rctx):
        self.caller(rctx)
        path = self.child(parent, name)
        check(nfs.nfs_symlink(self.ctx, target, self.full(path)))
        return self.attrs(path)

    async def rename(self, p_old, n_old, p_new, n_new, flags, rctx):
        if flags:
            raise pyfuse3.FUSEError(errno.EINVAL)
        self.caller(rctx)
        old, new = self.child(p_old, n_old), self.child(p_new, n_new)
        check(nfs.nfs_rename(self.ctx, self.full(old), self.full(new)))
        for ino, p in list(self.paths.items()):
            if p == old or p.startswith(old + "/"):
                self.paths[ino] = new + p[len(old):]
        old_nfs, new_nfs = self.full(old), self.full(new)
        self.opened.pop(new_nfs, None)
        for p, f in list(self.opened.items()):
            if p == old_nfs or p.startswith(old_nfs + b"/"):
                del self.opened[p]
                f.path = new_nfs + p[len(old_nfs):]
                self.opened[f.path] = f

    # -- files --
    async def open(self, inode, flags, rctx):
        self.caller(rctx)
        path = self.full(self.path_of(inode))
        fh = self.open_shared(path, flags)
        if flags & os.O_TRUNC:
            self.setattr_path(path, size=0)
        # keep_cache off: every open re-reads what other clients wrote.
        return pyfuse3.FileInfo(fh=fh, keep_cache=False)

    async def create(self, parent, name, mode, flags, rctx):
        self.caller(rctx)
        path = self.child(parent, name)
        fh = self.open_shared(self.full(path), flags, stat.S_IMODE(mode))
        # libnfs 4.0 creates NFSv4 files 0600 whatever the mode, and an exclusive create (O_EXCL) leaves the server's
        # verifier in the times: the mode asked (umask applied by the kernel) and the server's time, without OPEN.
        self.setattr_path(self.full(path), mode=stat.S_IMODE(mode),
                          **({"atime_ns": SERVER_TIME, "mtime_ns": SERVER_TIME} if flags & os.O_EXCL else {}))
        return pyfuse3.FileInfo(fh=fh, keep_cache=False), self.attrs(path)

    async def read(self, fh, off, size):
        buf = ctypes.create_string_buffer(size)
        got = 0
        while got < size:
            n = self.stateful(nfs.nfs_pread, fh, off + got, min(size - got, READ_CHUNK), ctypes.byref(buf, got))
            if n == 0:
                break
            got += n
        return buf.raw[:got]

    async def write(self, fh, off, data):
        try:
            return self.write_all(fh, off, data)
        except LostState:
            self.reconnect()
            return self.write_all(fh, off, data)

    def write_all(self, fh, off, data):
        h = self.handles[fh].handle
        chunks = [(off + i, data[i:i + WRITE_CHUNK]) for i in range(0, len(data), WRITE_CHUNK)]
        results = []
        inflight = [0]

        def done(err, _nfs, _data, _private):
            inflight[0] -= 1
            results.append(err)

        cb = NFS_CB(done)
        poller = select.poll()
        queue = list(chunks)
        while queue or inflight[0]:
            while queue and inflight[0] < WRITE_WINDOW:
                at, piece = queue.pop(0)
                buf = ctypes.create_string_buffer(piece, len(piece))
                self.keep.append(buf)
                if nfs.nfs_pwrite_async(self.ctx, h, at, len(piece), buf, cb, None) != 0:
                    raise pyfuse3.FUSEError(errno.EIO)
                inflight[0] += 1
            fd = nfs.nfs_get_fd(self.ctx)
            poller.register(fd, nfs.nfs_which_events(self.ctx))
            ready = poller.poll(1000)
            poller.unregister(fd)
            revents = ready[0][1] if ready else 0
            if nfs.nfs_service(self.ctx, revents) < 0:
                raise pyfuse3.FUSEError(errno.EIO)
        self.keep.clear()
        for err in results:
            if err in LOST_STATE:
                raise LostState()
            if err < 0:
                raise pyfuse3.FUSEError(-err if -err in errno.errorcode else errno.EIO)
        return len(data)

    async def fsync(self, fh, datasync):
        self.stateful(nfs.nfs_fsync, fh)

    async def flush(self, fh):
        pass

    async def release(self, fh):
        f = self.handles.pop(fh, None)
        if f is None:
            return
        f.refs -= 1
        if f.refs == 0:
            if self.opened.get(f.path) is f:
                del self.opened[f.path]
            nfs.nfs_close(self.ctx, f.handle)


def fail(msg):
    print("error: " + msg, flush=True)
    sys.exit(32)


def mount_in_instance(pid, fuse_fd, source, target):
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
            if libc.mount(source.encode(), target.encode(), b"fuse.nfs4", 6, opts.encode()) != 0:  # MS_NOSUID|MS_NODEV
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
    code = mount_in_instance(a.pid, fuse_fd, a.source, a.target)
    if code != 0:
        fail({11: "mount point %s does not exist" % a.target}.get(code, "mount of %s failed (%d)" % (a.target, code)))
    ops = Efs(ctx, a.server, root, a.uid, a.gid)
    pyfuse3.init(ops, "/dev/fd/%d" % fuse_fd, set())
    print("mounted", flush=True)
    try:
        trio.run(pyfuse3.main)
    finally:
        pyfuse3.close(unmount=False)


if __name__ == "__main__":
    main()
