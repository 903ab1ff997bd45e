import { buildbot } from './buildbot.js';
import { jenkins } from './jenkins.js';
import type { Target, Workload } from './workload.js';

export type { Target, Workload } from './workload.js';

export function workloadFor(target: Target): Workload {
  return target === 'aws' ? jenkins() : buildbot();
}

export function parseTarget(value: unknown): Target {
  const target = value ?? 'local';
  if (target !== 'local' && target !== 'aws')
    throw new Error(`-c target=${String(target)}: the target is 'local' (the halo cloud, buildbot) or 'aws' (Jenkins)`);
  return target;
}
