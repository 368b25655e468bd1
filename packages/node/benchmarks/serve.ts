/**
 * A server process for the micro benchmark: `node serve.js node CONFIG_JSON` runs a DDC node,
 * `node serve.js baseline DIR` a bare node:http server that stores bodies as fsynced files
 * and serves them back (small ones with one readFile, large ones streamed).
 * Prints {"event":"listening","url"} once ready.
 */
import { createServer } from 'node:http';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { startNode } from '../src/index.js';

const [mode, arg] = process.argv.slice(2);

if (mode === 'node') {
  const node = await startNode(JSON.parse(arg!), { log: () => undefined });
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: node.url })}\n`);
  process.on('SIGTERM', () => void node.close().then(() => exit()));
} else {
  const dir = arg!;
  await mkdir(dir, { recursive: true });
  const server = createServer((req, res) => {
    const path = join(dir, (req.url ?? '/').slice(1).replace(/[^a-zA-Z0-9_-]/g, '_'));
    if (req.method === 'PUT') {
      pipeline(req, createWriteStream(path))
        .then(async () => {
          const fh = await open(path, 'r');
          await fh.sync();
          await fh.close();
          res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
        })
        .catch(() => res.writeHead(500).end());
      return;
    }
    stat(path).then(
      async (s) => {
        if (s.size <= 64 * 1024) {
          const b = await readFile(path);
          res.writeHead(200, { 'content-length': b.length }).end(b);
        } else {
          res.writeHead(200, { 'content-length': s.size });
          createReadStream(path, { highWaterMark: 1024 * 1024 }).pipe(res);
        }
      },
      () => res.writeHead(404).end(),
    );
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => {
    const a = server.address() as { port: number };
    process.stdout.write(`${JSON.stringify({ event: 'listening', url: `http://127.0.0.1:${a.port}` })}\n`);
  });
  process.on('SIGTERM', () => exit());
}
// Started with an IPC channel (the cluster benchmark): go when the parent goes, even if it was killed.
process.on('disconnect', () => exit());

/** Reports the server's CPU time, so a figure can be read against what it cost. */
function exit(): never {
  const { user, system } = process.cpuUsage();
  if (process.env['DDC_BENCH_CPU']) process.stderr.write(`${mode} cpu user ${Math.round(user / 1000)} ms, system ${Math.round(system / 1000)} ms\n`);
  process.exit(0);
}
