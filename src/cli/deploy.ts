import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
  UpdateStackCommand,
  type Parameter,
  type Stack,
  type Tag,
} from '@aws-sdk/client-cloudformation';
import { DescribeImagesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { Command } from 'commander';
import { STACK_NAMES, buildApp } from '../../cdk/lib/app.js';
import { LOCAL_IMAGE_NAME, LOCAL_IMAGE_PACKAGES } from '../../cdk/lib/workload/buildbot.js';
import { haloHome } from '../daemon/home.js';
import { CliError } from './cloud.js';
import { cloudClients, type CloudClients } from './cloud-clients.js';
import { Progress } from './progress.js';
import { cachedSynth } from './synth-cache.js';
import { eventIds, follow } from './stack-events.js';

/** The local cloud's host side of every VPC uplink (198.18.0.0/15): where `curl` from this machine comes from. */
export const LOCAL_ALLOWED_CIDR = '198.18.0.0/15';

export function parseContext(pairs: string[] = []): Record<string, string> {
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
  if (!(STACK_NAMES as readonly string[]).includes(stackName))
    throw new CliError(`no stack '${stackName}' in the app: ${STACK_NAMES.join(', ')}`);
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

/** The id of the cloud's `halo-ci` AMI, or undefined when it was never registered in this cloud. */
export async function findLocalImage(ec2: EC2Client): Promise<string | undefined> {
  const images =
    (await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [LOCAL_IMAGE_NAME] }] }))).Images ?? [];
  return images[0]?.ImageId;
}

async function localImage(ec2: EC2Client): Promise<string> {
  const id = await findLocalImage(ec2);
  if (!id)
    throw new CliError(
      `no image named '${LOCAL_IMAGE_NAME}' in the cloud: build it with 'halo image build --name ${LOCAL_IMAGE_NAME} --packages ${LOCAL_IMAGE_PACKAGES.join(',')}' (or run 'halo up'), or give -c imageId=ami-...`,
    );
  return id;
}

export interface DeployOptions {
  /** `-c key=value` pairs. */
  context?: string[];
  /** `-p Param=value` pairs. */
  parameters?: string[];
  stackName?: string;
  rollback?: boolean;
  tags?: Tag[];
}

export interface DeployResult {
  name: string;
  status: string;
  /** False when the stack already had this template, parameters and tags: nothing was done. */
  changed: boolean;
  stack: Stack;
}

/** A stack that failed its creation cannot be updated: `cdk deploy` deletes it and creates it again, and so does halo. */
const FAILED_CREATION = ['ROLLBACK_COMPLETE', 'ROLLBACK_FAILED', 'CREATE_FAILED'];

async function describe(c: CloudClients, name: string): Promise<Stack | undefined> {
  return c.cfn.send(new DescribeStacksCommand({ StackName: name })).then(
    (r) => r.Stacks?.[0],
    () => undefined,
  );
}

/**
 * Synthesizes `stackName` of the CDK app for the local target and creates or updates it in the running cloud,
 * following its events on `progress`; a stack already deployed with the same template, parameters and tags is left
 * as it is (AWS answers "No updates are to be performed", and no event is made).
 */
export async function deployStack(c: CloudClients, stackName: string, flags: DeployOptions, progress: Progress): Promise<DeployResult> {
  try {
    return await createOrUpdate(c, stackName, flags, progress);
  } finally {
    progress.stop();
  }
}

async function createOrUpdate(c: CloudClients, stackName: string, flags: DeployOptions, progress: Progress): Promise<DeployResult> {
  const context: Record<string, string> = { target: 'local', ...parseContext(flags.context) };
  if (context.target !== 'local')
    throw new CliError(`halo deploys to the local cloud (target=local); for AWS run 'npx cdk deploy ${stackName} -c target=aws'`);
  const parameters: Parameter[] = Object.entries(parseContext(flags.parameters)).map(([ParameterKey, ParameterValue]) => ({
    ParameterKey,
    ParameterValue,
  }));
  progress.step(`synthesizing ${stackName} (the CDK app, target local)`);
  const { template, cached } = cachedSynth(stackName, context, () => synthesizeStack(stackName, context));
  if (cached) progress.log(`${stackName}: the CDK app is unchanged since its last synthesis: template from ${haloHome()}/synth`);
  const parsed = JSON.parse(template) as {
    Parameters?: Record<string, unknown>;
    Resources?: Record<string, { CreationPolicy?: { ResourceSignal?: unknown } }>;
  };
  const declared = Object.keys(parsed.Parameters ?? {});
  const given = new Set(parameters.map((p) => p.ParameterKey));
  for (const image of ['ImageId', 'AMISnapshot']) {
    if (declared.includes(image) && !given.has(image) && !context.imageId)
      parameters.push({ ParameterKey: image, ParameterValue: await localImage(c.ec2) });
  }
  if (declared.includes('AllowedCidr') && !given.has('AllowedCidr'))
    parameters.push({ ParameterKey: 'AllowedCidr', ParameterValue: LOCAL_ALLOWED_CIDR });
  const resources = Object.entries(parsed.Resources ?? {});
  const followOptions = {
    progress,
    resourceCount: resources.length,
    signalled: new Set(resources.filter(([, r]) => r.CreationPolicy?.ResourceSignal).map(([id]) => id)),
  };
  const name = flags.stackName ?? stackName;

  let existing = await describe(c, name);
  if (existing?.StackStatus?.endsWith('_IN_PROGRESS')) {
    progress.step(`${name} is ${existing.StackStatus} (another deployment?): waiting for it to end`);
    await follow(c.cfn, name, { ...followOptions, seen: await eventIds(c.cfn, name) });
    existing = await describe(c, name);
  }
  if (existing && FAILED_CREATION.includes(existing.StackStatus ?? '')) {
    progress.log(`${name}: ${existing.StackStatus} from a failed creation; deleting it before creating it again`);
    await destroyStack(c, name, progress);
    existing = undefined;
  }
  const seen = await eventIds(c.cfn, name);
  const input = {
    StackName: name,
    TemplateBody: template,
    Parameters: parameters,
    Capabilities: ['CAPABILITY_IAM' as const, 'CAPABILITY_NAMED_IAM' as const],
    Tags: flags.tags,
  };
  const noRollback = flags.rollback === false;
  progress.log(
    `${name}: ${existing ? `updating (it is ${existing.StackStatus})` : 'creating'} (target local, ${Buffer.byteLength(template)} bytes of template)`,
  );
  progress.step(`${name}: ${existing ? 'updating' : 'creating'}`);
  try {
    if (existing) await c.cfn.send(new UpdateStackCommand({ ...input, DisableRollback: noRollback }));
    else await c.cfn.send(new CreateStackCommand({ ...input, DisableRollback: noRollback }));
  } catch (err) {
    // AWS has no error code of its own for this: a ValidationError with this message, as `cdk deploy` reads it.
    if (
      existing &&
      (err as { name?: string }).name === 'ValidationError' &&
      /No updates are to be performed/.test((err as Error).message)
    ) {
      return { name, status: existing.StackStatus!, changed: false, stack: existing };
    }
    throw new CliError(`${name}: ${(err as Error).message}`);
  }
  const status = await follow(c.cfn, name, { ...followOptions, seen });
  progress.stop();
  const stack = await describe(c, name);
  if (!stack || !/^(CREATE|UPDATE)_COMPLETE$/.test(status)) {
    const reason = stack?.StackStatusReason ? `: ${stack.StackStatusReason}` : '';
    const keep = noRollback
      ? `; its resources are kept (--no-rollback): look at an instance with 'halo aws ec2 get-console-output --instance-id ...'`
      : '';
    throw new CliError(`${name} ended ${status}${reason}${keep}`);
  }
  return { name, status, changed: true, stack };
}

/** Deletes the stack and follows its events until DELETE_COMPLETE. */
export async function destroyStack(c: CloudClients, name: string, progress: Progress): Promise<void> {
  const seen = await eventIds(c.cfn, name);
  // Followed by its id: a deleted stack is no longer found by name.
  const stackId = (await describe(c, name))?.StackId ?? name;
  progress.step(`${name}: deleting`);
  let status: string;
  try {
    await c.cfn.send(new DeleteStackCommand({ StackName: name }));
    status = await follow(c.cfn, stackId, { seen, progress, label: name });
  } finally {
    progress.stop();
  }
  if (status !== 'DELETE_COMPLETE')
    throw new CliError(`${name} ended ${status}; see its events: halo aws cloudformation describe-stack-events --stack-name ${name}`);
}

export function printOutputs(name: string, stack: Stack): void {
  if (!stack.Outputs?.length) return;
  console.log('\nOutputs:');
  for (const o of stack.Outputs) console.log(`${name}.${o.OutputKey} = ${o.OutputValue}`);
}

/** `halo deploy`: deploys with progress on the terminal and prints the outputs. */
export async function deploy(stackName: string, flags: DeployOptions): Promise<void> {
  const c = cloudClients();
  try {
    const result = await deployStack(c, stackName, flags, new Progress());
    console.log(`\n${result.name}: ${result.changed ? result.status : `no changes (${result.status})`}`);
    printOutputs(result.name, result.stack);
  } finally {
    c.close();
  }
}

/** `halo destroy`. */
export async function destroy(stackName: string): Promise<void> {
  const c = cloudClients();
  try {
    console.log(`${stackName}: destroying`);
    await destroyStack(c, stackName, new Progress());
    console.log(`\n${stackName}: DELETE_COMPLETE`);
  } finally {
    c.close();
  }
}

export function registerDeployCommands(program: Command): void {
  const collect = (v: string, all: string[] = []) => [...all, v];
  program
    .command('deploy')
    .description(`synthesize a stack of the CDK app (${STACK_NAMES.join(', ')}) and deploy it to the local cloud, following its events`)
    .argument('<stack>', 'the stack')
    .option('-c, --context <key=value>', 'a context value (target, imageId, faithful, zones), repeatable', collect)
    .option(
      '-p, --parameters <key=value>',
      'a stack parameter, repeatable (ImageId defaults to the halo-ci image, AllowedCidr to the host network)',
      collect,
    )
    .option('--stack-name <name>', 'deploy under another stack name')
    .option('--no-rollback', 'keep what was created when the deployment fails (to look at it), as cdk deploy --no-rollback')
    .action(deploy);
  program
    .command('destroy')
    .description('delete a stack from the local cloud, following its events')
    .argument('<stack>', 'the stack name')
    .action(destroy);
}
