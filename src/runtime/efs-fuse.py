"""halo's EFS client: an NFSv4 client in user space (libnfs, through ctypes) served to one instance through FUSE.

The runtime starts it in the instance's network namespace (so its packets leave through the instance's eth0 and
pass its security groups and the subnets' network ACLs) and in the host's mount namespace (so libnfs and pyfuse3
come from the host, not from the instance's image). It connects to the mount target first; only then does a forked
child enter the instance's mount namespace and mount /dev/fuse there. It prints one line, `mounted` or
`error: <message>`, and then serves until the instance unmounts (or dies).

Usage: efs-fuse.py --server IP --pid INIT_PID --target DIR --source SRC [--root PATH] [--uid N --gid N]
                   [--read-only] [--squash-root] [--connect-timeout S] [--state DIR --home DIR]
"""
import argparse
import collections
import ctypes
import errno
import os
import socket
import stat
import struct
import sys
import time

import pyfuse3
import trio

# Reads and writes are COMPOUNDs of this client (PUTFH, READ or WRITE with the anonymous stateid) of up to 1 MiB
# (ganesha's default maximum), WRITE_WINDOW of them in flight. Only a write the server refuses without the open's
# stateid goes through libnfs, whose 4.0.0 cannot encode an NFSv4 WRITE of 4 KiB or more: in chunks just below.
MAX_IO = 1 << 20
WRITE_CHUNK = 3584
WRITE_WINDOW = 16

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


class NfsFh(ctypes.Structure):
    _fields_ = [("len", ctypes.c_int), ("val", ctypes.c_void_p)]


nfs.nfs_get_fh.restype = ctypes.POINTER(NfsFh)
nfs.nfs_get_fh.argtypes = [vp]


def nfs_fh_of(handle):
    """The NFS file handle of a libnfs open file (libnfs's public nfs_get_fh)."""
    fh = nfs.nfs_get_fh(handle).contents
    return ctypes.string_at(fh.val, fh.len)


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
    out = bytearray(n)
    view, got = memoryview(out), 0
    while got < n:
        part = sock.recv_into(view[got:])
        if not part:
            raise OSError(errno.ECONNRESET, "connection closed")
        got += part
    return out


def send_all(sock, parts):
    """Sends the parts in order without joining them (a WRITE's megabyte is not copied)."""
    views = [memoryview(p) for p in parts if len(p)]
    while views:
        sent = sock.sendmsg(views)
        while sent and views:
            if sent >= len(views[0]):
                sent -= len(views.pop(0))
            else:
                views[0], sent = views[0][sent:], 0


class Reader:
    """Reads an XDR reply body in order."""

    def __init__(self, data):
        self.data, self.at = data, 0

    def u32(self):
        self.at += 4
        return struct.unpack(">I", self.data[self.at - 4:self.at])[0]

    def u64(self):
        self.at += 8
        return struct.unpack(">Q", self.data[self.at - 8:self.at])[0]

    def opaque(self, size=None):
        n = self.u32() if size is None else size
        out = bytes(self.data[self.at:self.at + n])
        self.at += n + (-n % 4)
        return out

    def results(self, ops):
        """Reads the COMPOUND's status and its ops' statuses; returns the first error or 0. Only the last op may carry
        a result (PUTROOTFH, PUTFH and LOOKUP carry none): the reader is then at its start."""
        status = self.u32()
        self.opaque()  # tag
        for _ in range(min(self.u32(), ops)):
            self.u32()  # the op
            op_status = self.u32()
            if op_status:
                return op_status
        return status


class Rpc:
    """One TCP connection to the server for the COMPOUNDs this client speaks itself. Calls may be many in flight
    (submit, then wait for each). There is no time-out, as on a hard mount: when the connection breaks or stays
    silent, it is made again (tried every second while the path is cut) and every call still unanswered is sent again
    (each is idempotent: SETATTR to values, WRITE at an offset, READ, COMMIT, LOOKUP)."""

    SILENCE = 30

    def __init__(self, server):
        self.server = server
        self.sock = None
        self.unanswered = {}  # xid -> the framed call
        self.replies = {}  # xid -> reply body
        self.host = socket.gethostname().encode()[:255]

    def submit(self, uid, gid, compound, payload=b""):
        """Sends a COMPOUND (its bytes, then an opaque payload that ends it: a WRITE's data); returns its xid."""
        xid = int.from_bytes(os.urandom(4), "big")
        cred = xdr_u32(0) + xdr_opaque(self.host) + xdr_u32(uid) + xdr_u32(gid) + xdr_u32(0)
        call = (xdr_u32(xid) + xdr_u32(0) + xdr_u32(2) + xdr_u32(100003) + xdr_u32(4) + xdr_u32(1)
                + xdr_u32(1) + xdr_opaque(cred) + xdr_u32(0) + xdr_u32(0) + compound)
        pad = b"\0" * (-len(payload) % 4)
        framed = (xdr_u32(0x80000000 | (len(call) + len(payload) + len(pad))) + call, payload, pad)
        self.unanswered[xid] = framed
        if self.sock is None:
            self.reconnect()
        else:
            try:
                send_all(self.sock, framed)
            except OSError:
                self.reconnect()
        return xid

    def wait(self, xid):
        """The COMPOUND's reply body (after the RPC header)."""
        while xid not in self.replies:
            try:
                self.receive()
            except OSError:
                self.reconnect()
        return self.replies.pop(xid)

    def call(self, uid, gid, compound):
        return self.wait(self.submit(uid, gid, compound))

    def receive(self):
        if self.sock is None:
            raise OSError(errno.ENOTCONN, "not connected")
        fragments, last = [], False
        while not last:
            mark = struct.unpack(">I", recv_exact(self.sock, 4))[0]
            last = bool(mark & 0x80000000)
            fragments.append(recv_exact(self.sock, mark & 0x7FFFFFFF))
        reply = fragments[0] if len(fragments) == 1 else b"".join(fragments)
        xid, mtype, rstat = struct.unpack(">III", reply[:12])
        if xid not in self.unanswered:
            return
        del self.unanswered[xid]
        vlen = struct.unpack(">I", reply[16:20])[0]
        at = 20 + vlen + (-vlen % 4)
        if mtype != 1 or rstat != 0 or struct.unpack(">I", reply[at:at + 4])[0] != 0:
            self.replies[xid] = xdr_u32(5) + xdr_opaque(b"") + xdr_u32(0)  # refused at the RPC level: NFS4ERR_IO
        else:
            self.replies[xid] = memoryview(reply)[at + 4:]

    def reconnect(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        while self.sock is None:
            try:
                sock = socket.create_connection((self.server, 2049), timeout=self.SILENCE)
                for framed in self.unanswered.values():
                    send_all(sock, framed)
                self.sock = sock
            except OSError:
                time.sleep(1)


def compound(ops, count):
    return xdr_opaque(b"") + xdr_u32(0) + xdr_u32(count) + ops


def putpath(path):
    """PUTROOTFH and a LOOKUP per component: (ops, count)."""
    parts = [c for c in path.split(b"/") if c]
    return xdr_u32(24) + b"".join(xdr_u32(15) + xdr_opaque(c) for c in parts), len(parts) + 1


ANONYMOUS_STATEID = xdr_u32(0) + b"\0" * 12
UNSTABLE4 = 0
# What the server refuses by file handle and anonymous stateid but allows through the creator's OPEN (see OpenFile).
NEEDS_OPEN = (-errno.EACCES, -errno.EPERM)


def nfs4_errno(status):
    return -NFS4_ERRNO.get(status, errno.EIO) if status else 0


ACCESS4_READ, ACCESS4_MODIFY = 0x1, 0x4


def nfs4_open_by_path(rpc, path, uid, gid, access):
    """What OPEN checks, without its state: the file handle of a path whose caller is granted `access` (PUTROOTFH,
    LOOKUP..., GETFH, ACCESS), or a negative errno."""
    ops, n = putpath(path)
    r = Reader(rpc.call(uid, gid, compound(ops + xdr_u32(10) + xdr_u32(3) + xdr_u32(access), n + 2)))
    status = r.results(n + 1)
    if status:
        return nfs4_errno(status)
    fh = r.opaque()
    r.u32()  # ACCESS
    if r.u32():
        return -errno.EIO
    r.u32()  # supported
    return fh if r.u32() & access == access else -errno.EACCES


def nfs4_write_submit(rpc, fh, offset, data, uid, gid):
    ops = xdr_u32(22) + xdr_opaque(fh) + xdr_u32(38) + ANONYMOUS_STATEID + struct.pack(">QII", offset, UNSTABLE4, len(data))
    return rpc.submit(uid, gid, compound(ops, 2), data)


def nfs4_write_result(body):
    """(bytes written, the server's write verifier) or (negative errno, None)."""
    r = Reader(body)
    status = r.results(2)
    if status:
        return nfs4_errno(status), None
    count = r.u32()
    r.u32()  # committed
    return count, r.opaque(8)


def nfs4_commit(rpc, fh, uid, gid):
    """The server's write verifier after it made the file's unstable writes stable, or a negative errno."""
    ops = xdr_u32(22) + xdr_opaque(fh) + xdr_u32(5) + struct.pack(">QI", 0, 0)
    r = Reader(rpc.call(uid, gid, compound(ops, 2)))
    status = r.results(2)
    return nfs4_errno(status) if status else r.opaque(8)


def nfs4_read_submit(rpc, fh, offset, size, uid, gid):
    ops = xdr_u32(22) + xdr_opaque(fh) + xdr_u32(25) + ANONYMOUS_STATEID + struct.pack(">QI", offset, size)
    return rpc.submit(uid, gid, compound(ops, 2))


def nfs4_read_result(body):
    """(data, eof) or (negative errno, True)."""
    r = Reader(body)
    status = r.results(2)
    if status:
        return nfs4_errno(status), True
    eof = r.u32()
    return r.opaque(), bool(eof)


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
    ops, n = putpath(path)
    ops += xdr_u32(34) + ANONYMOUS_STATEID + xdr_u32(2) + xdr_u32(words[0]) + xdr_u32(words[1]) + xdr_opaque(vals)
    return nfs4_errno(Reader(rpc.call(uid, gid, compound(ops, n + 1))).results(n + 1))


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
    with the anonymous stateid, RFC 7530 9.1.4.3), so it holds no NFSv4 open state of libnfs's, which would have to
    be shared by every opener (one open-owner), renewed (libnfs never renews its lease) and kept in step (see
    Efs.nfs_open). Only a file this client created keeps libnfs's OPEN until it is closed: its creator may write it
    even when its mode does not allow (a file created 0444), and the server allows that only through the OPEN."""

    def __init__(self, nfsfh, handle=None):
        self.nfsfh = nfsfh
        self.handle = handle
        # Asynchronous writes: the first error is reported by the next write, fsync or close; fsync checks that
        # every unstable write since the last one was made stable by the same server instance (its verifier).
        self.error = 0
        self.verifiers = set()


class Efs(pyfuse3.Operations):
    def __init__(self, ctx, server, root, uid, gid, squash_root=False):
        super().__init__()
        self.ctx = ctx
        self.server = server
        self.rpc = Rpc(server)
        self.root = root.rstrip("/")
        self.fixed = (uid, gid) if uid is not None else None
        # Without ClientRootAccess, EFS treats uid/gid 0 as 65534 (nobody).
        self.squash = squash_root
        self.cred = self.squashed(*(self.fixed or (0, 0)))
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
    def reconnect(self):
        """A new client (new client id, new lease, a fresh open-owner). The OPENs of files it created end with it:
        their reads and writes go on by file handle."""
        ctx, err = connect(self.server)
        if ctx is None:
            raise pyfuse3.FUSEError(errno.EIO)
        old, self.ctx = self.ctx, ctx
        nfs.nfs_destroy_context(old)
        nfs.nfs_set_uid(self.ctx, self.cred[0])
        nfs.nfs_set_gid(self.ctx, self.cred[1])
        for f in self.handles.values():
            f.handle = None

    def nfs_open(self, call, path, flags, *mode):
        """An OPEN (nfs_open/nfs_open2), tried again while the state is lost, then in a new client. libnfs 4.0 moves
        its open-owner's sequence id only when an OPEN succeeds, while the server moves it on most errors too
        (RFC 7530 9.1.7: EACCES, EEXIST, ENOENT...): after such an error libnfs's next OPEN reuses the old id and the
        server answers it as a retransmission, with the cached error, forever. So a refused OPEN ends this client:
        the next one starts in step."""
        for attempt in range(5):
            if attempt == 3:
                self.reconnect()
            h = vp()
            rc = call(self.ctx, path, flags, *mode, ctypes.byref(h))
            if rc not in LOST_STATE:
                break
        if rc < 0:
            self.reconnect()
        check(rc)
        return h

    def remember(self, f):
        fh = self.next_fh
        self.next_fh += 1
        self.handles[fh] = f
        self.creds[fh] = self.cred
        return fh

    def stateful_rc(self, call, fh, *args):
        """A call on an open file; when its state is lost, once more in a new client."""
        if self.handles[fh].handle is None:
            return -errno.EIO
        rc = call(self.ctx, self.handles[fh].handle, *args)
        if rc in LOST_STATE:
            self.reconnect()
            rc = call(self.ctx, self.handles[fh].handle, *args) if self.handles[fh].handle is not None else -errno.EIO
        return rc

    def stateful(self, call, fh, *args):
        return check(self.stateful_rc(call, fh, *args))

    def setattr_path(self, path, **attrs):
        check(nfs4_setattr(self.rpc, path, *self.cred, **attrs))

    # -- helpers --
    def full(self, path):
        return (self.root + path if path != "/" else (self.root or "/")).encode()

    def squashed(self, uid, gid):
        if not self.squash:
            return uid, gid
        return (65534 if uid == 0 else uid), (65534 if gid == 0 else gid)

    def caller(self, rctx):
        self.settle()
        uid, gid = self.squashed(*(self.fixed or (rctx.uid, rctx.gid)))
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
        create = (flags & os.O_ACCMODE) | os.O_CREAT | (flags & os.O_EXCL)
        h = self.nfs_open(nfs.nfs_open2, self.full(path), create, stat.S_IMODE(mode))
        fh = self.remember(OpenFile(nfs_fh_of(h), h))
        # libnfs 4.0 creates NFSv4 files 0600 whatever the mode, and an exclusive create (O_EXCL) leaves the server's
        # verifier in the times: the mode asked (umask applied by the kernel) and the server's time, without OPEN.
        self.setattr_path(self.full(path), mode=stat.S_IMODE(mode),
                          **({"atime_ns": SERVER_TIME, "mtime_ns": SERVER_TIME} if flags & os.O_EXCL else {}))
        return pyfuse3.FileInfo(fh=fh, keep_cache=False), self.attrs(path)

    async def read(self, fh, off, size):
        self.settle()
        f = self.handles[fh]
        body = self.rpc.wait(nfs4_read_submit(self.rpc, f.nfsfh, off, min(size, MAX_IO), *self.creds[fh]))
        data, eof = nfs4_read_result(body)
        if data in NEEDS_OPEN and f.handle is not None:
            return self.read_stateful(fh, off, size)
        if isinstance(data, int):
            check(data)
        while len(data) < size and not eof:
            more, eof = nfs4_read_result(self.rpc.wait(nfs4_read_submit(self.rpc, f.nfsfh, off + len(data), min(size - len(data), MAX_IO), *self.creds[fh])))
            if isinstance(more, int):
                check(more)
            data += more
            eof = eof or not more
        return data

    def read_stateful(self, fh, off, size):
        """A read the server refuses without the open's stateid (a file its opener may no longer read): libnfs's READ."""
        buf = ctypes.create_string_buffer(size)
        got = 0
        while got < size:
            n = self.stateful(nfs.nfs_pread, fh, off + got, size - got, ctypes.byref(buf, got))
            if n == 0:
                break
            got += n
        return buf.raw[:got]

    async def write(self, fh, off, data):
        """Sent at once, answered later (as the kernel's NFS client writes back): up to WRITE_WINDOW writes in flight;
        the next other operation waits for them all, so the server has every byte before anyone looks."""
        f = self.handles[fh]
        self.report(f)
        for at in range(0, len(data), MAX_IO):
            piece = data[at:at + MAX_IO]
            self.writes.append((f, fh, off + at, piece, nfs4_write_submit(self.rpc, f.nfsfh, off + at, piece, *self.creds[fh])))
        while len(self.writes) > WRITE_WINDOW:
            self.complete_write()
        return len(data)

    def complete_write(self):
        f, fh, off, piece, xid = self.writes.popleft()
        count, verifier = nfs4_write_result(self.rpc.wait(xid))
        if count in NEEDS_OPEN and f.handle is not None and fh in self.handles:
            count = self.write_stateful(fh, off, piece)
        elif count >= 0:
            f.verifiers.add(verifier)
            if count < len(piece):
                count = self.write_stateful(fh, off + count, piece[count:])
        if count < 0 and not f.error:
            f.error = -count

    def write_stateful(self, fh, off, data):
        for at in range(0, len(data), WRITE_CHUNK):
            piece = data[at:at + WRITE_CHUNK]
            rc = self.stateful_rc(nfs.nfs_pwrite, fh, off + at, len(piece), piece)
            if rc < 0:
                return rc
        return len(data)

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
        self.creds.pop(fh, None)
        if f is not None and f.handle is not None and nfs.nfs_close(self.ctx, f.handle) not in (0,) + LOST_STATE:
            self.reconnect()


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
    ap.add_argument("--squash-root", action="store_true")
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
    ops = Efs(ctx, a.server, root, a.uid, a.gid, a.squash_root)
    pyfuse3.init(ops, "/dev/fd/%d" % fuse_fd, set())
    print("mounted", flush=True)
    try:
        trio.run(pyfuse3.main)
    finally:
        pyfuse3.close(unmount=False)


if __name__ == "__main__":
    main()
