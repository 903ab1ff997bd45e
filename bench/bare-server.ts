import http from 'node:http';

/** The floor: a bare Node HTTP server answering fixed bytes, the same the cloud answers. */
const { body, contentType } = JSON.parse(process.argv[2]) as { body: string; contentType: string };
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
