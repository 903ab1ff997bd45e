import { spawn, execFile } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TestCloud } from '../test/support/cloud.js';
import { signRequest } from '../test/support/sign.js';
import type { BenchRow } from './types.js';

const run = promisify(execFile);
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

async function load(url: string, headers: Record<string, string>, body: string) {
  const spec = { url, method: 'POST', headers, body, total: 4000, warmup: 400, concurrency: 16 };
  const { stdout } = await run(process.execPath, [here('./load.js'), JSON.stringify(spec)], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as { rps: number; p50: number; p99: number };
}

/** DescribeRegions through the whole stack (SigV4, model-driven parse and serialize) against a bare HTTP server. */
export async function benchApi(): Promise<BenchRow[]> {
  const cloud = await TestCloud.start();
  try {
    const body = 'Action=DescribeRegions&Version=2016-11-15';
    const signed = await signRequest(
      { method: 'POST', endpoint: cloud.endpoint, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body },
      { service: 'ec2', region: 'us-east-1', accessKeyId: cloud.accessKeyId, secretAccessKey: cloud.secretAccessKey },
    );
    const sample = await fetch(signed.url, { method: 'POST', headers: signed.headers, body });
    const answer = await sample.text();
    if (sample.status !== 200) throw new Error(`DescribeRegions failed: ${answer}`);
    const bare = spawn(process.execPath, [here('./bare-server.js'), JSON.stringify({ body: answer, contentType: 'text/xml' })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [portLine] = (await once(bare.stdout, 'data')) as [Buffer];
      const halo = await load(signed.url, signed.headers, body);
      const floor = await load(`http://127.0.0.1:${Number(portLine.toString().trim())}/`, signed.headers, body);
      return [
        {
          name: 'DescribeRegions throughput (full stack)',
          value: halo.rps,
          unit: 'req/s',
          floorName: 'bare node:http, same bytes',
          floor: floor.rps,
        },
        { name: 'DescribeRegions p50 latency', value: halo.p50, unit: 'ms', floorName: 'bare node:http p50', floor: floor.p50 },
        { name: 'DescribeRegions p99 latency', value: halo.p99, unit: 'ms', floorName: 'bare node:http p99', floor: floor.p99 },
      ];
    } finally {
      bare.kill('SIGTERM');
    }
  } finally {
    await cloud.dispose();
  }
}
