import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateStackCommand, DeleteStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { type Access, clientsFor, closeClients } from './clients.js';

/**
 * For `halo drill matrix --templates NAME=FILE,...`: creates the stack from the template unless a stack of that name
 * already exists, and waits for CREATE_COMPLETE (through CloudFormation, like `aws cloudformation create-stack`).
 */
export async function ensureStackFromTemplate(access: Access, name: string, file: string, log: (line: string) => void): Promise<void> {
  const c = clientsFor(access);
  try {
    const status = async () =>
      (await c.cfn.send(new DescribeStacksCommand({ StackName: name })).catch(() => undefined))?.Stacks?.[0]?.StackStatus;
    const existing = await status();
    if (existing === 'CREATE_COMPLETE' || existing === 'UPDATE_COMPLETE') return;
    if (existing) throw new Error(`stack ${name} exists in state ${existing}; delete it or pick another name`);
    log(`creating stack ${name} from ${file}`);
    await c.cfn.send(
      new CreateStackCommand({
        StackName: name,
        TemplateBody: readFileSync(file, 'utf8'),
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
      }),
    );
    for (;;) {
      const s = await status();
      if (s && !s.endsWith('_IN_PROGRESS')) {
        if (s !== 'CREATE_COMPLETE') throw new Error(`stack ${name}: ${s}`);
        log(`stack ${name} CREATE_COMPLETE`);
        return;
      }
      await sleep(250);
    }
  } finally {
    closeClients(c);
  }
}

/** Deletes the stack and waits until it is gone (so that the next run starts from a fresh one). */
export async function deleteStack(access: Access, name: string, log: (line: string) => void): Promise<void> {
  const c = clientsFor(access);
  try {
    log(`deleting stack ${name}`);
    await c.cfn.send(new DeleteStackCommand({ StackName: name }));
    for (;;) {
      const s = (await c.cfn.send(new DescribeStacksCommand({ StackName: name })).catch(() => undefined))?.Stacks?.[0]?.StackStatus;
      if (!s || s === 'DELETE_COMPLETE') return;
      if (s === 'DELETE_FAILED') throw new Error(`stack ${name}: DELETE_FAILED`);
      await sleep(250);
    }
  } finally {
    closeClients(c);
  }
}

/** Parses `NAME=FILE,NAME=FILE`. */
export function parseTemplates(spec: string): Array<{ name: string; file: string }> {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((pair) => {
      const i = pair.indexOf('=');
      if (i <= 0 || i === pair.length - 1) throw new Error(`--templates: '${pair}' is not NAME=FILE`);
      return { name: pair.slice(0, i), file: pair.slice(i + 1) };
    });
}
