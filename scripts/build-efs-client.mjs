#!/usr/bin/env node
// The build's second step (after tsc): halo's EFS client, C on libfuse3 (src/runtime/efs-client/*.c), compiled into
// dist/efs-client/efs-client when its sources changed since the last build (a hash of them is kept beside it). A
// compiler error fails the build with the compiler's message.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const srcDir = path.join(repo, 'src/runtime/efs-client');
const outDir = path.join(repo, 'dist/efs-client');
const binary = path.join(outDir, 'efs-client');
const stamp = path.join(outDir, 'sources.sha256');

const sources = readdirSync(srcDir)
  .filter((f) => /\.[ch]$/.test(f))
  .sort();
const flags = ['-std=gnu11', '-O2', '-Wall', '-Wextra', '-Werror'];
const pkg = spawnSync('pkg-config', ['--cflags', '--libs', 'fuse3'], { encoding: 'utf8' });
if (pkg.status !== 0) {
  console.error(`efs-client: pkg-config found no fuse3 (Debian: apt-get install libfuse3-dev pkg-config)\n${pkg.stderr ?? ''}`);
  process.exit(1);
}
const hash = createHash('sha256');
hash.update(flags.join(' ') + '\n' + pkg.stdout);
for (const f of sources) hash.update(f + '\0' + readFileSync(path.join(srcDir, f), 'utf8'));
const digest = hash.digest('hex');
if (existsSync(binary) && existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) process.exit(0);

mkdirSync(outDir, { recursive: true });
const cc = spawnSync(
  'gcc',
  [
    ...flags,
    '-o',
    binary + '.new',
    ...sources.filter((f) => f.endsWith('.c')).map((f) => path.join(srcDir, f)),
    ...pkg.stdout.trim().split(/\s+/),
    '-lpthread',
  ],
  { encoding: 'utf8' },
);
if (cc.status !== 0) {
  console.error(cc.stderr || cc.error?.message || 'efs-client: gcc failed');
  process.exit(1);
}
renameSync(binary + '.new', binary);
writeFileSync(stamp, digest);
