import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CloudFormationClient, CreateStackCommand, DeleteStackCommand, DescribeStackEventsCommand, DescribeStacksCommand,
  UpdateStackCommand, type Parameter, type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { Command } from 'commander';
import { STACK_NAMES, buildApp } from '../../cdk/lib/app.js';
import { LOCAL_IMAGE_NAME, LOCAL_IMAGE_PACKAGES } from '../../cdk/lib/workload/buildbot.js';
import { CliError, cloudAccess, runningDaemon } from './cloud.js';

/** The local cloud's host side of every VPC uplink (198.18.0.0/15): where `curl` from this machine comes from. */
export const LOCAL_ALLOWED_CIDR = '198.18.0.0/15';

function clients() {
  if (!runningDaemon()) throw new CliError("the halo cloud is not running; start it with 'halo cloud start --detach'");
  const a = cloudAccess();
  const config = { endpoint: a.endpoint, region: a.region, credentials: { accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey } };
  return { cfn: new CloudFormationClient(config), ec2: new EC2Client(config), region: a.region };
}

function parseContext(pairs: string[] = []): Record<string, string> {
  const context: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new CliError(`-c ${pair}: give context values as key=value`);
    context[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return context;
}

/** Synthesizes one stack of the CDK app in-process (the same app `npx cdk synth` runs) and returns its template. */
export function synthesizeStack(stackName: string, context: Record<string, string>): string {
  if (!(STACK_NAMES as readonly string[]).includes(stackName)) throw new CliError(`no stack '${stackName}' in the app: ${STACK_NAMES.join(', ')}`);
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'halo-deploy-'));
  try {
    const { app } = buildApp({ context, outdir });
    app.synth();
    return readFileSync(path.join(outdir, `${stackName}.template.json`), 'utf8');
  } catch (err) {
    throw new CliError(`cannot synthesize ${stackName}: ${(err as Error).message}`);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

async function localImage(ec2: EC2Client): Promise<string> {
  const images = (await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [LOCAL_IMAGE_NAME] }] }))).Images ?? [];
  const id = images[0]?.ImageId;
  if (!id) throw new CliError(`no image named '${LOCAL_IMAGE_NAME}' in the cloud: build it with 'halo image build --name ${LOCAL_IMAGE_NAME} --packages ${LOCAL_IMAGE_PACKAGES.join(',')}', or give -c imageId=ami-...`);
  return id;
}

const FINAL = /(_COMPLETE|_FAILED)$/;
const stamp = (d?: Date) => (d ?? new Date()).toISOString().slice(11, 19);

/** Prints the stack's events as they happen (oldest first, as `cdk deploy` shows them) until it reaches a final state. */
async function follow(cfn: CloudFormationClient, stackName: string, since: Date): Promise<string> {
  const seen = new Set<string>();
  for (;;) {
    let events: StackEvent[] = [];
    try {
      events = (await cfn.send(new DescribeStackEventsCommand({ StackName: stackName }))).StackEvents ?? [];
    } catch (err) {
      if ((err as { name?: string }).name === 'ValidationError') return 'DELETE_COMPLETE';
      throw err;
    }
    for (const e of [...events].reverse()) {
      if (seen.has(e.EventId!) || (e.Timestamp && e.Timestamp < since)) continue;
      seen.add(e.EventId!);
      const reason = e.ResourceStatusReason ? `  ${e.ResourceStatusReason}` : '';
      console.log(`${stackName} | ${stamp(e.Timestamp)} | ${(e.ResourceStatus ?? '').padEnd(22)} | ${(e.ResourceType ?? '').padEnd(38)} | ${e.LogicalResourceId}${reason}`);
    }
    const stack = await cfn.send(new DescribeStacksCommand({ StackName: stackName })).then((r) => r.Stacks?.[0], () => undefined);
    if (!stack) return 'DELETE_COMPLETE';
    if (FINAL.test(stack.StackStatus ?? '') && !/_IN_PROGRESS$/.test(stack.StackStatus ?? '')) return stack.StackStatus!;
    await sleep(1000);
  }
}

export async function deploy(stackName: string, flags: { context?: string[]; parameters?: string[]; stackName?: string; rollback?: boolean }): Promise<void> {
  const { cfn, ec2 } = clients();
  const context: Record<string, string> = { target: 'local', ...parseContext(flags.context) };
  if (context.target !== 'local') throw new CliError(`halo deploy deploys to the local cloud (target=local); for AWS run 'npx cdk deploy ${stackName} -c target=aws'`);
  const parameters: Parameter[] = Object.entries(parseContext(flags.parameters)).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));
  const template = synthesizeStack(stackName, context);
  const declared = Object.keys((JSON.parse(template) as { Parameters?: Record<string, unknown> }).Parameters ?? {});
  const given = new Set(parameters.map((p) => p.ParameterKey));
  for (const image of ['ImageId', 'AMISnapshot']) {
    if (declared.includes(image) && !given.has(image) && !context.imageId) parameters.push({ ParameterKey: image, ParameterValue: await localImage(ec2) });
  }
  if (declared.includes('AllowedCidr') && !given.has('AllowedCidr')) parameters.push({ ParameterKey: 'AllowedCidr', ParameterValue: LOCAL_ALLOWED_CIDR });
  const name = flags.stackName ?? stackName;
  const exists = await cfn.send(new DescribeStacksCommand({ StackName: name })).then((r) => r.Stacks?.[0]?.StackStatus, () => undefined);
  const since = new Date(Date.now() - 1000);
  const input = { StackName: name, TemplateBody: template, Parameters: parameters, Capabilities: ['CAPABILITY_IAM' as const, 'CAPABILITY_NAMED_IAM' as const] };
  const noRollback = flags.rollback === false;
  console.log(`${name}: ${exists ? 'updating' : 'creating'} (target local, ${Buffer.byteLength(template)} bytes of template)`);
  try {
    if (exists) await cfn.send(new UpdateStackCommand({ ...input, DisableRollback: noRollback }));
    else await cfn.send(new CreateStackCommand({ ...input, DisableRollback: noRollback }));
  } catch (err) {
    const message = (err as Error).message;
    if (/No updates are to be performed/.test(message)) {
      console.log(`${name}: no changes`);
    } else throw new CliError(`${name}: ${message}`);
  }
  const status = await follow(cfn, name, since);
  const stack = (await cfn.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  console.log(`\n${name}: ${status}`);
  if (!/^(CREATE|UPDATE)_COMPLETE$/.test(status)) throw new CliError(`${name} ended ${status}${stack?.StackStatusReason ? `: ${stack.StackStatusReason}` : ''}`);
  if (stack?.Outputs?.length) {
    console.log('\nOutputs:');
    for (const o of stack.Outputs) console.log(`${name}.${o.OutputKey} = ${o.OutputValue}`);
  }
}

export async function destroy(stackName: string): Promise<void> {
  const { cfn } = clients();
  const since = new Date(Date.now() - 1000);
  console.log(`${stackName}: destroying`);
  await cfn.send(new DeleteStackCommand({ StackName: stackName }));
  const status = await follow(cfn, stackName, since);
  console.log(`\n${stackName}: ${status}`);
  if (status !== 'DELETE_COMPLETE') throw new CliError(`${stackName} ended ${status}`);
}

export function registerDeployCommands(program: Command): void {
  const collect = (v: string, all: string[] = []) => [...all, v];
  program
    .command('deploy')
    .description(`synthesize a stack of the CDK app (${STACK_NAMES.join(', ')}) and deploy it to the local cloud, following its events`)
    .argument('<stack>', 'the stack')
    .option('-c, --context <key=value>', 'a context value (target, imageId, faithful, zones), repeatable', collect)
    .option('-p, --parameters <key=value>', 'a stack parameter, repeatable (ImageId defaults to the halo-ci image, AllowedCidr to the host network)', collect)
    .option('--stack-name <name>', 'deploy under another stack name')
    .option('--no-rollback', 'keep what was created when the deployment fails (to look at it), as cdk deploy --no-rollback')
    .action(deploy);
  program
    .command('destroy')
    .description('delete a stack from the local cloud, following its events')
    .argument('<stack>', 'the stack name')
    .action(destroy);
}
