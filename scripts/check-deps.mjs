#!/usr/bin/env node
// The dependency check of `npm run lint`: dependency-cruiser's direction rules (.dependency-cruiser.cjs), without
// exceptions, and no cycle between top-level folders of src (type-only imports aside: they vanish at run time).
// Exits 1 on any violation or cycle.
import { spawnSync } from 'node:child_process';

const run = spawnSync('npx', ['depcruise', 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
});
if (!run.stdout) {
  console.error(run.stderr);
  process.exit(1);
}
const result = JSON.parse(run.stdout);
const problems = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);

// Folder graph: top-level folder of src (a file at src/ is its own node), imports that exist at run time.
const folderOf = (file) => {
  const m = /^src\/([^/]+)\//.exec(file);
  return m ? m[1] : file;
};
const edges = new Map();
for (const mod of result.modules) {
  if (!mod.source.startsWith('src/')) continue;
  for (const dep of mod.dependencies) {
    if (!dep.resolved?.startsWith('src/') || dep.dependencyTypes.includes('type-only')) continue;
    const a = folderOf(mod.source);
    const b = folderOf(dep.resolved);
    if (a === b) continue;
    if (!edges.has(a)) edges.set(a, new Map());
    if (!edges.get(a).has(b)) edges.get(a).set(b, `${mod.source} → ${dep.resolved}`);
  }
}
for (const cycle of cycles(edges)) problems.push(`cycle between folders: ${cycle.join(' → ')}`);

if (problems.length) {
  console.error(`dependency check: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`dependency check: ${result.summary.totalCruised} modules, direction kept (no exception), no cycle between folders`);

/** Each strongly connected group of more than one folder, shown with one import per step. */
function cycles(graph) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const found = [];
  let n = 0;
  const visit = (v) => {
    index.set(v, n);
    low.set(v, n++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const group = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1)
        found.push(
          group.map(
            (g) =>
              `${g} (${[...(graph.get(g)?.entries() ?? [])]
                .filter(([t]) => group.includes(t))
                .map(([, via]) => via)
                .join(', ')})`,
          ),
        );
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}
