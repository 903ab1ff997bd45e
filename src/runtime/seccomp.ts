/**
 * The seccomp filter of every instance: a classic BPF program built here and installed by the sandbox's first stage
 * (as root, so without no_new_privs: setuid programs inside the instance keep working) right before it execs the
 * instance's init. Filters are inherited and cannot be removed, so everything the instance ever runs is under it.
 *
 * It refuses (EPERM) what Docker's default profile refuses to a container without CAP_SYS_ADMIN, and a little more
 * (ptrace, adjtimex, io_uring): kernel keyrings, kernel modules, the clock, swap, reboot, kexec, perf, bpf, file
 * handles, every mount call, new namespaces (unshare, setns, clone with a CLONE_NEW* flag), NUMA placement, quotas,
 * syslog. clone3 answers ENOSYS, so the C library falls back to clone, whose flags the filter can read. Only
 * x86_64 system calls pass: i386 (int 0x80) and x32 numbers are refused, so no other table of numbers slips past.
 */

/** x86_64 system call numbers (asm/unistd_64.h) refused with EPERM. */
export const DENIED_SYSCALLS: Record<string, number> = {
  // kernel keyrings: the instance has none (the host's root keyring is out of reach)
  add_key: 248,
  request_key: 249,
  keyctl: 250,
  // kernel modules
  create_module: 174,
  init_module: 175,
  delete_module: 176,
  get_kernel_syms: 177,
  query_module: 178,
  finit_module: 313,
  // the machine's clock
  settimeofday: 164,
  adjtimex: 159,
  clock_settime: 227,
  clock_adjtime: 305,
  // swap, reboot, kexec, accounting, quotas
  swapon: 167,
  swapoff: 168,
  reboot: 169,
  kexec_load: 246,
  kexec_file_load: 320,
  acct: 163,
  quotactl: 179,
  quotactl_fd: 443,
  // tracing and kernel programs
  ptrace: 101,
  process_vm_readv: 310,
  process_vm_writev: 311,
  kcmp: 312,
  pidfd_getfd: 438,
  perf_event_open: 298,
  bpf: 321,
  lookup_dcookie: 212,
  syslog: 103,
  userfaultfd: 323,
  fanotify_init: 300,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  // files by handle (the way out of a chroot)
  open_by_handle_at: 304,
  // mounts: all of them are done before this filter is installed
  mount: 165,
  umount2: 166,
  pivot_root: 155,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  mount_setattr: 442,
  open_tree_attr: 467,
  // namespaces (a user namespace needs no capability at all)
  unshare: 272,
  setns: 308,
  // NUMA placement, obsolete or raw hardware access
  mbind: 237,
  set_mempolicy: 238,
  get_mempolicy: 239,
  migrate_pages: 256,
  move_pages: 279,
  set_mempolicy_home_node: 450,
  ioperm: 173,
  iopl: 172,
  uselib: 134,
  ustat: 136,
  sysfs: 139,
  _sysctl: 156,
  nfsservctl: 180,
  vhangup: 153,
};

const CLONE = 56;
const CLONE3 = 435;
/** CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET */
const CLONE_NEW_FLAGS = 0x7e020000;
const AUDIT_ARCH_X86_64 = 0xc000003e;
const X32_BIT = 0x40000000;

const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const EPERM = 1;
const ENOSYS = 38;

// BPF opcodes (linux/filter.h)
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;

/** Offsets in struct seccomp_data. */
const NR = 0;
const ARCH = 4;
const ARG0_LOW = 16;

/** The filter as sock_filter entries (code, jt, jf, k), in order. */
export function seccompProgram(): Array<[number, number, number, number]> {
  const denied = Object.values(DENIED_SYSCALLS);
  const n = denied.length;
  // Layout: 0 ld arch · 1 jeq x86_64 · 2 ret EPERM · 3 ld nr · 4 jge x32 · 5 jeq clone3 · 6 jeq clone · 7 ld arg0 ·
  // 8 jset CLONE_NEW* · 9…9+n-1 jeq denied · ALLOW · DENY · NOSYS
  const allow = 9 + n;
  const deny = allow + 1;
  const nosys = deny + 1;
  const jump = (from: number, to: number) => to - (from + 1);
  const prog: Array<[number, number, number, number]> = [
    [LD_W_ABS, 0, 0, ARCH],
    [JEQ_K, 1, 0, AUDIT_ARCH_X86_64],
    [RET_K, 0, 0, RET_ERRNO | EPERM],
    [LD_W_ABS, 0, 0, NR],
    [JGE_K, jump(4, deny), 0, X32_BIT],
    [JEQ_K, jump(5, nosys), 0, CLONE3],
    [JEQ_K, 0, jump(6, 9), CLONE],
    [LD_W_ABS, 0, 0, ARG0_LOW],
    [JSET_K, jump(8, deny), jump(8, allow), CLONE_NEW_FLAGS],
  ];
  denied.forEach((nr, i) => prog.push([JEQ_K, jump(9 + i, deny), 0, nr]));
  prog.push([RET_K, 0, 0, RET_ALLOW], [RET_K, 0, 0, RET_ERRNO | EPERM], [RET_K, 0, 0, RET_ERRNO | ENOSYS]);
  for (const [, jt, jf] of prog) if (jt > 255 || jf > 255) throw new Error('seccomp filter too long for 8-bit jumps');
  return prog;
}

/** The program as the bytes of a struct sock_filter array (little endian), in hex. */
export function seccompFilterHex(): string {
  const prog = seccompProgram();
  const buf = Buffer.alloc(prog.length * 8);
  prog.forEach(([code, jt, jf, k], i) => {
    buf.writeUInt16LE(code, i * 8);
    buf.writeUInt8(jt, i * 8 + 2);
    buf.writeUInt8(jf, i * 8 + 3);
    buf.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return buf.toString('hex');
}

/**
 * Installs the filter (its hex bytes the first argument) with seccomp(SECCOMP_SET_MODE_FILTER) and execs the rest of
 * the command line. Perl (the host's copy, like setpriv: see sandbox.ts) because it can pass a pointer to a system
 * call without a compiler and starts without reading any module.
 */
export const SECCOMP_LOADER =
  "my $p = pack('H*', shift @ARGV); my $f = pack('S x6 Q', length($p) / 8, unpack('Q', pack('P', $p)));" +
  ' syscall(317, 1, 0, $f) == 0 or die "halo: seccomp: $!\\n"; exec { $ARGV[0] } @ARGV or die "halo: exec $ARGV[0]: $!\\n";';
