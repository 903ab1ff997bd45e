import { closeSync, existsSync, openSync, readSync, fstatSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NR } from './stage1.js';
import { MAKE_NETNS_PERL } from './userns.js';

/**
 * The console of an instance, kept as EC2 keeps it: the most recent 64 KB (GetConsoleOutput). The sandbox writes
 * into a pipe read by a small host process (the keeper) placed in the instance's own cgroups, so a flood costs the
 * instance's CPU share, not the daemon's, and at most twice the kept size on disk: the keeper appends to
 * `console.log` and, past 128 KB, rewrites it with its last 64 KB. The daemon's own lines are appended to the file.
 * The pipe is a FIFO (`console.fifo`), not a socket, so that `/proc/1/fd/1` can be opened inside the instance (as
 * services do to write on the console). Should the keeper die, the instance's console writes fail (EPIPE).
 */
export const CONSOLE_KEPT_BYTES = 64 * 1024;

/** CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID: the sandbox's own namespaces but its network's. */
const SANDBOX_NAMESPACES = 0x20000 | 0x4000000 | 0x8000000 | 0x20000000;
const MS_REC = 0x4000;
const MS_SLAVE = 0x80000;

/**
 * The keeper (perl without modules: it starts in a few milliseconds, python in tens), which also starts the sandbox.
 * The host command runner starts it ahead of the boot. Before its input it makes the sandbox (at the normal CPU
 * weight: work done at nice 19 counts 68 times over in the scheduler's accounts, which then delays the launch's own
 * steps by milliseconds, measured): a fork with its own
 * PID, mount (the host's mounts as masters), UTS and IPC namespaces, as `unshare --pid --fork --mount --propagation
 * slave --uts --ipc --kill-child` makes them, whose PID 1 waits (on a pipe) for the console FIFO and the first stage
 * to run. Then it waits for what to do on its stdin (an empty stdin ends it, and the sandbox with it): the console
 * file, the kept size, the owner (-1: the host's root), the FIFOs and the cgroups (one per line), the steps that make
 * the cgroups (limits.ts `cgroupPlan`), the first stage's program file, the instance's network namespace to make (in
 * a user namespace of the owner's ids), its gate, the bell, the `ip -batch` file of the instance's side of its link
 * and the network gate to open after it (or nothing), NUL-separated. So a boot costs the runner no process start, and
 * the launch no fork or namespace of the sandbox's.
 *
 * With its input it takes back the normal weight, makes the instance's cgroups (system calls, not the daemon's thread
 * pool) and joins them through a child (off the runner's thread and its own: on cgroup v1 a move waits for an RCU
 * grace period when none happened lately, about 11 ms here, which the first stage's own join then shares). It makes
 * the instance's FIFOs (the console's first) owned by the instance's root, opens both ends of the console's (the read
 * end without blocking, so that the sandbox's write end opens at once) and tells the sandbox's PID 1, which opens the
 * console as its stdout and stderr and runs the first stage in its interpreter (no program start). While the first
 * stage sets itself up, the keeper makes the instance's network namespace (userns.ts `make_netns`, in this
 * interpreter too; its binding in /run/netns reaches the sandbox's mounts) and opens its gate (the gate file, then a
 * line on the bell: stage1.ts GATE_PERL), runs the instance's side of its link (network.ts `instanceSide`, one `ip
 * -batch` of a file: a fork of this small process, not of the runner) and, for a boot whose link is connected later,
 * opens its network gate too; should any of it fail, it kills the sandbox. Then it prints the sandbox's pid: the
 * answer the runner waits for (so the namespace and its eth0 exist once the launch has it). It closes its own write
 * end of the console once the sandbox's PID 1 has opened its own, reaps the cgroups' child, lowers its OOM score, and
 * appends what the sandbox writes to the console file until the last writer is gone. It ends with the sandbox's
 * status (128 + signal when killed), after its console is written out or, should a process outside the sandbox keep
 * the FIFO open, 2 s after the sandbox ended. It dies with the runner, and the sandbox with it (their parent-death
 * signals).
 */
const KEEPER = `
syscall(${NR.prctl}, 1, 9);
$SIG{PIPE} = 'IGNORE';
# The sandbox, made ahead: its own PID, mount (the host's mounts as masters), UTS and IPC namespaces, as
# \`unshare --pid --fork --mount --propagation slave --uts --ipc --kill-child\` makes them; its PID 1 waits for the boot's
# console FIFO and first stage on one pipe, its parent for the same on another (nothing: no boot, they end).
pipe(my $go_sandbox_r, my $go_sandbox) or die "halo: pipe: $!\\n";
pipe(my $go_init_r, my $go_init) or die "halo: pipe: $!\\n";
pipe(my $ready_r, my $ready_w) or die "halo: pipe: $!\\n";
my $pid = fork;
defined $pid or die "halo: fork: $!\\n";
unless ($pid) {
  $SIG{PIPE} = 'DEFAULT';
  close $_ for ($go_sandbox, $go_init, $ready_r);
  open(STDIN, '<', '/dev/null');
  open(STDOUT, '>', '/dev/null');
  syscall(${NR.prctl}, 1, 9);
  syscall(${NR.unshare}, ${SANDBOX_NAMESPACES}) == 0 or die "halo: unshare: $!\\n";
  syscall(${NR.mount}, my $none = 'none', my $root = '/', undef, ${MS_REC | MS_SLAVE}, undef) == 0
    or die "halo: the host's mounts as masters: $!\\n";
  my $init = fork;
  defined $init or die "halo: fork: $!\\n";
  unless ($init) {
    close $go_sandbox_r;
    syscall(${NR.prctl}, 1, 9);
    # A line (the keeper's children, forked later, hold the pipe open: its end is no sign).
    my $word = <$go_init_r>;
    syscall(${NR.exit}, 0) unless defined $word && chomp $word;
    my ($console, $program) = split /\\0/, $word;
    # The console: the keeper holds its read end open until this write end is (a line on the ready pipe).
    open(STDOUT, '>', $console) or syscall(${NR.exit}, 1);
    open(STDERR, '>&', \\*STDOUT) or syscall(${NR.exit}, 1);
    syswrite($ready_w, "1");
    close $ready_w;
    $0 = "halo-stage1 $program";
    do $program;
    die($@ || "halo: $program: $!\\n");
  }
  close $_ for ($go_init_r, $ready_w);
  $SIG{INT} = $SIG{TERM} = 'IGNORE';
  my $word = <$go_sandbox_r>;
  $0 = "halo-sandbox " . (split /\\0/, $word)[1] if defined $word && chomp $word;
  waitpid($init, 0);
  exit(($? & 127) ? 128 + ($? & 127) : $? >> 8);
}
close $_ for ($go_sandbox_r, $go_init_r, $ready_w);
my $args = do { local $/; <STDIN> };
exit 0 unless defined $args && length $args;
my ($path, $cap, $owner, $fifos, $cgroups, $cgsteps, $program, $netns, $gate, $bell, $wire, $netgate) = split /\\0/, $args, -1;
# A failure ends the sandbox first (made ahead, and already running its first stage when told), then says why.
sub fail { kill 9, $pid; waitpid($pid, 0); syswrite(STDOUT, "error $_[0]\\n"); exit 1; }
# The instance's cgroups with their limits (limits.ts cgroupPlan), before anything joins them. A previous boot's are
# removed first: busy (EBUSY) while its last processes exit, a short and bounded wait.
for my $step (split /\\n/, $cgsteps) {
  my ($op, $p, $v) = split /\\t/, $step;
  if ($op eq 'rmdir') {
    for my $try (1 .. 50) { last if rmdir($p) || $! != 16; select(undef, undef, undef, 0.02); }
  } elsif ($op eq 'mkdir') {
    mkdir $p or fail("cgroup $p: $!");
  } elsif ($op eq 'quota') {
    my $period = 100000;
    if (open(my $f, '<', "$p/cpu.cfs_period_us")) { my $read = <$f>; $period = ($read // 0) + 0 || 100000; close $f; }
    my $q;
    (sysopen($q, "$p/cpu.cfs_quota_us", 1) && syswrite($q, $period * $v)) or fail("$p/cpu.cfs_quota_us: $!");
  } elsif (sysopen(my $f, $p, 1)) {
    defined syswrite($f, $v) or fail("$p: $!");
  } elsif (!($op eq 'write?' && $! == 2)) {
    fail("$p: $!");
  }
}
${MAKE_NETNS_PERL}
sub open_gate { my ($file) = @_;
  sysopen(my $g, $file, 64 | 1) or return "$file: $!";
  close $g;
  if (sysopen(my $b, $bell, 2 | 0x800)) { syswrite($b, "\\n"); close $b; }
  return '';
}
# ip -batch of a file in a network namespace: '' when done, else what it said.
sub ip_batch { my ($ns, $file) = @_;
  pipe(my $r, my $w) or return "pipe: $!";
  my $ip = fork // return "fork: $!";
  unless ($ip) {
    close $r; open(STDIN, '<', '/dev/null'); open(STDOUT, '>&', $w); open(STDERR, '>&', $w);
    exec('ip', '-n', $ns, '-batch', $file);
    syscall(${NR.exit}, 127);
  }
  close $w;
  my $said = do { local $/; <$r> } // '';
  close $r;
  waitpid($ip, 0);
  chomp $said;
  return $? ? "ip -n $ns -batch $file: " . ($said || "exit $?") : '';
}
# This process joins the instance's cgroups through a child, while it goes on: on cgroup v1 the first move waits for
# an RCU grace period (about 11 ms here), which the first stage's own join then shares instead of starting another.
my $keeper = $$;
my $joiner = fork;
unless ($joiner) {
  for my $c (split /\\n/, $cgroups) {
    if (sysopen(my $procs, "$c/cgroup.procs", 1)) { syswrite($procs, "$keeper\\n"); close $procs; }
  }
  syscall(${NR.exit}, 0);
}
my @fifos = split /\\n/, $fifos;
for my $f (@fifos) {
  unlink $f;
  my $name = "$f";
  syscall(${NR.mknodat}, -100, $name, 0010600, 0) == 0 or fail("mkfifo $f: $!");
  $owner < 0 or chown($owner, $owner, $f) or fail("chown $f: $!");
}
sysopen(my $in, $fifos[0], 0x800) or fail("$fifos[0]: $!");
sysopen(my $end, $fifos[0], 1) or fail("$fifos[0]: $!");
for my $go ($go_init, $go_sandbox) {
  defined syswrite($go, "$fifos[0]\\0$program\\n") or fail("the sandbox made ahead ended: $!");
  close $go;
}
if (length $netns) {
  eval { make_netns($netns, $owner < 0 ? '' : $owner) };
  if ($@) { chomp(my $e = $@); fail("network namespace $netns: $e"); }
  my $e = open_gate($gate);
  fail($e) if $e;
  my ($name) = $netns =~ m{([^/]+)$};
  $e = length $wire ? ip_batch($name, $wire) : '';
  fail($e) if $e;
  $e = length $netgate ? open_gate($netgate) : '';
  fail($e) if $e;
}
syswrite(STDOUT, "$pid\\n");
close STDOUT;
# The sandbox's PID 1 has the console open (or ended): from now on its end is the end of the console's writers.
sysread($ready_r, my $opened, 1);
close $ready_r;
close $end;
waitpid($joiner, 0) if $joiner;
if (sysopen(my $oom, '/proc/self/oom_score_adj', 1)) { syswrite($oom, '-1000'); close $oom; }
fcntl($in, 4, fcntl($in, 3, 0) & ~0x800);
sub compact {
  open(my $f, '<', $path) or return;
  binmode $f;
  my $size = (-s $f) || 0;
  seek($f, $size > $cap ? $size - $cap : 0, 0);
  local $/; my $data = <$f>; close $f;
  open(my $t, '>', "$path.tmp") or return;
  binmode $t; print $t (defined $data ? $data : ''); close $t;
  rename "$path.tmp", $path;
}
open(my $out, '>>', $path) or die "$path: $!\\n";
binmode $out;
my $size = (-s $out) || 0;
my ($status, $deadline);
while (1) {
  unless (defined $status) {
    if (waitpid($pid, 1) == $pid) { $status = ($? & 127) ? 128 + ($? & 127) : $? >> 8; $deadline = time + 2; }
  }
  last if defined $deadline && time > $deadline;
  my $ready = '';
  vec($ready, fileno($in), 1) = 1;
  next unless select($ready, undef, undef, 0.5);
  my $n = sysread($in, my $chunk, 65536);
  last unless $n;
  syswrite($out, $chunk);
  $size += $n;
  if ($size > 2 * $cap) {
    close $out;
    compact();
    open($out, '>>', $path) or die "$path: $!\\n";
    binmode $out;
    $size = (-s $out) || 0;
  }
}
unless (defined $status) { waitpid($pid, 0); $status = ($? & 127) ? 128 + ($? & 127) : $? >> 8; }
exit $status;
`;

/** What the keeper needs to make an instance's console and start its sandbox. */
export interface ConsoleAndSandbox {
  /** The console file (`console.log`); its FIFO is `console.fifo` beside it. */
  file: string;
  /** The instance's root on the host (owner of its FIFOs); undefined: the host's root. */
  owner?: number;
  /** Other FIFOs of the instance, made with the console's (same owner and mode). */
  otherFifos: string[];
  /** The instance's cgroups, which the keeper makes (`cgroupSteps`) and joins. */
  cgroups: string[];
  /** How to make them (limits.ts `cgroupPlan`). */
  cgroupSteps: string;
  /** The sandbox's first stage (stage1.ts), a perl program run as the sandbox's PID 1. */
  program: string;
  /** The instance's network namespace to make (its /run/netns file), in a user namespace of the owner's ids when given. */
  netns: string;
  /** The gate the first stage waits at before it enters the namespace, and the bell that wakes it (sandbox.ts). */
  netnsGate: string;
  bell: string;
  /** The `ip -batch` file run in the namespace once made (the instance's side of its link); '' for none. */
  wire: string;
  /** The network gate, opened after it ('' when the host opens it). */
  networkGate: string;
}

/** The keeper's command line (see KEEPER): the host command runner starts it (sh.ts `startConsoleAndSandbox`). */
export function keeperCommand(c: ConsoleAndSandbox): { cmd: string; args: string[]; input: string } {
  trimConsole(c.file);
  const fifo = path.join(path.dirname(c.file), 'console.fifo');
  return {
    cmd: '/usr/bin/perl',
    args: ['-e', KEEPER],
    input: [
      c.file,
      String(CONSOLE_KEPT_BYTES),
      String(c.owner ?? -1),
      [fifo, ...c.otherFifos].join('\n'),
      c.cgroups.join('\n'),
      c.cgroupSteps,
      c.program,
      c.netns,
      c.netnsGate,
      c.bell,
      c.wire,
      c.networkGate,
    ].join('\0'),
  };
}

/** Cuts a console file to its most recent 64 KB (the daemon's own lines accumulate while the instance is stopped). */
export function trimConsole(file: string): void {
  if (!existsSync(file)) return;
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size <= CONSOLE_KEPT_BYTES) return;
    const buf = Buffer.alloc(CONSOLE_KEPT_BYTES);
    const n = readSync(fd, buf, 0, CONSOLE_KEPT_BYTES, size - CONSOLE_KEPT_BYTES);
    writeFileSync(`${file}.tmp`, buf.subarray(0, n));
    renameSync(`${file}.tmp`, file);
  } finally {
    closeSync(fd);
  }
}

/** The last 64 KB of a console file, read without loading more of it. */
export function readConsoleTail(file: string): string {
  if (!existsSync(file)) return '';
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, CONSOLE_KEPT_BYTES);
    const buf = Buffer.alloc(len);
    const n = readSync(fd, buf, 0, len, size - len);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
