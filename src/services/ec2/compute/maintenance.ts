import type { Cloud } from '../../../cloud.js';
import { ec2Errors } from '../errors.js';
import type { RequestContext } from '../../types.js';
import { findInstances } from './instances.js';

/**
 * An instance's maintenance options (only AutoRecovery: `default` | `disabled`), kept beside the instance record in
 * table `ec2.maintenanceOptions` (scope region, id instance id). An instance without a row has the default.
 */
export type AutoRecovery = 'default' | 'disabled';

const table = (cloud: Cloud) => cloud.store.table<{ AutoRecovery: AutoRecovery }>('ec2.maintenanceOptions');

export function autoRecoveryOf(cloud: Cloud, region: string, instanceId: string): AutoRecovery {
  return table(cloud).get(region, instanceId)?.AutoRecovery ?? 'default';
}

export function setAutoRecovery(cloud: Cloud, region: string, instanceId: string, value: AutoRecovery): void {
  table(cloud).put(region, instanceId, { AutoRecovery: value });
}

/** The value as EC2 accepts it: `default` or `disabled`, case-insensitive (the User Guide itself writes `Disabled`). */
export function parseAutoRecovery(value: string | undefined): AutoRecovery | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (v !== 'default' && v !== 'disabled') throw ec2Errors.invalidAutoRecovery(value);
  return v;
}

/**
 * Instance types that support simplified automatic recovery, as the EC2 User Guide lists them (families, then
 * high memory `u-*` virtualized sizes). Metal sizes are not supported. M3, C3, R3, X1, X1e are supported without
 * instance store volumes, which halo never attaches. AWS has since extended support to current generations
 * (DescribeInstanceTypes' `auto-recovery-supported`); halo takes M, C, R and T families of generation 6 or later
 * without instance store (no `d` in the suffix) as supported too.
 */
const SIMPLIFIED_FAMILIES = new Set([
  'a1',
  'm4',
  'm5',
  'm5a',
  'm5n',
  'm5zn',
  'm6a',
  'm6g',
  'm6i',
  't1',
  't2',
  't3',
  't3a',
  't4g',
  'c4',
  'c5',
  'c5a',
  'c5n',
  'c6a',
  'c6g',
  'c6gn',
  'c6i',
  'hpc6a',
  'c7g',
  'r4',
  'r5',
  'r5a',
  'r5b',
  'r5n',
  'r6g',
  'r6i',
  'g3',
  'g5g',
  'inf1',
  'p2',
  'p3',
  'vt1',
  'm3',
  'c3',
  'r3',
  'x1',
  'x1e',
]);

export function simplifiedRecoverySupported(instanceType: string): boolean {
  const [family, size] = instanceType.split('.');
  if (!size || size.startsWith('metal')) return false;
  const current = /^[mcrt](\d+)([a-z-]*)$/.exec(family);
  const laterGeneration = !!current && Number(current[1]) >= 6 && !current[2].includes('d');
  return SIMPLIFIED_FAMILIES.has(family) || laterGeneration || /^u-\d+tb1$/.test(family);
}

export function modifyInstanceMaintenanceOptions(
  input: { InstanceId: string; AutoRecovery?: string; DryRun?: boolean },
  ctx: RequestContext,
) {
  const [r] = findInstances(ctx, [input.InstanceId]);
  const value = parseAutoRecovery(input.AutoRecovery);
  if (r.State.Name === 'terminated' || r.State.Name === 'shutting-down') {
    throw ec2Errors.instanceStateForbidsMaintenanceChange(r.InstanceId);
  }
  if (input.DryRun) throw ec2Errors.dryRun();
  if (value) setAutoRecovery(ctx.cloud, ctx.region, r.InstanceId, value);
  return { InstanceId: r.InstanceId, AutoRecovery: autoRecoveryOf(ctx.cloud, ctx.region, r.InstanceId) };
}
