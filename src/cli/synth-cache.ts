import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { haloHome } from '../daemon/home.js';

/** The compiled CDK app (dist/cdk), beside the compiled CLI. */
const CDK_DIR = fileURLToPath(new URL('../../cdk/', import.meta.url));
const LIBRARIES = ['aws-cdk-lib', 'constructs', 'cdk-nag'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/**
 * What a synthesized template depends on: the stack, the context, every file of the compiled app and the versions of
 * the libraries it builds with. The same key means the same template, so a second `halo up` need not synthesize.
 */
function synthKey(stackName: string, context: Record<string, string>): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([stackName, Object.entries(context).sort()]));
  const require = createRequire(import.meta.url);
  for (const lib of LIBRARIES) {
    try {
      hash.update(`${lib}@${(JSON.parse(readFileSync(require.resolve(`${lib}/package.json`), 'utf8')) as { version: string }).version}`);
    } catch {
      hash.update(`${lib}@?`);
    }
  }
  for (const file of filesUnder(CDK_DIR)) hash.update(`${path.relative(CDK_DIR, file)}\0`).update(readFileSync(file));
  return hash.digest('hex').slice(0, 24);
}

/** The template from `$HALO_HOME/synth/` when this app, context and libraries made it before; else `synth()` (kept). */
export function cachedSynth(
  stackName: string,
  context: Record<string, string>,
  synth: () => string,
): { template: string; cached: boolean } {
  const dir = path.join(haloHome(), 'synth');
  const file = path.join(dir, `${stackName}-${synthKey(stackName, context)}.template.json`);
  if (existsSync(file)) return { template: readFileSync(file, 'utf8'), cached: true };
  const template = synth();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const old of readdirSync(dir).filter((f) => f.startsWith(`${stackName}-`))) rmSync(path.join(dir, old), { force: true });
  writeFileSync(`${file}.${process.pid}.tmp`, template);
  renameSync(`${file}.${process.pid}.tmp`, file);
  return { template, cached: false };
}
