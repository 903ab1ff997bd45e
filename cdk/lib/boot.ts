import { Fn } from 'aws-cdk-lib';
import type { Workload } from './workload/index.js';

/** Where the boot script keeps the administrator password (root-only) before handing it to the workload. */
export const PASSWORD_FILE = '/etc/halo-ci/admin-password';

/** What the boot script of an architecture does around its workload. Values are tokens, resolved by `Fn::Sub`. */
export interface BootOptions {
  readonly architecture: string;
  readonly workload: Workload;
  /** Where the CI server keeps its state. */
  readonly stateDir: string;
  /** The logical id to signal (CreationPolicy); undefined: no signal (the seed's behaviour under `faithful`). */
  readonly signalResource?: string;
  /** The Secrets Manager secret holding the admin password. */
  readonly secretArn?: string;
  /** The seed's way (faithful only): the password itself, from a stack parameter, in the user data. */
  readonly plainPassword?: string;
  /** An Elastic IP allocation the instance associates to itself at boot. */
  readonly eipAllocationId?: string;
  /** The Auto Scaling group: AZRebalance is suspended on it (see the Resilient construct). */
  readonly suspendAzRebalanceOn?: string;
  /** The group whose launching lifecycle hook the boot completes once the server answers (warm pools). */
  readonly lifecycleHook?: { readonly group: string; readonly hook: string };
  /** An EFS file system mounted on `stateDir`. */
  readonly efsFileSystemId?: string;
  /** Start the in-instance health check that calls SetInstanceHealth when the server stops answering. */
  readonly healthCheck?: boolean;
}

/**
 * The user data of every architecture: one bash script. The HA steps (signal, Elastic IP, AZRebalance, health
 * check, lifecycle hook) are the same for both targets; only `workload.prepare` and `workload.setup` differ. The
 * script is also kept as a cloud-init per-boot script, so an instance started again (from a warm pool, or after a
 * stop) runs it again; every step is idempotent.
 */
export function bootScript(o: BootOptions): string {
  const w = o.workload;
  const vars: Record<string, string> = {};
  const lines: string[] = [
    '#!/bin/bash',
    `# halo CI server (${w.name}) for the ${o.architecture} architecture`,
    '# Everything to the console (get-console-output) and to a log file.',
    'exec > >(tee -a /var/log/halo-ci-boot.log) 2>&1',
    'set -u',
    'umask 077',
    'export AWS_DEFAULT_REGION=${AWS::Region}',
    'imds() { t=$(curl -sf -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 300" http://169.254.169.254/latest/api/token) && curl -sf -H "X-aws-ec2-metadata-token: $t" "http://169.254.169.254/latest/$1"; }',
  ];
  if (o.signalResource) {
    vars.SignalResource = o.signalResource;
    lines.push(
      'signal() { aws cloudformation signal-resource --stack-name ${AWS::StackName} --logical-resource-id ${SignalResource} --unique-id "$INSTANCE_ID" --status "$1"; }',
    );
  } else {
    lines.push('signal() { :; }');
  }
  lines.push(
    'fail() { echo "halo-ci: boot failed: $1"; signal FAILURE; exit 1; }',
    'install -d -m 0755 /var/lib/cloud/scripts/per-boot; cp "$0" /var/lib/cloud/scripts/per-boot/halo-ci.sh 2>/dev/null || true',
  );
  if (w.prepare) lines.push(w.prepare + ' || { echo "halo-ci: cannot install the boot tools"; exit 1; }');
  lines.push('INSTANCE_ID=$(imds meta-data/instance-id) || { echo "halo-ci: no instance id from the metadata service"; exit 1; }');
  if (o.lifecycleHook) {
    vars.HookGroup = o.lifecycleHook.group;
    vars.HookName = o.lifecycleHook.hook;
    lines.push(
      'continue_launch() { aws autoscaling complete-lifecycle-action --auto-scaling-group-name ${HookGroup} --lifecycle-hook-name ${HookName} --instance-id "$INSTANCE_ID" --lifecycle-action-result "$1" || true; }',
      '# An instance launched into the warm pool only prepares: it must not touch the state another server owns.',
      'case "$(imds meta-data/autoscaling/target-lifecycle-state)" in Warmed:*) continue_launch CONTINUE; exit 0;; esac',
    );
  }
  lines.push(`install -d -m 0700 ${PASSWORD_FILE.replace(/\/[^/]+$/, '')}`);
  if (o.secretArn) {
    vars.AdminSecret = o.secretArn;
    lines.push(
      `aws secretsmanager get-secret-value --secret-id \${AdminSecret} --query SecretString --output text > ${PASSWORD_FILE} || fail "cannot read the admin password from Secrets Manager"`,
    );
  } else if (o.plainPassword) {
    vars.PlainPassword = o.plainPassword;
    lines.push(`printf '%s' '\${PlainPassword}' > ${PASSWORD_FILE}`);
  } else {
    lines.push(`[ -s ${PASSWORD_FILE} ] || head -c 24 /dev/urandom | base64 | tr -dc A-Za-z0-9 > ${PASSWORD_FILE}`);
  }
  lines.push(`STATE=${o.stateDir}`, 'install -d -m 0755 $STATE');
  if (o.efsFileSystemId) {
    vars.FileSystem = o.efsFileSystemId;
    lines.push(
      '# NFS 4.1 as EFS documents it; hard mounts so a write never silently fails during a mount target change.',
      'mountpoint -q $STATE || for i in $(seq 1 30); do mount -t nfs4 -o nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport ${FileSystem}.efs.${AWS::Region}.amazonaws.com:/ $STATE && break; sleep 10; done',
      'mountpoint -q $STATE || fail "cannot mount the EFS file system ${FileSystem} on $STATE"',
    );
  }
  lines.push(
    // A script of its own: `set -e` is ignored in a subshell whose status is tested, and the server's files need the
    // usual umask (the boot's 077 is for the password only).
    "cat > /usr/local/sbin/halo-ci-setup <<'SETUP'",
    '#!/bin/bash',
    'set -euo pipefail',
    'umask 022',
    w.setup(o.stateDir, PASSWORD_FILE).trim(),
    'SETUP',
    `bash /usr/local/sbin/halo-ci-setup || fail "the ${w.name} setup failed"`,
    `ready=no; for i in $(seq 1 120); do curl -sf -o /dev/null --max-time 5 http://127.0.0.1:${w.port}${w.healthPath} && { ready=yes; break; }; sleep 5; done`,
    `[ $ready = yes ] || fail "${w.name} did not answer on port ${w.port} within 10 minutes"`,
  );
  if (o.eipAllocationId) {
    vars.AllocationId = o.eipAllocationId;
    lines.push(
      'aws ec2 associate-address --instance-id "$INSTANCE_ID" --allocation-id ${AllocationId} --allow-reassociation || fail "cannot associate the Elastic IP ${AllocationId}"',
    );
  }
  if (o.suspendAzRebalanceOn) {
    vars.Group = o.suspendAzRebalanceOn;
    lines.push(
      'aws autoscaling suspend-processes --auto-scaling-group-name ${Group} --scaling-processes AZRebalance || fail "cannot suspend AZRebalance on ${Group}"',
    );
  }
  if (o.healthCheck) {
    lines.push(
      "cat > /usr/local/sbin/halo-ci-health <<'CHECK'",
      '#!/bin/bash',
      '# Every 10 s; three misses in a row (20-30 s) mark the instance Unhealthy: Auto Scaling replaces it within the minute.',
      'misses=0',
      'while sleep 10; do',
      `  if curl -sf -o /dev/null --max-time 5 http://127.0.0.1:${w.port}${w.healthPath}; then misses=0; else misses=$((misses + 1)); fi`,
      '  if [ $misses -ge 3 ]; then',
      '    aws autoscaling set-instance-health --instance-id "$1" --health-status Unhealthy --no-should-respect-grace-period && exit 0',
      '  fi',
      'done',
      'CHECK',
      'chmod 0755 /usr/local/sbin/halo-ci-health',
      'pkill -f "^/bin/bash /usr/local/sbin/halo-ci-health" || true',
      'AWS_DEFAULT_REGION=${AWS::Region} setsid nohup /usr/local/sbin/halo-ci-health "$INSTANCE_ID" >>/var/log/halo-ci-health.log 2>&1 < /dev/null &',
    );
  }
  if (o.lifecycleHook) lines.push('continue_launch CONTINUE');
  lines.push(`signal SUCCESS || echo "halo-ci: the signal was not accepted (the stack may already be complete)"`, 'echo "halo-ci: ready"');
  return Fn.base64(Fn.sub(lines.join('\n') + '\n', vars));
}
