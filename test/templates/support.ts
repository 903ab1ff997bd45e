import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CloudFormationClient, DescribeStackEventsCommand, DescribeStackResourcesCommand, DescribeStacksCommand, type StackEvent } from '@aws-sdk/client-cloudformation';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestCloud } from '../support/cloud.js';

/** Path of a test template (the .json/.yaml files stay in test/templates/, next to this file's source). */
export function templatePath(name: string): string {
  return fileURLToPath(new URL(`../../../test/templates/${name}`, import.meta.url));
}

export function templateBody(name: string): string {
  return readFileSync(templatePath(name), 'utf8');
}

/** The seed's templates, copied unchanged into the repo as fixtures (test/templates/seed/). */
export const SEED_TEMPLATES = templatePath('seed');

export function cfn(cloud: TestCloud): CloudFormationClient {
  return new CloudFormationClient(cloud.sdk);
}

/** Polls DescribeStacks until the stack's status no longer ends in _IN_PROGRESS; returns the stack. */
export async function settle(client: CloudFormationClient, stackName: string, maxPolls = 1200) {
  for (let i = 0; i < maxPolls; i++) {
    const r = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = r.Stacks?.[0];
    if (stack && !stack.StackStatus?.endsWith('_IN_PROGRESS')) return stack;
    await sleep(50);
  }
  const { StackResources } = await client.send(new DescribeStackResourcesCommand({ StackName: stackName }));
  const busy = (StackResources ?? []).filter((r) => r.ResourceStatus?.endsWith('_IN_PROGRESS')).map((r) => `${r.LogicalResourceId} ${r.ResourceStatus} ${r.ResourceStatusReason ?? ''}`);
  throw new Error(`stack ${stackName} still in progress: ${busy.join('; ')}`);
}

/** The stack's events, oldest first, as "LogicalId STATUS" strings (and the events themselves). */
export async function eventLog(client: CloudFormationClient, stackName: string): Promise<{ lines: string[]; events: StackEvent[] }> {
  const r = await client.send(new DescribeStackEventsCommand({ StackName: stackName }));
  const events = [...(r.StackEvents ?? [])].reverse();
  return { lines: events.map((e) => `${e.LogicalResourceId} ${e.ResourceStatus}`), events };
}
