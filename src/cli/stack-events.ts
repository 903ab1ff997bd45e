import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeStacksCommand,
  paginateDescribeStackEvents,
  type CloudFormationClient,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import type { Progress } from './progress.js';

const stamp = (d?: Date) => (d ?? new Date()).toISOString().slice(11, 19);

/** Every event of the stack, newest first (empty when there is no such stack). */
export async function stackEvents(cfn: CloudFormationClient, stackName: string): Promise<StackEvent[]> {
  const events: StackEvent[] = [];
  try {
    for await (const page of paginateDescribeStackEvents({ client: cfn }, { StackName: stackName }))
      events.push(...(page.StackEvents ?? []));
  } catch (err) {
    if ((err as { name?: string }).name === 'ValidationError') return [];
    throw err;
  }
  return events;
}

/** The ids of the events the stack has now: what a following `follow` does not print again. */
export async function eventIds(cfn: CloudFormationClient, stackName: string): Promise<Set<string>> {
  return new Set((await stackEvents(cfn, stackName)).map((e) => e.EventId!));
}

export function formatEvent(stackName: string, e: StackEvent): string {
  const reason = e.ResourceStatusReason ? `  ${e.ResourceStatusReason}` : '';
  return `${stackName} | ${stamp(e.Timestamp)} | ${(e.ResourceStatus ?? '').padEnd(22)} | ${(e.ResourceType ?? '').padEnd(38)} | ${e.LogicalResourceId}${reason}`;
}

export interface FollowOptions {
  /** Events already shown (or older than this operation): not printed. */
  seen: Set<string>;
  progress: Progress;
  /** The stack's name in the lines printed, when it is followed by its id (a deleted stack is found by id only). */
  label?: string;
  /** The template's resources (to count them) and which of them wait for resource signals (CreationPolicy). */
  resourceCount?: number;
  signalled?: Set<string>;
}

/**
 * Prints the stack's new events as they happen (oldest first, as `cdk deploy` shows them) and keeps the progress
 * line on what is in progress, until the stack reaches a final state; returns that state (DELETE_COMPLETE when
 * the stack is gone).
 */
export async function follow(cfn: CloudFormationClient, stackName: string, options: FollowOptions): Promise<string> {
  const { seen, progress } = options;
  const label = options.label ?? stackName;
  const latest = new Map<string, StackEvent>();
  for (;;) {
    const events = await stackEvents(cfn, stackName);
    for (const e of [...events].reverse()) {
      if (seen.has(e.EventId!)) continue;
      seen.add(e.EventId!);
      if (e.LogicalResourceId && e.ResourceType !== 'AWS::CloudFormation::Stack') latest.set(e.LogicalResourceId, e);
      progress.log(formatEvent(label, e));
    }
    const stack = await cfn.send(new DescribeStacksCommand({ StackName: stackName })).then(
      (r) => r.Stacks?.[0],
      () => undefined,
    );
    const status = stack?.StackStatus ?? 'DELETE_COMPLETE';
    if (!status.endsWith('_IN_PROGRESS')) return status;
    progress.detail(describeWork(label, status, latest, options));
    await sleep(1000);
  }
}

/** What the stack is busy with, for the progress line: a signal wait and launches are named as such. */
function describeWork(stackName: string, status: string, latest: Map<string, StackEvent>, options: FollowOptions): string {
  const busy = [...latest.values()].filter((e) => e.ResourceStatus?.endsWith('_IN_PROGRESS'));
  const finished = [...latest.values()].filter((e) => /_COMPLETE$/.test(e.ResourceStatus ?? '')).length;
  const count = options.resourceCount && !status.startsWith('DELETE') ? ` [${finished}/${options.resourceCount} resources]` : '';
  const signal = busy.find((e) => options.signalled?.has(e.LogicalResourceId!) && e.ResourceStatus === 'CREATE_IN_PROGRESS');
  if (signal)
    return `${stackName}${count}: waiting for ${signal.LogicalResourceId}'s success signal (its server boots and signals once the CI server answers)`;
  const launch = busy.find((e) => /^AWS::(EC2::Instance|AutoScaling::AutoScalingGroup)$/.test(e.ResourceType ?? ''));
  if (launch)
    return `${stackName}${count}: ${launch.ResourceStatus === 'DELETE_IN_PROGRESS' ? 'terminating' : 'launching'} ${launch.LogicalResourceId}`;
  if (busy.length) {
    const names = busy
      .map((e) => e.LogicalResourceId)
      .slice(0, 3)
      .join(', ');
    return `${stackName}${count}: ${busy[0].ResourceStatus!.split('_')[0].toLowerCase().replace(/e?$/, 'ing')} ${names}${busy.length > 3 ? ` and ${busy.length - 3} more` : ''}`;
  }
  return `${stackName}${count}: ${status}`;
}
