import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { readDaemonInfo } from '../../src/daemon/home.js';

/** The compiled CLI entry point (tests run from dist/). */
export const HALO_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
export const AWS_CLI = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';

export interface TestCloudOptions {
  timeScale?: number;
  profile?: string;
  hostsPerZone?: number;
  /** Reuse a home (to test restarts); a fresh temporary one by default. */
  home?: string;
}

export interface AwsResult {
  status: number;
  stdout: string;
  stderr: string;
  json: any;
}

/** A local cloud daemon in its own temporary home, on a free port, for one test file. */
export class TestCloud {
  endpoint = '';
  port = 0;
  accessKeyId = '';
  secretAccessKey = '';
  readonly region = 'us-east-1';
  private child?: ChildProcess;

  private constructor(
    readonly home: string,
    private readonly opts: TestCloudOptions,
  ) {}

  static async start(opts: TestCloudOptions = {}): Promise<TestCloud> {
    const home = opts.home ?? mkdtempSync(path.join(os.tmpdir(), 'halo-test-'));
    const cloud = new TestCloud(home, opts);
    await cloud.boot();
    return cloud;
  }

  /** Environment for the aws CLI and SDKs (SDK v3 honours AWS_ENDPOINT_URL; aws CLI 2.9 needs --endpoint-url). */
  get env(): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: this.home,
      HALO_HOME: this.home,
      AWS_ACCESS_KEY_ID: this.accessKeyId,
      AWS_SECRET_ACCESS_KEY: this.secretAccessKey,
      AWS_DEFAULT_REGION: this.region,
      AWS_ENDPOINT_URL: this.endpoint,
      AWS_PAGER: '',
      AWS_CONFIG_FILE: path.join(this.home, 'aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(this.home, 'aws-credentials'),
    };
  }

  /** Config for AWS SDK v3 clients. */
  get sdk() {
    return {
      endpoint: this.endpoint,
      region: this.region,
      credentials: { accessKeyId: this.accessKeyId, secretAccessKey: this.secretAccessKey },
      maxAttempts: 1,
    };
  }

  /** Runs the real aws CLI against this cloud; output is JSON. */
  aws(...args: string[]): AwsResult {
    const r = spawnSync(AWS_CLI, ['--endpoint-url', this.endpoint, '--output', 'json', ...args], { env: this.env, encoding: 'utf8' });
    let json: any;
    try {
      json = r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
    } catch {
      json = undefined;
    }
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json };
  }

  /** Runs the aws CLI, asserts that it succeeded, and returns its JSON output. */
  awsOk(...args: string[]): any {
    const r = this.aws(...args);
    assert.equal(r.status, 0, `aws ${args.join(' ')}: ${r.stderr}`);
    return r.json;
  }

  /** Runs the aws CLI, asserts that it failed with the AWS error `code`, and returns what it printed. */
  awsFails(code: string, ...args: string[]): string {
    const r = this.aws(...args);
    assert.notEqual(r.status, 0, `aws ${args.join(' ')} should fail with ${code}, printed ${r.stdout}`);
    assert.match(r.stderr, new RegExp(`\\(${code.replace(/\./g, '\\.')}\\)`), r.stderr);
    return r.stderr;
  }

  /** Runs the halo CLI with this cloud's home. */
  halo(...args: string[]) {
    return spawnSync(process.execPath, [HALO_MAIN, ...args], { env: this.env, encoding: 'utf8' });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(killer);
  }

  /** kill -9 of the daemon, as a crash. */
  async crash(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async restart(): Promise<void> {
    await this.boot();
  }

  /** Stops the daemon and removes the temporary home. */
  async dispose(): Promise<void> {
    await this.stop();
    if (!this.opts.home) rmSync(this.home, { recursive: true, force: true });
  }

  private async boot(): Promise<void> {
    const args = [
      HALO_MAIN,
      'cloud',
      'start',
      '--port',
      '0',
      '--time-scale',
      String(this.opts.timeScale ?? 1),
      '--profile',
      this.opts.profile ?? 'instant',
      '--hosts-per-zone',
      String(this.opts.hostsPerZone ?? 2),
    ];
    rmSync(path.join(this.home, 'daemon.json'), { force: true });
    // Every test cloud shares one image cache, so the default instance image is built once per machine.
    const daemonEnv = { ...process.env, HALO_HOME: this.home, HALO_IMAGE_CACHE: process.env.HALO_IMAGE_CACHE || '/var/cache/halo-images' };
    const child = spawn(process.execPath, args, { env: daemonEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let output = '';
    child.stdout?.on('data', (d) => {
      output += d;
    });
    child.stderr?.on('data', (d) => {
      output += d;
      process.stderr.write(d);
    });
    // A loaded machine may take a while; a daemon that never comes up is stopped, not left running.
    for (let i = 0; i < 2400; i++) {
      const info = readDaemonInfo(this.home);
      if (info && info.pid === child.pid) {
        this.endpoint = info.endpoint;
        this.port = info.port;
        break;
      }
      if (child.exitCode !== null) throw new Error(`halo cloud exited with ${child.exitCode}: ${output}`);
      await sleep(50);
    }
    if (!this.endpoint) {
      child.kill('SIGTERM');
      throw new Error(`halo cloud did not start in 120 s: ${output}`);
    }
    const env = this.halo('cloud', 'env').stdout;
    this.accessKeyId = /AWS_ACCESS_KEY_ID=(\S+)/.exec(env)?.[1] ?? '';
    this.secretAccessKey = /AWS_SECRET_ACCESS_KEY=(\S+)/.exec(env)?.[1] ?? '';
    if (!this.accessKeyId) throw new Error(`halo cloud env printed no credentials: ${env}`);
  }
}
