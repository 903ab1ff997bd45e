import { benchApi } from './api.js';
import type { BenchRow } from './types.js';

/**
 * `npm run bench`: every figure next to the floor it is compared to, both measured now on this machine.
 * Benchmarks of the other areas are picked up when their module exists (bench/<area>.ts exporting bench<Area>).
 */
const OPTIONAL: Array<[module: string, fn: string]> = [
  ['./cloudformation.js', 'benchCloudFormation'],
  ['./ec2.js', 'benchEc2'],
  ['./cloudwatch.js', 'benchCloudWatch'],
  ['./autoscaling.js', 'benchAutoscaling'],
  ['./efs.js', 'benchEfs'],
];

function format(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toPrecision(3);
}

async function main(): Promise<void> {
  // HALO_BENCH_ONLY=ec2,api runs only those areas.
  const only = process.env.HALO_BENCH_ONLY?.split(',').filter(Boolean);
  const wanted = (area: string) => !only || only.includes(area);
  const suites: Array<[string, () => Promise<BenchRow[]>]> = wanted('api') ? [['api', benchApi]] : [];
  for (const [module, fn] of OPTIONAL) {
    if (!wanted(module.replace(/^\.\/|\.js$/g, ''))) continue;
    try {
      const mod = (await import(module)) as Record<string, () => Promise<BenchRow[]>>;
      if (typeof mod[fn] === 'function') suites.push([module.replace(/^\.\/|\.js$/g, ''), mod[fn]]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    }
  }
  console.log('benchmark | value | floor | ratio (value / floor)');
  for (const [area, suite] of suites) {
    for (const row of await suite()) {
      console.log(
        `${area}: ${row.name} | ${format(row.value)} ${row.unit} | ${row.floorName}: ${format(row.floor)} ${row.unit} | ${format(row.value / row.floor)}`,
      );
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
