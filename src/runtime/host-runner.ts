/**
 * The daemon's host command runner (sh.ts `run`, `startConsoleAndSandbox`): a small perl process that starts ip,
 * nft, mount... and the instances' sandboxes for the daemon. Node starts a child synchronously (fork and exec in the
 * calling thread, waiting until the exec happened), which under load stops the daemon's event loop for tens of
 * milliseconds per command; here that wait costs nothing to the API. Perl, not a second Node process: a fork copies
 * the parent's page tables, and a perl of a few MB forks for a sixth of a Node's CPU (0.2 against 1.3 ms a command,
 * measured), which a launch pays for each of its host commands on a machine its launches keep busy.
 *
 * One JSON request per line on stdin, one JSON answer per line on stdout; the end of a long-lived process it started
 * is one more line (`exited`). It ends with its stdin (the daemon's end), and so do the sandboxes it started (their
 * parent-death signal). Commands run in a process group of their own (a time-out kills the group: background jobs
 * would otherwise hold their output open), at most MAX_RUNNING at once (fifty launches at once on a small machine
 * would otherwise start hundreds of processes together, each then so slow that it meets its time-out; the others wait
 * their turn, their time-out counting from their start); a boot goes before waiting commands. With HALO_TRACE set,
 * commands slower than a second are logged on stderr (the daemon's).
 *
 * A boot gives an instance's console keeper (console.ts) its input; the keeper starts the sandbox: its first line is
 * the answer (the sandbox's pid, or `error <why>`), its end the sandbox's. The keeper is the spare started after the
 * previous boot when it was started as this one (a perl start off the boot's path), else a new one; then the next
 * spare starts.
 */
export const HOST_RUNNER = `
use strict;
use warnings;
use Encode ();
use Errno ();
use JSON::XS ();
use POSIX ();
use Time::HiRes ();
$0 = 'halo-host-runner';
my $MAX_RUNNING = 16;
my $SLOW_MS = 1000;
# JSON::XS (Debian's libjson-xs-perl), not the core JSON::PP: that one took 12 ms to read an nft ruleset of 26 KB.
my $json = JSON::XS->new->utf8;
my $canonical = JSON::XS->new->utf8->canonical;
$SIG{PIPE} = 'IGNORE';

# SIGCHLD wakes the loop through a pipe (no wake-up is lost between a look at the children and the wait in select).
pipe(my $wake_r, my $wake_w) or die "pipe: $!";
for my $fh ($wake_r, $wake_w) { my $fl = fcntl($fh, 3, 0); fcntl($fh, 4, $fl | 0x800); }
$SIG{CHLD} = sub { syswrite($wake_w, 'x'); };

sub now_ms { Time::HiRes::time() * 1000 }
sub text { Encode::decode('UTF-8', $_[0] // '') }
sub bytes { Encode::encode('UTF-8', $_[0] // '') }
# Writes it all to a blocking handle (a signal may cut a write short); false when the reader is gone.
sub write_all {
  my ($fh, $data) = @_;
  while (length $data) {
    my $n = syswrite($fh, $data);
    if (!defined $n) { next if $!{EINTR}; return 0; }
    substr($data, 0, $n, '');
  }
  return 1;
}
# An answer; the daemon gone, this process ends.
sub send_line { write_all(\\*STDOUT, $json->encode($_[0]) . "\\n") or exit 0; }
# The answer to a request whose process could not start.
sub refuse { send_line({ id => $_[0], status => undef, stdout => '', stderr => '', spawnError => $_[1] }); }

# Starts a process without waiting for its exec: its stdin, stdout (and stderr unless inherited) on pipes, in a session
# of its own, with the environment given (else this one's). Returns (pid, in, out, err, exec) or (undef, why) when it
# cannot fork; \`exec\` reads as ended once the exec happened, else it carries the exec's errno (exec_error).
sub start {
  my ($cmd, $args, $env, $keep_stderr) = @_;
  pipe(my $in_r, my $in_w) or return (undef, "pipe: $!");
  pipe(my $out_r, my $out_w) or return (undef, "pipe: $!");
  my ($err_r, $err_w);
  unless ($keep_stderr) { pipe($err_r, $err_w) or return (undef, "pipe: $!"); }
  # Closed by a successful exec (close-on-exec), else it carries the exec's errno.
  pipe(my $exec_r, my $exec_w) or return (undef, "pipe: $!");
  my $pid = fork;
  return (undef, "fork: $!") unless defined $pid;
  unless ($pid) {
    $SIG{$_} = 'DEFAULT' for qw(CHLD PIPE);
    POSIX::setsid();
    POSIX::dup2(fileno($in_r), 0); POSIX::dup2(fileno($out_w), 1);
    POSIX::dup2(fileno($err_w), 2) unless $keep_stderr;
    %ENV = map { bytes($_) => bytes($env->{$_}) } keys %$env if $env;
    my $program = bytes($cmd);
    { no warnings 'exec'; exec { $program } $program, map { bytes($_) } @$args; }
    syswrite($exec_w, ($! + 0) . "");
    POSIX::_exit(127);
  }
  close $_ for grep { defined } ($in_r, $out_w, $err_w, $exec_w);
  fcntl($_, 4, fcntl($_, 3, 0) | 0x800) for grep { defined } ($in_w, $out_r, $err_r, $exec_r);
  return ($pid, $in_w, $out_r, $err_r, $exec_r);
}

# What a failed exec's errno (read on its pipe) reads as, in Node's words.
sub exec_error {
  my ($cmd, $errno) = @_;
  local $! = $errno + 0;
  my ($name) = grep { $!{$_} } keys %!;
  return "Error: spawn $cmd " . ($name // "errno $errno");
}

my %jobs;      # pid -> a command that runs
my @waiting;   # commands not started yet
my %keepers;   # pid -> a keeper given a boot
my $spare;     # { key, pid, in, out }: a keeper started ahead of the next boot
my $next_spare; # the last boot's keeper command, for the next spare
my %ended;     # pid -> wait status of a reaped child not accounted for yet
my $input = '';

sub finish_job {
  my ($pid, $status) = @_;
  my $job = delete $jobs{$pid} or return;
  close $_ for grep { defined } ($job->{in}, $job->{out}, $job->{err}, $job->{exec});
  return refuse($job->{id}, exec_error($job->{cmd}, $job->{exec_errno})) if length $job->{exec_errno};
  my $ms = now_ms() - $job->{started};
  printf STDERR "[halo trace] host command took %.0f ms (status %s): %s\\n", $ms, $status // 'null',
    substr(join(' ', $job->{cmd}, @{$job->{args}}), 0, 200) if $ENV{HALO_TRACE} && $ms > $SLOW_MS;
  send_line({ id => $job->{id}, status => $status, stdout => text($job->{stdout}), stderr => text($job->{stderr}) });
}

sub start_waiting {
  while (@waiting && keys(%jobs) < $MAX_RUNNING) {
    my $req = shift @waiting;
    my ($pid, $in, $out, $err, $exec) = start($req->{cmd}, $req->{args} // [], undef, 0);
    unless (defined $pid) {
      refuse($req->{id}, $in);
      next;
    }
    my $timeout = $req->{timeoutMs} // 0;
    $jobs{$pid} = { %$req, in => $in, out => $out, err => $err, exec => $exec, exec_errno => '', stdout => '',
      stderr => '', started => now_ms(), deadline => $timeout > 0 ? now_ms() + $timeout : undef,
      input => bytes($req->{input}) };
  }
}

sub keeper_key { $canonical->encode([$_[0]{cmd}, $_[0]{args}, $_[0]{env}]) }

# A keeper whose exec failed ends (127) without a line: its boot fails with that.
sub spawn_keeper {
  my ($k) = @_;
  my ($pid, $in, $out, undef, $exec) = start($k->{cmd}, $k->{args} // [], $k->{env} // {}, 1);
  return { error => $in } unless defined $pid;
  close $exec;
  # The keeper reads its input whole: blocking writes (it is small).
  fcntl($in, 4, fcntl($in, 3, 0) & ~0x800);
  return { key => keeper_key($k), pid => $pid, in => $in, out => $out };
}

sub boot {
  my ($req) = @_;
  my $k = $req->{keeper};
  my $key = keeper_key($k);
  my $keeper;
  if ($spare && $spare->{key} eq $key && !exists $ended{$spare->{pid}}) { $keeper = $spare; }
  else {
    if ($spare) { close $spare->{in}; close $spare->{out}; delete $ended{$spare->{pid}}; }
    $keeper = spawn_keeper($k);
  }
  undef $spare;
  $next_spare = $k;
  return refuse($req->{id}, $keeper->{error}) if $keeper->{error};
  # A keeper gone meanwhile fails its boot by its end (no answer line).
  write_all($keeper->{in}, bytes($k->{input}));
  close $keeper->{in};
  $keepers{$keeper->{pid}} = { id => $req->{id}, out => $keeper->{out}, first => '', answered => 0 };
}

sub keeper_answer {
  my ($pid, $line) = @_;
  my $kp = $keepers{$pid};
  return if $kp->{answered};
  $kp->{answered} = 1;
  if ($line =~ /^(\\d+)$/) {
    send_line({ id => $kp->{id}, status => 0, stdout => '', stderr => '', keeperPid => 0 + $pid, sandboxPid => 0 + $1 });
  } else {
    (my $why = $line) =~ s/^error //;
    refuse($kp->{id}, text($why));
  }
}

# A keeper whose output ended and that was reaped: its end (or, never answered, its failure).
sub keeper_end {
  my ($pid) = @_;
  my $kp = $keepers{$pid};
  return if defined $kp->{out} || !exists $ended{$pid};
  my $w = delete $ended{$pid};
  delete $keepers{$pid};
  my $code = POSIX::WIFEXITED($w) ? POSIX::WEXITSTATUS($w) : undef;
  unless ($kp->{answered}) {
    (my $first = $kp->{first}) =~ s/^error //;
    $first =~ s/\\s+$//;
    return keeper_answer($pid, 'error ' . (length $first ? $first : 'the console keeper ended (' . ($code // 'signal') . ')'));
  }
  send_line({ exited => 0 + $pid, status => $code // 128 });
}

sub reap {
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
    my $w = $?;
    if ($jobs{$pid}) { $jobs{$pid}{status} = POSIX::WIFEXITED($w) ? POSIX::WEXITSTATUS($w) : undef; $jobs{$pid}{reaped} = 1; }
    elsif ($keepers{$pid} || ($spare && $spare->{pid} == $pid)) { $ended{$pid} = $w; }
  }
}

while (1) {
  reap();
  for my $pid (keys %jobs) {
    my $j = $jobs{$pid};
    finish_job($pid, $j->{status}) if $j->{reaped} && !defined $j->{out} && !defined $j->{err} && !defined $j->{exec};
  }
  keeper_end($_) for keys %keepers;
  my $now = now_ms();
  for my $pid (keys %jobs) {
    my $j = $jobs{$pid};
    next unless defined $j->{deadline} && $now >= $j->{deadline};
    kill 'KILL', -$pid or kill 'KILL', $pid;
    finish_job($pid, undef);
  }
  start_waiting();
  # After the boots of this turn, as their keepers start their sandboxes.
  if ($next_spare && !$spare) {
    $spare = spawn_keeper($next_spare);
    undef $spare if $spare->{error};
  }
  undef $next_spare;

  my ($rin, $win) = ('', '');
  my %by_fd;
  my $watch = sub { my ($fh, $what, $bits) = @_; vec($$bits, fileno($fh), 1) = 1; $by_fd{fileno($fh)} = $what; };
  $watch->(\\*STDIN, ['stdin'], \\$rin);
  $watch->($wake_r, ['wake'], \\$rin);
  for my $pid (keys %jobs) {
    my $j = $jobs{$pid};
    $watch->($j->{out}, ['out', $pid], \\$rin) if defined $j->{out};
    $watch->($j->{err}, ['err', $pid], \\$rin) if defined $j->{err};
    $watch->($j->{exec}, ['exec', $pid], \\$rin) if defined $j->{exec};
    $watch->($j->{in}, ['in', $pid], \\$win) if defined $j->{in};
  }
  for my $pid (keys %keepers) { $watch->($keepers{$pid}{out}, ['keeper', $pid], \\$rin) if defined $keepers{$pid}{out}; }
  my @deadlines = map { $_->{deadline} } grep { defined $_->{deadline} } values %jobs;
  my ($soonest) = sort { $a <=> $b } @deadlines;
  my $wait = defined $soonest ? ($soonest - now_ms()) / 1000 : 1;
  $wait = 0 if $wait < 0;
  $wait = 1 if $wait > 1;
  my ($rout, $wout) = ($rin, $win);
  my $n = select($rout, $wout, undef, $wait);
  next if $n <= 0;

  for my $fd (keys %by_fd) {
    my ($what, $pid) = @{$by_fd{$fd}};
    if ($what eq 'in') {
      next unless vec($wout, $fd, 1);
      my $j = $jobs{$pid} or next;
      my $w = syswrite($j->{in}, $j->{input});
      if (defined $w) { substr($j->{input}, 0, $w, ''); }
      elsif (!$!{EAGAIN} && !$!{EINTR}) { $j->{input} = ''; }
      if (!length $j->{input}) { close $j->{in}; undef $j->{in}; }
      next;
    }
    next unless vec($rout, $fd, 1);
    if ($what eq 'wake') { sysread($wake_r, my $drain, 4096); next; }
    if ($what eq 'stdin') {
      my $got = sysread(STDIN, my $chunk, 65536);
      next if !defined $got && $!{EINTR};
      exit 0 unless $got;
      $input .= $chunk;
      while ((my $nl = index($input, "\\n")) >= 0) {
        my $line = substr($input, 0, $nl + 1, '');
        next unless $line =~ /\\S/;
        my $req = $json->decode($line);
        if (($req->{op} // 'run') eq 'boot') { boot($req); } else { push @waiting, $req; }
      }
      next;
    }
    if ($what eq 'keeper') {
      my $kp = $keepers{$pid} or next;
      my $got = sysread($kp->{out}, my $chunk, 65536);
      next if !defined $got && ($!{EAGAIN} || $!{EINTR});
      if (!$got) { close $kp->{out}; undef $kp->{out}; next; }
      next if $kp->{answered};
      $kp->{first} .= $chunk;
      keeper_answer($pid, $1) if $kp->{first} =~ /^([^\\n]*)\\n/;
      next;
    }
    my $j = $jobs{$pid} or next;
    my $got = sysread($j->{$what}, my $chunk, 65536);
    next if !defined $got && ($!{EAGAIN} || $!{EINTR});
    if ($got) { $j->{$what eq 'out' ? 'stdout' : $what eq 'err' ? 'stderr' : 'exec_errno'} .= $chunk; }
    else { close $j->{$what}; undef $j->{$what}; }
  }
}
`;

/** A host command for the runner (sh.ts `run`). */
export interface CommandRequest {
  id: number;
  op?: 'run';
  cmd: string;
  args: string[];
  input: string;
  timeoutMs: number;
}

/**
 * An instance's console keeper, which makes its FIFOs and starts its sandbox (console.ts): its first line is the
 * sandbox's pid (or `error <why>`), its end the sandbox's (reported for the keeper's pid).
 */
export interface BootRequest {
  id: number;
  op: 'boot';
  /** Its command, and what it reads on its stdin (what to do: it may start before the request). */
  keeper: { cmd: string; args: string[]; env: Record<string, string>; input: string };
}
