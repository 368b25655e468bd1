/**
 * A small test network of our own, made with `ip netns` (root only):
 *
 *   [ns A: 10.213.1.2] --veth-- [router ns: 10.213.1.1 | 10.213.2.1] --veth-- [ns B: 10.213.2.2]
 *
 * Node groups live in A and B, the client in the router namespace. Turning IP forwarding
 * off inside the router namespace partitions A from B while the client still reaches
 * both. Everything stays inside namespaces this test made; the host's settings are untouched.
 */
import { spawnSync } from 'node:child_process';

export interface TestNetwork {
  router: string;
  groups: [{ ns: string; ip: string }, { ns: string; ip: string }];
  partition(): void;
  heal(): void;
  destroy(): void;
}

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr.trim()}`);
}

export function createTestNetwork(tag = String(process.pid % 100000)): TestNetwork {
  const router = `ddc-r${tag}`;
  const groups = [
    { ns: `ddc-a${tag}`, ip: '10.213.1.2', gw: '10.213.1.1', rIf: `dr-a${tag}`, nIf: `dn-a${tag}` },
    { ns: `ddc-b${tag}`, ip: '10.213.2.2', gw: '10.213.2.1', rIf: `dr-b${tag}`, nIf: `dn-b${tag}` },
  ] as const;
  const made: string[] = [];
  const destroy = () => {
    for (const ns of made.reverse()) spawnSync('ip', ['netns', 'del', ns]);
    made.length = 0;
  };
  try {
    for (const ns of [router, groups[0].ns, groups[1].ns]) {
      ip('netns', 'add', ns);
      made.push(ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    for (const g of groups) {
      ip('link', 'add', g.rIf, 'type', 'veth', 'peer', 'name', g.nIf);
      ip('link', 'set', g.rIf, 'netns', router);
      ip('link', 'set', g.nIf, 'netns', g.ns);
      ip('-n', router, 'addr', 'add', `${g.gw}/24`, 'dev', g.rIf);
      ip('-n', router, 'link', 'set', g.rIf, 'up');
      ip('-n', g.ns, 'addr', 'add', `${g.ip}/24`, 'dev', g.nIf);
      ip('-n', g.ns, 'link', 'set', g.nIf, 'up');
      ip('-n', g.ns, 'route', 'add', 'default', 'via', g.gw);
    }
  } catch (e) {
    destroy();
    throw e;
  }
  const forwarding = (on: boolean) => {
    const r = spawnSync('ip', ['netns', 'exec', router, 'sysctl', '-qw', `net.ipv4.ip_forward=${on ? 1 : 0}`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cannot set forwarding in ${router}: ${r.stderr}`);
  };
  forwarding(true);
  return {
    router,
    groups: [{ ns: groups[0].ns, ip: groups[0].ip }, { ns: groups[1].ns, ip: groups[1].ip }],
    partition: () => forwarding(false),
    heal: () => forwarding(true),
    destroy,
  };
}
