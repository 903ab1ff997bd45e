import http from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * A bounded HTTP load generator, run as its own process so it does not share a core with the server under test:
 * sends `total` copies of one request over `concurrency` keep-alive connections and prints JSON figures.
 */
interface LoadSpec {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  total: number;
  warmup: number;
  concurrency: number;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as LoadSpec;
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const url = new URL(spec.url);
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const start = performance.now();
      const req = http.request(
        { agent, host: url.hostname, port: url.port, path: url.pathname + url.search, method: spec.method, headers: spec.headers },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - start) : reject(new Error(`HTTP ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(spec.body);
    });
  const run = async (count: number) => {
    const latencies: number[] = [];
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        latencies.push(await once());
      }
    };
    const start = performance.now();
    await Promise.all(Array.from({ length: spec.concurrency }, worker));
    return { latencies, seconds: (performance.now() - start) / 1000 };
  };
  await run(spec.warmup);
  const { latencies, seconds } = await run(spec.total);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  agent.destroy();
  process.stdout.write(JSON.stringify({ rps: spec.total / seconds, p50: pct(50), p99: pct(99) }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
