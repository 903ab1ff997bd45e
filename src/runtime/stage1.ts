/**
 * The sandbox's first stage: one perl process of the host (started in the instance's new mount, PID, UTS and IPC
 * namespaces) that does every step of the boot by system calls, so that a launch
 * costs one program start instead of the thirty-odd of a shell script (mount, mkdir, cp, python3 for the id-mapped
 * mounts, the host tools copied for after the pivot). In order:
 *
 * 1. has a child join the instance's cgroups for it (meanwhile), lowers its own OOM score; enters the instance's
 *    network namespace once its keeper made it (the "netns" gate: the sandbox starts meanwhile, outside of it, where
 *    nothing of it touches the network);
 * 2. waits for the host's "disks" gate (the root volume's file system made, the data volumes bound);
 * 3. attaches the root volume's image to a loop device (the one already attached to it, if any, as `mount -o loop`
 *    shares it) with autoclear, mounts it, makes the overlay's upper/ and work/ in it; waits for the cgroups' child;
 * 4. replaces the image layers and the root volume's mount by id-mapped copies (open_tree, mount_setattr,
 *    move_mount), for a user namespace made here with the mapping of userns.ts;
 * 5. the overlay root, /proc with its read-only and masked parts, /sys, /dev (nodes bound from the host, devpts,
 *    shm), the data volumes (a shell fragment of volumes.ts, only when there are some), /run with the boot files and
 *    the host's FIFO that wakes the init when its link comes up;
 * 6. the host name; waits for the host's "network" gate (its veth wired, and its firewall applied unless it boots
 *    offline);
 * 7. pivot_root, then the instance's user namespace (NS_GET_USERNS, setns, ids 0, the parent-death signal again);
 *    as the instance's root, in its own root: /etc/resolv.conf and /etc/hosts (as EC2's DHCP writes them at every
 *    boot), the user data's copy the init runs and the CloudFormation helpers' links;
 * 8. the capability bounding set, the seccomp filter, exec of the image's tini with the init.
 *
 * After the pivot nothing is loaded or run from the instance's files but tini: the interpreter and its code were
 * loaded before (only built-in functions and numeric system calls are used, no module is required), so no program
 * of the instance runs with the host's capabilities. Errors end the process (and so the sandbox) with a line on
 * the console. With HALO_TRACE, a console line per step (epoch ns at its end; bench/ec2.ts reads them).
 */

/** x86_64 numbers of what the first stage (and the console keeper) call. */
export const NR = {
  ioctl: 16,
  getpid: 39,
  exit: 60,
  prctl: 157,
  pivotRoot: 155,
  mount: 165,
  umount2: 166,
  sethostname: 170,
  clockGettime: 228,
  unshare: 272,
  setns: 308,
  seccomp: 317,
  setgroups: 116,
  setresuid: 117,
  setresgid: 119,
  openTree: 428,
  moveMount: 429,
  mountSetattr: 442,
  close: 3,
  mknodat: 259,
};

/** What the first stage needs, all known to the host before the sandbox starts. */
export interface Stage1Config {
  /** Where the overlay root is mounted (instanceDir/root). */
  root: string;
  /** Where the root volume's file system is mounted (instanceDir/disk). */
  disk: string;
  /** The root volume's image file. */
  rootDisk: string;
  /** Made by this launch: no loop device can be attached to it yet, so none is looked for. */
  rootDiskNew: boolean;
  /** Its mount flags (MS_*) and data, from ROOT_DISK_OPTIONS. */
  rootDiskFlags: number;
  rootDiskData: string;
  layers: string[];
  /** The cgroups the first stage sets up in (the cloud's provisioning cpu cgroup in place of the instance's own). */
  cgroups: string[];
  /** The instance's own cpu cgroup, joined just before the pivot when `cgroups` holds the provisioning one. */
  joinBeforePivot?: string;
  /** The host id of the instance's root; undefined = no user namespace, no id-mapped mounts. */
  idBase?: number;
  idRange: number;
  hostname: string;
  /**
   * The boot files' directories, copied in order into the instance's /run/halo (owned by its root): a file of a later
   * one replaces one of an earlier one (an instance's own boot/ of an older halo had the shared files too).
   */
  boot: string[];
  /** The instance's network namespace (its /run/netns file), entered once the host made it (netnsGate). */
  netns: string;
  /** Gate files the host writes (network namespace made, disks ready, network ready). */
  netnsGate: string;
  diskGate: string;
  netGate: string;
  /** The FIFO the host rings after opening a gate (sandbox.ts openGate). */
  bell: string;
  /** The data volumes' shell fragment (volumes.ts stage1Disks), run with $R set to the root when the host wrote it. */
  disksScript: string;
  /** The host's FIFO bound at /run/halo/online: the init waits there for its link (sandbox.ts wakeInit). */
  onlineFifo: string;
  /** /proc entries made read-only, files hidden behind /dev/null, directories behind an empty read-only tmpfs. */
  procReadOnly: string[];
  procMaskedFiles: string[];
  procMaskedDirs: string[];
  devNodes: string[];
  /** Symbolic links made in the instance's root as its root at each boot: [link, target]. */
  links: Array<[string, string]>;
  /** Capability numbers kept in the bounding set. */
  keptCaps: number[];
  seccompHex: string;
  trace: boolean;
}

/** A perl single-quoted string: only \\ and \' are special there. */
const plq = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const plList = (xs: string[]) => `(${xs.map(plq).join(', ')})`;

/** Mount flags of an option list as mount(2) takes them: the flags, and the rest as the file system's data. */
export function mountFlags(options: string): { flags: number; data: string } {
  const FLAGS: Record<string, number> = { ro: 1, nosuid: 2, nodev: 4, noexec: 8 };
  let flags = 0;
  const data: string[] = [];
  for (const o of options.split(',').filter(Boolean)) {
    if (FLAGS[o] !== undefined) flags |= FLAGS[o];
    else data.push(o);
  }
  return { flags, data: data.join(',') };
}

/**
 * Perl: `gate($file)` waits until the host has made the file. The host rings a FIFO (the "bell", opened here for
 * reading and writing, so that it never reads as ended) after each gate it opens; the first stage sleeps in select
 * on it, with a time-out as a safety net. Not inotify: closing an inotify instance waits for an SRCU grace period
 * (10-25 ms here, measured), once per gate. Without the bell (not made: an older boot's files), it polls.
 */
export const GATE_PERL = `
my $BELL;
our $BELL_SAFETY = 0.25;
sub open_bell { sysopen($BELL, $_[0], 2) or undef $BELL; }
sub gate { my ($file) = @_;
  until (-e $file) {
    unless ($BELL) { select(undef, undef, undef, 0.005); next; }
    my $ready = ''; vec($ready, fileno($BELL), 1) = 1;
    sysread($BELL, my $buf, 512) if select($ready, undef, undef, $BELL_SAFETY) > 0;
  } }
`;

/** The first stage's perl program for one boot. */
export function stage1Program(c: Stage1Config): string {
  const base = c.idBase;
  const owner = base === undefined ? '' : `,uid=${base},gid=${base}`;
  return `use strict;
$| = 1;
my $R = ${plq(c.root)};
my $D = ${plq(c.disk)};
my $BASE = ${base === undefined ? 'undef' : String(base)};
my $OWNER = ${plq(owner)};
my $TRACE = ${c.trace ? 1 : 0};
my @LAYERS = ${plList(c.layers)};
my %KEPT = map { $_ => 1 } (${c.keptCaps.join(', ')});

sub mark { return unless $TRACE; my $ts = pack('q2', 0, 0); syscall(${NR.clockGettime}, 0, $ts); my ($s, $ns) = unpack('q2', $ts);
  printf "[halo trace] stage1 %s %d%09d\\n", $_[0], $s, $ns; }
# mount(2); undef as a pointer is NULL. Strings passed to syscall are variables (perl writes through the pointer of a
# string argument, so a literal would be refused) that were never used as numbers (those are passed as numbers).
sub mnt { my ($src, $dst, $type, $flags, $data) = @_;
  syscall(${NR.mount}, $src, $dst, $type, $flags, $data) == 0 or die "halo: mount $type on $dst: $!\\n"; }
sub bindmount { my ($src, $dst) = @_; mnt($src, $dst, undef, 4096, undef); }
sub writefile { my ($file, $text) = @_; sysopen(my $fh, $file, 1) or die "halo: $file: $!\\n";
  defined syswrite($fh, $text) or die "halo: $file: $!\\n"; close $fh; }
sub readfile { my ($file) = @_; open(my $fh, '<', $file) or return undef; local $/; my $t = <$fh>; close $fh; $t }
${GATE_PERL}
mark('start');
open_bell(${plq(c.bell)});
# The instance's cgroups are joined by a child while this process goes on: on cgroup v1 a move waits for an RCU grace
# period (about 11 ms here) when none happened lately, as long as the root volume's mount. The child names this process
# as its PID namespace does (1); it is waited for before the next fork, long before anything of the instance runs.
my $joiner = fork() // die "halo: fork: $!\\n";
unless ($joiner) {
  my $ok = eval { writefile("$_/cgroup.procs", "1\\n") for (${c.cgroups.map(plq).join(', ')}); 1 };
  print "halo: joining the instance's cgroups: $@" unless $ok;
  syscall(${NR.exit}, $ok ? 0 : 1);
}
# The instance's PID 1 (tini) is never the OOM killer's choice, as init is not on a machine. Lowering the score needs
# CAP_SYS_RESOURCE, which the daemon may lack: then tini keeps 0 and the init script raises what it starts.
eval { writefile('/proc/self/oom_score_adj', '-1000') };

gate(${plq(c.netnsGate)});
{
  sysopen(my $net, ${plq(c.netns)}, 0) or die "halo: ${c.netns}: $!\\n";
  syscall(${NR.setns}, fileno($net), 0x40000000) == 0 or die "halo: setns net: $!\\n";
  close $net;
}
mark('in its network namespace');
gate(${plq(c.diskGate)});
mark('disks ready');
# The root volume on a loop device with autoclear (freed by the kernel when its last mount goes), as mount -o loop:
# a loop device already attached to this file (a host copy, a previous boot's mount still going away) is shared. A
# new volume has none: the look (an open per loop device of the host, a hundred here: 4 ms) is skipped.
{
  my $file = ${plq(c.rootDisk)};
  my @st = stat($file) or die "halo: $file: $!\\n";
  my ($loop, $name);
  opendir(my $sys, '/sys/block') or die "halo: /sys/block: $!\\n";
  for my $n (${c.rootDiskNew ? '()' : 'readdir $sys'}) {
    next unless $n =~ /^loop\\d+$/;
    my $backing = readfile("/sys/block/$n/loop/backing_file");
    next unless defined $backing;
    chomp $backing;
    next unless $backing eq $file;
    sysopen(my $l, "/dev/$n", 2) or next;
    my $info = "\\0" x 232;
    if (ioctl($l, 0x4C05, $info)) {
      my ($dev, $ino) = unpack('Q2', $info);
      if ($dev == $st[0] && $ino == $st[1]) { ($loop, $name) = ($l, "/dev/$n"); last; }
    }
    close $l;
  }
  closedir $sys;
  unless ($loop) {
    sysopen(my $ctl, '/dev/loop-control', 2) or die "halo: /dev/loop-control: $!\\n";
    sysopen(my $img, $file, 2) or die "halo: $file: $!\\n";
    # Every launch of many at once asks for the lowest free device: most lose the race many times over (200 at once
    # lost 50 in a row), so they try on, after a short random pause that spreads them apart.
    for my $try (1 .. 2000) {
      my $n = ioctl($ctl, 0x4C82, 0);
      defined $n or die "halo: no free loop device: $!\\n";
      $n = 0 if $n eq '0 but true';
      sysopen(my $l, "/dev/loop$n", 2) or die "halo: /dev/loop$n: $!\\n";
      # struct loop_config: the file, then loop_info64 with LO_FLAGS_AUTOCLEAR and the file's name.
      my $config = pack('L L Q5 L4 a64 a64 a32 Q2 Q8', fileno($img), 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, substr($file, 0, 63), '', '', 0, 0, (0) x 8);
      if (ioctl($l, 0x4C0A, $config)) { ($loop, $name) = ($l, "/dev/loop$n"); last; }
      # Taken by a concurrent attach meanwhile (EBUSY): the next free one.
      my ($errno, $why) = ($! + 0, "$!");
      close $l;
      die "halo: attaching $file to /dev/loop$n: $why\\n" unless $errno == 16;
      select(undef, undef, undef, rand(0.01));
    }
    $loop or die "halo: attaching $file to a loop device: no free one\\n";
    close $img; close $ctl;
  }
  mnt($name, $D, 'ext4', ${c.rootDiskFlags}, ${plq(c.rootDiskData)});
  close $loop;
}
for my $d ("$D/upper", "$D/work") { mkdir $d or -d $d or die "halo: $d: $!\\n"; }
mark('root volume mounted');
waitpid($joiner, 0) == $joiner && $? == 0 or die "halo: the instance's cgroups were not joined\\n";

if (defined $BASE) {
  # A user namespace whose only process ends at once, kept by a descriptor: its ids are the mapping of the mounts.
  pipe(my $r, my $w) or die "halo: pipe: $!\\n"; pipe(my $r2, my $w2) or die "halo: pipe: $!\\n";
  my $pid = fork() // die "halo: fork: $!\\n";
  if ($pid == 0) {
    close $w; close $r2;
    my $ok = syscall(${NR.unshare}, 0x10000000) == 0;
    syswrite $w2, $ok ? '1' : '0'; sysread $r, my $x, 1; syscall(${NR.exit}, 0);
  }
  close $r; close $w2;
  sysread $r2, my $ok, 1;
  $ok eq '1' or die "halo: unshare of a user namespace failed\\n";
  # The child as the host's /proc knows it (this process is PID 1 of a PID namespace of its own).
  my ($child) = split ' ', readfile('/proc/thread-self/children');
  writefile("/proc/$child/$_", "0 $BASE ${c.idRange}\\n${c.idRange} 0 1\\n") for ('uid_map', 'gid_map');
  sysopen(my $ns, "/proc/$child/ns/user", 0) or die "halo: user namespace: $!\\n";
  close $w; waitpid $pid, 0;
  my $attr = pack('Q4', 0x100000, 0, 0, fileno($ns));
  for my $d (@LAYERS, $D) {
    my @a = lstat($d); my @b = lstat("$d/..");
    my $mounted = $a[0] != $b[0] || $a[1] == $b[1];
    my $t = syscall(${NR.openTree}, -100, $d, 1 | 0x80000);
    $t >= 0 or die "halo: open_tree $d: $!\\n";
    syscall(${NR.mountSetattr}, $t, my $e1 = '', 0x1000, $attr, 32) == 0 or die "halo: mount_setattr $d: $!\\n";
    syscall(${NR.umount2}, $d, 2) if $mounted;
    syscall(${NR.moveMount}, $t, my $e2 = '', -100, $d, 4) == 0 or die "halo: move_mount $d: $!\\n";
    syscall(${NR.close}, $t);
  }
  close $ns;
}
mark('id-mapped');

mnt('halo-root', $R, 'overlay', 0, ${plq(`lowerdir=${c.layers.join(':')},upperdir=${c.disk}/upper,workdir=${c.disk}/work`)});
mnt('proc', "$R/proc", 'proc', 2 | 4 | 8, undef);
for my $d (${c.procReadOnly.map(plq).join(', ')}) {
  next unless -d "$R/proc/$d";
  bindmount("$R/proc/$d", "$R/proc/$d");
  mnt(undef, "$R/proc/$d", undef, 32 | 4096 | 1 | 2 | 4 | 8, undef);
}
for my $f (${c.procMaskedFiles.map(plq).join(', ')}) { bindmount('/dev/null', "$R/proc/$f") if -f "$R/proc/$f"; }
for my $d (${c.procMaskedDirs.map(plq).join(', ')}) { mnt('halo-masked', "$R/proc/$d", 'tmpfs', 1 | 2 | 4 | 8, 'size=0') if -d "$R/proc/$d"; }
eval { mnt('sysfs', "$R/sys", 'sysfs', 1 | 2 | 4 | 8, undef) };
mark('overlay and /proc');

mnt('halo-dev', "$R/dev", 'tmpfs', 2, "mode=755,size=65536k$OWNER");
for my $n (${c.devNodes.map(plq).join(', ')}) {
  sysopen(my $fh, "$R/dev/$n", 64 | 1, 0644) or die "halo: $R/dev/$n: $!\\n"; close $fh;
  bindmount("/dev/$n", "$R/dev/$n");
}
mkdir "$R/dev/$_" or die "halo: $R/dev/$_: $!\\n" for ('pts', 'shm');
mnt('devpts', "$R/dev/pts", 'devpts', 0, 'newinstance,ptmxmode=0666,mode=620');
mnt('halo-shm', "$R/dev/shm", 'tmpfs', 2 | 4, "mode=1777$OWNER");
symlink($_->[1], "$R/dev/$_->[0]") or die "halo: $R/dev/$_->[0]: $!\\n"
  for (['ptmx', 'pts/ptmx'], ['fd', '/proc/self/fd'], ['stdin', '/proc/self/fd/0'], ['stdout', '/proc/self/fd/1'], ['stderr', '/proc/self/fd/2']);
if (-s ${plq(c.disksScript)}) {
  local $ENV{R} = $R;
  system('/bin/sh', '-e', ${plq(c.disksScript)}) == 0 or die "halo: the data volumes' step failed\\n";
}
mnt('halo-run', "$R/run", 'tmpfs', 2 | 4, "mode=755$OWNER");
# The boot files, as the instance's root's (its /run/halo, /run/lock, /run/systemd).
{
  my @own = defined $BASE ? ($BASE, $BASE) : (0, 0);
  sub copy_tree { my ($from, $to, $own) = @_;
    opendir(my $dh, $from) or die "halo: $from: $!\\n";
    for my $e (readdir $dh) {
      next if $e eq '.' || $e eq '..';
      my ($src, $dst) = ("$from/$e", "$to/$e");
      my @st = lstat($src) or die "halo: $src: $!\\n";
      if (-l _) { symlink(readlink($src), $dst) or die "halo: $dst: $!\\n"; next; }
      if (-d _) { mkdir $dst or -d $dst or die "halo: $dst: $!\\n"; copy_tree($src, $dst, $own); }
      else {
        my $text = readfile($src); defined $text or die "halo: $src: $!\\n";
        sysopen(my $out, $dst, 64 | 512 | 1, 0600) or die "halo: $dst: $!\\n";
        defined syswrite($out, $text) or die "halo: $dst: $!\\n"; close $out;
      }
      chmod($st[2] & 07777, $dst) or die "halo: $dst: $!\\n";
      chown(@$own, $dst) or die "halo: $dst: $!\\n";
    }
    closedir $dh; }
  for my $d ("$R/run/halo", "$R/run/lock", "$R/run/systemd", "$R/run/systemd/system") {
    mkdir $d, 0755 or die "halo: $d: $!\\n"; chown(@own, $d) or die "halo: $d: $!\\n"; }
  copy_tree($_, "$R/run/halo", \\@own) for (${c.boot.map(plq).join(', ')});
  sysopen(my $fh, "$R/run/halo/online", 64 | 1, 0600) or die "halo: $R/run/halo/online: $!\\n"; close $fh;
  bindmount(${plq(c.onlineFifo)}, "$R/run/halo/online");
}
my $hostname = ${plq(c.hostname)};
syscall(${NR.sethostname}, $hostname, length($hostname)) == 0 or die "halo: sethostname: $!\\n";
my $last_cap = readfile('/proc/sys/kernel/cap_last_cap') // 40;
mark('/dev and /run');

gate(${plq(c.netGate)});
mark('network ready');
${c.joinBeforePivot ? `writefile(${plq(c.joinBeforePivot + '/cgroup.procs')}, "0\\n");\n` : ''}chdir $R or die "halo: $R: $!\\n";
mkdir '.halo-old';
syscall(${NR.pivotRoot}, my $new = '.', my $old = '.halo-old') == 0 or die "halo: pivot_root: $!\\n";
chdir '/';
syscall(${NR.umount2}, my $old_root = '/.halo-old', 2) == 0 or die "halo: umount of the host's root: $!\\n";
rmdir '/.halo-old';
# The user namespace that owns the network namespace, as its root; a change of ids clears the parent-death signal,
# set again so that a daemon killed -9 takes the instance along.
if (defined $BASE) {
  sysopen(my $net, '/proc/self/ns/net', 0) or die "halo: netns: $!\\n";
  my $u = syscall(${NR.ioctl}, fileno($net), 0xb701, 0); $u >= 0 or die "halo: NS_GET_USERNS: $!\\n";
  syscall(${NR.setns}, $u, 0x10000000) == 0 or die "halo: setns user: $!\\n";
  syscall(${NR.setgroups}, 0, 0) == 0 && syscall(${NR.setresgid}, 0, 0, 0) == 0 && syscall(${NR.setresuid}, 0, 0, 0) == 0
    or die "halo: ids: $!\\n";
  syscall(${NR.prctl}, 1, 9) == 0 or die "halo: pdeathsig: $!\\n";
  syscall(${NR.close}, $u); close $net;
}
# As EC2's DHCP does at every boot: the VPC's resolver and search domain, the instance's own name (a link there,
# e.g. to a local resolver's stub, is replaced).
for my $f ('resolv.conf', 'hosts') {
  my $text = readfile("/run/halo/$f");
  next unless defined $text && length $text;
  unlink "/etc/$f";
  if (sysopen(my $out, "/etc/$f", 64 | 128 | 1, 0644)) { syswrite($out, $text); close $out; chmod 0644, "/etc/$f"; }
  else { print "[halo] /etc/$f: $!\\n"; }
}
# The user data where the init runs it from, as cloud-init keeps its copy (rewritten at every boot; the init decides
# whether it runs): executable when it is a #! script.
{
  my $ud = readfile('/run/halo/user-data');
  if (defined $ud && length $ud) {
    my ($file, $mode) = ('/var/lib/halo/user-data', $ud =~ /^#!/ ? 0700 : 0600);
    my $dir = ''; for my $part ('var', 'lib', 'halo') { $dir .= "/$part"; mkdir $dir, 0755; }
    unlink $file;
    if (sysopen(my $out, $file, 64 | 128 | 1, $mode)) { syswrite($out, $ud); close $out; chmod $mode, $file; }
    else { print "[halo] $file: $!\\n"; }
  }
}
for my $l (${c.links.map(([link, target]) => `[${plq(link)}, ${plq(target)}]`).join(', ')}) {
  my $dir = ''; for my $part (grep { length } split m{/}, ($l->[0] =~ s{/[^/]*$}{}r)) { $dir .= "/$part"; mkdir $dir; }
  unlink $l->[0]; symlink($l->[1], $l->[0]);
}
mark('pivoted');
# Capabilities: those of the instance's namespaces only, and of them only the kept ones; then the seccomp filter.
for my $cap (0 .. $last_cap) {
  next if $KEPT{$cap};
  syscall(${NR.prctl}, 24, $cap) == 0 or die "halo: dropping capability $cap: $!\\n";
}
my $prog = pack('H*', ${plq(c.seccompHex)});
my $filter = pack('S x6 Q', length($prog) / 8, unpack('Q', pack('P', $prog)));
syscall(${NR.seccomp}, 1, 0, $filter) == 0 or die "halo: seccomp: $!\\n";
exec { '/usr/bin/tini' } '/usr/bin/tini', '--', '/bin/sh', '/run/halo/init' or die "halo: exec /usr/bin/tini: $!\\n";
`;
}
