import type { GroupInstance, GroupRecord } from './state.js';

export const TERMINATION_POLICIES = [
  'AllocationStrategy',
  'ClosestToNextInstanceHour',
  'Default',
  'NewestInstance',
  'OldestInstance',
  'OldestLaunchConfiguration',
  'OldestLaunchTemplate',
];

const HOUR = 3_600_000;

/** Whether the instance was launched from something other than the group's current launch configuration/template. */
function outdated(g: GroupRecord, i: GroupInstance): boolean {
  if (g.LaunchConfigurationName) return i.LaunchConfigurationName !== g.LaunchConfigurationName;
  const t = g.LaunchTemplate ?? g.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
  if (!t) return false;
  const it = i.LaunchTemplate;
  return (
    !it ||
    (it.LaunchTemplateId ?? it.LaunchTemplateName) !== (t.LaunchTemplateId ?? t.LaunchTemplateName) ||
    (it.Version ?? '$Default') !== (t.Version ?? '$Default')
  );
}

/** Keeps the members of `set` that are best by `score` (lowest), or all when none differ. */
function best(set: GroupInstance[], score: (i: GroupInstance) => number): GroupInstance[] {
  const min = Math.min(...set.map(score));
  return set.filter((i) => score(i) === min);
}

function applyPolicy(policy: string, g: GroupRecord, set: GroupInstance[], now: number): GroupInstance[] {
  switch (policy) {
    case 'OldestInstance':
      return best(set, (i) => i.LaunchedAt);
    case 'NewestInstance':
      return best(set, (i) => -i.LaunchedAt);
    case 'OldestLaunchConfiguration':
      return g.LaunchConfigurationName ? best(set, (i) => (outdated(g, i) ? 0 : 1)) : set;
    case 'OldestLaunchTemplate':
      return g.LaunchConfigurationName ? set : best(set, (i) => (outdated(g, i) ? 0 : 1));
    case 'ClosestToNextInstanceHour':
      return best(set, (i) => HOUR - ((now - i.LaunchedAt) % HOUR));
    case 'AllocationStrategy':
      // Every instance is On-Demand of one type: the allocation strategy has nothing to choose between.
      return set;
    case 'Default':
      // After zone balance: the oldest launch configuration or template, then the closest to the next instance hour.
      return applyPolicy(
        'ClosestToNextInstanceHour',
        g,
        applyPolicy(g.LaunchConfigurationName ? 'OldestLaunchConfiguration' : 'OldestLaunchTemplate', g, set, now),
        now,
      );
    default:
      return set;
  }
}

/**
 * Chooses the instance a scale-in terminates, as EC2 Auto Scaling does: among the unprotected candidates, the zone
 * with the most instances first (zone balance always comes first), then each of the group's termination policies in
 * order (Default last when not listed), and at random among those left.
 */
export function chooseVictim(
  group: GroupRecord,
  among: GroupInstance[],
  now: number,
  random: () => number = Math.random,
): GroupInstance | undefined {
  const candidates = among.filter((i) => !i.ProtectedFromScaleIn);
  if (!candidates.length) return undefined;
  const perZone = new Map<string, number>();
  for (const i of group.Instances)
    if (i.LifecycleState === 'InService' || i.LifecycleState.startsWith('Pending'))
      perZone.set(i.AvailabilityZone, (perZone.get(i.AvailabilityZone) ?? 0) + 1);
  const zoneCount = (i: GroupInstance) => perZone.get(i.AvailabilityZone) ?? 0;
  let set = best(candidates, (i) => -zoneCount(i));
  const policies = group.TerminationPolicies.length ? group.TerminationPolicies : ['Default'];
  for (const p of policies) {
    if (set.length <= 1) break;
    set = applyPolicy(p, group, set, now);
  }
  if (set.length > 1 && !policies.includes('Default')) set = applyPolicy('Default', group, set, now);
  return set[Math.floor(random() * set.length) % set.length];
}
