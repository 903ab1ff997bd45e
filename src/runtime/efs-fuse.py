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


class Dirent(ctypes.Structure):
    pass


Dirent._fields_ = [("next", ctypes.POINTER(Dirent)), ("name", ctypes.c_char_p), ("inode", ctypes.c_uint64)]


nfs.nfs_init_context.restype = vp
nfs.nfs_get_error.restype = ctypes.c_char_p
nfs.nfs_get_error.argtypes = [vp]
nfs.nfs_readdir.restype = ctypes.POINTER(Dirent)
nfs.nfs_readdir.argtypes = [vp, vp]
# NFSv4 SETATTR by path, spoken directly: one COMPOUND (PUTROOTFH, LOOKUP..., SETATTR with the anonymous stateid), over
# TCP to the same server from the instance's network namespace. libnfs 4.0's nfs_chmod/nfs_chown/nfs_utimes/
# nfs_truncate OPEN the object, SETATTR it with that open's stateid and CLOSE it. A directory cannot be OPENed
# (EISDIR), and on a regular file that is open already the extra OPEN by the same NFSv4.0 open-owner shares the
# server's one open stateid for the file: its CLOSE ends the state under the other handle, whose next WRITE is
# NFS4ERR_BAD_STATEID and whose CLOSE is refused without moving the server's open-owner seqid, while libnfs moves
# its own; every OPEN after that is NFS4ERR_BAD_SEQID (ERANGE). So every SETATTR goes this way, files included:
# the anonymous stateid needs no open state, as RFC 7530 allows for a SETATTR (even of the size) when no share
# reservation denies it (this client's OPENs deny none).
NFS4_ERRNO = {1: errno.EPERM, 2: errno.ENOENT, 5: errno.EIO, 13: errno.EACCES, 20: errno.ENOTDIR, 21: errno.EISDIR,
              22: errno.EINVAL, 27: errno.EFBIG, 28: errno.ENOSPC, 30: errno.EROFS, 63: errno.ENAMETOOLONG,
              69: errno.EDQUOT, 70: errno.ESTALE, 10001: errno.ESTALE, 10032: errno.EINVAL}


def xdr_u32(n):
    return struct.pack(">I", n & 0xFFFFFFFF)


def xdr_opaque(b):
    return xdr_u32(len(b)) + b + b"\0" * (-len(b) % 4)


def xdr_settime(ns):
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
        self.ignored = set()
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

    def forget(self, xid):
        """Nobody will wait for this call's answer: dropped when it comes."""
        if self.replies.pop(xid, None) is None:
            self.ignored.add(xid)

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
        if xid in self.ignored:
            self.ignored.discard(xid)
            return
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
                # Calls go out as soon as they are made, many small ones in flight: no Nagle delay.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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


def nfs4_write_submit(rpc, fh, offset, data, uid, gid, stateid=ANONYMOUS_STATEID):
    ops = xdr_u32(22) + xdr_opaque(fh) + xdr_u32(38) + stateid + struct.pack(">QII", offset, UNSTABLE4, len(data))
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


def nfs4_read_submit(rpc, fh, offset, size, uid, gid, stateid=ANONYMOUS_STATEID):
    ops = xdr_u32(22) + xdr_opaque(fh) + xdr_u32(25) + stateid + struct.pack(">QI", offset, size)
    return rpc.submit(uid, gid, compound(ops, 2))


def nfs4_read_result(body):
    """(data, eof) or (negative errno, True)."""
    r = Reader(body)
    status = r.results(2)
    if status:
        return nfs4_errno(status), True
    eof = r.u32()
    return r.opaque(), bool(eof)


# The attributes asked in a GETATTR, in their bit order: type, size, fileid (word 0); mode, numlinks, owner,
# owner_group, space_used, time_access, time_metadata, time_modify (word 1).
ATTRS_ASKED = (1 << 1 | 1 << 4 | 1 << 20, 1 << 1 | 1 << 3 | 1 << 4 | 1 << 5 | 1 << 13 | 1 << 15 | 1 << 20 | 1 << 21)
NF4_TYPES = {1: stat.S_IFREG, 2: stat.S_IFDIR, 3: stat.S_IFBLK, 4: stat.S_IFCHR, 5: stat.S_IFLNK, 6: stat.S_IFSOCK, 7: stat.S_IFIFO}
GETATTR = xdr_u32(9) + xdr_u32(2) + xdr_u32(ATTRS_ASKED[0]) + xdr_u32(ATTRS_ASKED[1])


def decode_attrs(r):
    """A GETATTR's answer (after its status) as a Stat64, or None when the server left some out."""
    words = [r.u32() for _ in range(r.u32())]
    values = Reader(r.opaque())
    if tuple(words[:2]) != ATTRS_ASKED or any(words[2:]):
        return None
    st = Stat64()
    kind = values.u32()
    st.size, st.ino = values.u64(), values.u64()
    st.mode = values.u32() | NF4_TYPES.get(kind, 0)
    st.nlink = values.u32()
    st.uid, st.gid = (int(values.opaque() or b"0") for _ in range(2))
    st.used = values.u64()
    for field in ("atime", "ctime", "mtime"):
        setattr(st, field, values.u64())
        setattr(st, field + "_nsec", values.u32())
    return st


STALE_CLIENT = (10022, 10011)  # NFS4ERR_STALE_CLIENTID, NFS4ERR_EXPIRED: the client id must be made again
OPEN4_RESULT_CONFIRM = 2


class Creator:
    """Creates files with NFSv4.0 OPENs of this client's own (its own client id), each by an open-owner of its own
    (no sequence id is ever shared, so none can slip), with the mode asked as the creation attribute (GUARDED4 for
    O_EXCL); the OPEN_CONFIRM goes without waiting for its answer, and the CLOSE at the file's release too."""

    def __init__(self, rpc):
        self.rpc = rpc
        self.clientid = None
        self.owners = 0
        self.name = ("halo-efs-%s-%d-%s" % (socket.gethostname(), os.getpid(), os.urandom(4).hex())).encode()

    def establish(self):
        verifier = os.urandom(8)
        # No callback (no delegations): an address that cannot answer.
        ops = (xdr_u32(35) + verifier + xdr_opaque(self.name) + xdr_u32(0x40000000) + xdr_opaque(b"tcp") + xdr_opaque(b"0.0.0.0.0.0")
               + xdr_u32(1))
        r = Reader(self.rpc.call(0, 0, compound(ops, 1)))
        status = r.results(1)
        if status:
            raise pyfuse3.FUSEError(-nfs4_errno(status))
        clientid, confirm = r.u64(), r.opaque(8)
        r = Reader(self.rpc.call(0, 0, compound(xdr_u32(36) + struct.pack(">Q", clientid) + confirm, 1)))
        status = r.results(1)
        if status:
            raise pyfuse3.FUSEError(-nfs4_errno(status))
        self.clientid = clientid

    def create(self, parent, name, uid, gid, mode, exclusive, access):
        """(file handle, open stateid, seqid for its CLOSE, xid of its OPEN_CONFIRM or None, its attributes as a Stat64
        or None) of a new file (or an existing one, without O_EXCL), or a negative errno."""
        for attempt in range(2):
            if self.clientid is None:
                self.establish()
            self.owners += 1
            owner = struct.pack(">Q", self.clientid) + xdr_opaque(b"o%d" % self.owners)
            ops, n = putpath(parent)
            createattrs = xdr_u32(2) + xdr_u32(0) + xdr_u32(1 << 1) + xdr_opaque(xdr_u32(mode))  # FATTR4_MODE
            ops += (xdr_u32(18) + xdr_u32(0) + xdr_u32(access) + xdr_u32(0) + owner
                    + xdr_u32(1) + xdr_u32(1 if exclusive else 0) + createattrs  # OPEN4_CREATE, GUARDED4 / UNCHECKED4
                    + xdr_u32(0) + xdr_opaque(name))  # CLAIM_NULL
            r = Reader(self.rpc.call(uid, gid, compound(ops + xdr_u32(10) + GETATTR, n + 3)))
            status = r.results(n + 1)
            if status in STALE_CLIENT and attempt == 0:
                self.clientid = None
                continue
            if status:
                return nfs4_errno(status)
            stateid = r.opaque(16)
            r.u32()  # change_info4: atomic
            r.u64()
            r.u64()
            rflags = r.u32()
            for _ in range(r.u32()):  # attrset
                r.u32()
            delegation = r.u32()
            if delegation:  # never asked for (no callback): given anyway, it is returned with the CLOSE's state
                r.opaque(16)
                r.u32()
                if delegation == 2:
                    r.opaque(12 if r.u32() == 1 else 8)
                r.u32(), r.u32(), r.u32(), r.opaque()
            if r.u32() != 10 or r.u32() != 0:
                return -errno.EIO
            fh = r.opaque()
            st = decode_attrs(r) if r.u32() == 9 and r.u32() == 0 else None
            seqid, confirming = 1, None
            if rflags & OPEN4_RESULT_CONFIRM:
                ops = xdr_u32(22) + xdr_opaque(fh) + xdr_u32(20) + stateid + xdr_u32(seqid)
                confirming = self.rpc.submit(uid, gid, compound(ops, 2))
                stateid = xdr_u32(struct.unpack(">I", stateid[:4])[0] + 1) + stateid[4:]
                seqid += 1
            return fh, stateid, seqid, confirming, st
        return -errno.EIO

    def close(self, fh, stateid, seqid, uid, gid):
        """A CLOSE nobody waits for (an OPEN it fails to close ends with the lease, which nothing renews)."""
        ops = xdr_u32(22) + xdr_opaque(fh) + xdr_u32(4) + xdr_u32(seqid) + stateid
        self.rpc.forget(self.rpc.submit(uid, gid, compound(ops, 2)))


def nfs4_setattr(rpc, path, uid, gid, size=None, mode=None, owner=None, group=None, atime_ns=None, mtime_ns=None):
    """Returns 0 or a negative errno, as libnfs calls do."""
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


class Efs(pyfuse3.Operations):
    def __init__(self, ctx, server, root, uid, gid):
        super().__init__()
        self.ctx = ctx
        self.server = server
        self.rpc = Rpc(server)
        self.dir_attrs = {}
        self.creator = Creator(self.rpc)
        self.root = root.rstrip("/")
        self.fixed = (uid, gid) if uid is not None else None
        self.cred = self.fixed or (0, 0)
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

    def caller(self, rctx):
        self.settle()
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
        self.settle()
        st = Stat64()
        check(nfs.nfs_lstat64(self.ctx, self.full(path), ctypes.byref(st)))
        return self.entry(path, st)

    def entry(self, path, st):
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
        a.attr_timeout = ATTR_TIMEOUT
        a.entry_timeout = ATTR_TIMEOUT
        if stat.S_ISDIR(st.mode):
            # The kernel asks for a directory's attributes again after every entry made in it (its times changed) to
            # check the next lookup's permission: a directory's are kept as long as the kernel would keep them.
            self.dir_attrs[ino] = (time.monotonic(), a)
        return a

    # -- metadata --
    async def lookup(self, parent, name, rctx):
        self.caller(rctx)
        try:
            return self.attrs(self.child(parent, name))
        except pyfuse3.FUSEError as e:
            if e.errno != errno.ENOENT:
                raise
        # The kernel keeps the name's absence as long as a name's presence (what a search path asks again and again).
        missing = pyfuse3.EntryAttributes()
        missing.st_ino = 0
        missing.entry_timeout = ATTR_TIMEOUT
        return missing

    async def getattr(self, inode, rctx):
        cached = self.dir_attrs.get(inode)
        if cached and time.monotonic() - cached[0] < ATTR_TIMEOUT:
            return cached[1]
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
        self.dir_attrs.clear()  # links counts change
        check(nfs.nfs_mkdir2(self.ctx, self.full(path), stat.S_IMODE(mode)))
        return self.attrs(path)

    async def rmdir(self, parent, name, rctx):
        self.caller(rctx)
        self.dir_attrs.clear()
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
        self.dir_attrs.clear()
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
        mode_flags = flags & os.O_ACCMODE
        access = (1 if mode_flags != os.O_WRONLY else 0) | (2 if mode_flags != os.O_RDONLY else 0)  # OPEN4_SHARE_ACCESS_*
        made = self.creator.create(self.full(self.path_of(parent)), name, *self.cred, stat.S_IMODE(mode), bool(flags & os.O_EXCL), access)
        if isinstance(made, int):
            check(made)
        nfsfh, stateid, seqid, confirming, st = made
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
