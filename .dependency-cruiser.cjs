/**
 * The dependency direction of halo (issue 11): cli → daemon → server → services → (runtime, store, clock, topology,
 * protocol, auth). A lower layer never imports a higher one; scripts/check-deps.mjs (run by `npm run lint`) also
 * refuses any cycle between top-level folders of src. There is no exception: any violation fails the lint.
 */
module.exports = {
  forbidden: [
    {
      name: 'lower-imports-higher',
      comment: 'runtime, store, clock, topology, protocol and auth are below the services, server, daemon and cli',
      severity: 'error',
      from: { path: '^src/(runtime|store|clock|topology|protocol|auth)/' },
      to: { path: '^src/(services|server|daemon|cli)/' },
    },
    {
      name: 'services-import-above',
      comment: 'services are below the server, the daemon and the cli',
      severity: 'error',
      from: { path: '^src/services/' },
      to: { path: '^src/(server|daemon|cli)/' },
    },
    {
      name: 'server-imports-above',
      comment: 'the server is below the daemon and the cli',
      severity: 'error',
      from: { path: '^src/server/' },
      to: { path: '^src/(daemon|cli)/' },
    },
    {
      name: 'daemon-imports-cli',
      comment: 'the daemon is below the cli',
      severity: 'error',
      from: { path: '^src/daemon/' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules|test)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
