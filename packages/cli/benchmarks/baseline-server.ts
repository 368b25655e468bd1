/**
 * The baseline: a bare node:http server that writes request bodies to files with fsync
 * and streams them back. What the same machine does with no DDC in the way.
 * Run as a child process; prints {"event":"listening","url"} once ready.
 */
import { createServer } from 'node:http';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, mkdir, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';

const dir = process.argv[2]!;
await mkdir(dir, { recursive: true });

const server = createServer((req, res) => {
  const name = (req.url ?? '/').slice(1).replace(/[^a-zA-Z0-9_-]/g, '_');
  const path = join(dir, name);
  if (req.method === 'PUT') {
    pipeline(req, createWriteStream(path))
      .then(async () => {
        const fh = await open(path, 'r');
        await fh.sync();
        await fh.close();
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
      })
      .catch(() => res.writeHead(500).end());
  } else if (req.method === 'GET') {
    stat(path).then(
      (s) => {
        if (s.size <= 64 * 1024) {
          // Small files in one read, as any tuned server would.
          void import('node:fs/promises').then(({ readFile }) => readFile(path)).then((b) => res.writeHead(200, { 'content-length': b.length }).end(b));
        } else {
          res.writeHead(200, { 'content-length': s.size });
          createReadStream(path, { highWaterMark: 1024 * 1024 }).pipe(res);
        }
      },
      () => res.writeHead(404).end(),
    );
  } else res.writeHead(405).end();
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  const a = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: `http://127.0.0.1:${a.port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('disconnect', () => process.exit(0));
