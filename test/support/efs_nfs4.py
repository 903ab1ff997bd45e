"""NFSv4.0 spoken by a program inside an instance, without a mount or halo's client (efs-policies.test.ts copies this
file into the instance): XDR, one pipelined RPC connection, and the COMPOUNDs for reads, writes, COMMIT, SETATTR,
the file handle and access of a path, and file creation under a client id and open-owners of its own. It was the
Python EFS client's; the client is now C (src/runtime/efs-client/), and this stays as the tests' raw NFS client.
"""
import errno
import os
import socket
import stat
import struct
import time
from types import SimpleNamespace

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
        # Transaction ids: one after the other from a random start (unique among the calls in flight, and unlike the
        # previous client's on the same address for the server's duplicate request cache).
        self.next_xid = int.from_bytes(os.urandom(4), "big")

    def submit(self, uid, gid, compound, payload=b""):
        """Sends a COMPOUND (its bytes, then an opaque payload that ends it: a WRITE's data); returns its xid."""
        xid = self.next_xid
        self.next_xid = (xid + 1) & 0xFFFFFFFF
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
    """A GETATTR's answer (after its status) with the fields of libnfs's nfs_stat_64, or None when the server left
    some out."""
    words = [r.u32() for _ in range(r.u32())]
    values = Reader(r.opaque())
    if tuple(words[:2]) != ATTRS_ASKED or any(words[2:]):
        return None
    st = SimpleNamespace(rdev=0)
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


def nfs4_readdir(rpc, path, uid, gid):
    """A directory's entries as [(name, attributes as decode_attrs gives them, or None)] by READDIRs that carry the
    entries' attributes (one round trip per 256 KiB of entries, not one per entry), or a negative errno."""
    out, cookie, verifier = [], 0, b"\0" * 8
    while True:
        ops, n = putpath(path)
        ops += (xdr_u32(26) + struct.pack(">Q", cookie) + verifier + xdr_u32(1 << 16) + xdr_u32(1 << 18)
                + xdr_u32(2) + xdr_u32(ATTRS_ASKED[0]) + xdr_u32(ATTRS_ASKED[1]))
        r = Reader(rpc.call(uid, gid, compound(ops, n + 1)))
        status = r.results(n + 1)
        if status:
            return nfs4_errno(status)
        verifier = r.opaque(8)
        while r.u32():
            cookie = r.u64()
            name = r.opaque()
            out.append((name, decode_attrs(r)))
        if r.u32():
            return out


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
            raise OSError(-nfs4_errno(status), "SETCLIENTID refused")
        clientid, confirm = r.u64(), r.opaque(8)
        r = Reader(self.rpc.call(0, 0, compound(xdr_u32(36) + struct.pack(">Q", clientid) + confirm, 1)))
        status = r.results(1)
        if status:
            raise OSError(-nfs4_errno(status), "SETCLIENTID_CONFIRM refused")
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
