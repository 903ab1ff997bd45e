import { countsTowardCapacity, isTerminating, type GroupRecord } from './state.js';

/**
 * The instance warm-up a step or target tracking policy uses: its EstimatedInstanceWarmup, else the group's
 * DefaultInstanceWarmup (a negative value means none is set), else the group's DefaultCooldown.
 */
export function warmupSeconds(policyWarmup: number | undefined, g: GroupRecord): number {
  if (policyWarmup !== undefined) return policyWarmup;
  if (g.DefaultInstanceWarmup !== undefined && g.DefaultInstanceWarmup >= 0) return g.DefaultInstanceWarmup;
  return g.DefaultCooldown;
}

/** A group's capacity as a step or target tracking policy sees it at `now` (the user guide's "Instance warmup"). */
export interface PolicyCapacity {
  /** InService instances whose warm-up is over: the current capacity a scale-out is computed from. */
  ready: number;
  /** Instances launching or InService within their warm-up: while there is one, dynamic scale-in is blocked. */
  warming: number;
  /** The instances counting toward capacity plus those terminating: the capacity a scale-in is computed from. */
  withTerminating: number;
}

export function policyCapacity(g: GroupRecord, warmupMs: number, now: number): PolicyCapacity {
  let ready = 0;
  let warming = 0;
  let terminating = 0;
  for (const i of g.Instances) {
    if (isTerminating(i)) terminating++;
    else if (!countsTowardCapacity(i)) continue;
    else if (i.LifecycleState === 'InService' && now >= (i.InServiceAt ?? i.LaunchedAt) + warmupMs) ready++;
    else warming++;
  }
  return { ready, warming, withTerminating: ready + warming + terminating };
}
