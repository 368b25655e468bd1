import { parseArgs } from 'node:util';
import { loadClusterFile } from '@ddc/client';
import { parseClusterDescriptor } from '@ddc/core';
import { defaultClusterFile } from '../context.js';
import { formatBytes, printJson } from '../output.js';
import { usage } from '../errors.js';
import { clusterHealthHelp } from './help.js';

interface NodeHealthRow {
  nodeId: string;
  zone: string;
  url: string;
  up: boolean;
  error?: string;
  shards?: number;
  bytes?: number;
  draining?: boolean;
  /** Stripes this node is responsible for that were still short of shards when its last repair pass ended. */
  shortStripes?: number;
  repair?: { running: boolean; passes: number; lastFinishedAt: string | null; repaired: number; moved: number; failures: number; current?: { stripesScanned: number } | null };
  scrub?: { running: boolean; passes: number; lastFullPassAt: string | null; bad: number; repaired: number; current?: { shardsChecked: number; bytesChecked: number } | null };
}

interface StatusBody {
  draining?: boolean;
  store?: { shards: number; bytes: number };
  repair?: {
    running: boolean;
    passes: number;
    current: { stripesScanned: number } | null;
    last: { finishedAt: string | null; stripesLeftShort: number } | null;
    totals: { shardsRepaired: number; shardsMoved: number; failures: number };
  } | null;
  scrub?: {
    running: boolean;
    passes: number;
    lastFullPassAt: string | null;
    current: { shardsChecked: number; bytesChecked: number } | null;
    totals: { bad: number; repaired: number };
  } | null;
}

async function probe(node: { id: string; zone: string; url: string }): Promise<NodeHealthRow> {
  const row: NodeHealthRow = { nodeId: node.id, zone: node.zone, url: node.url, up: false };
  try {
    const res = await fetch(`${node.url}/v1/status`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const s = (await res.json()) as StatusBody;
    row.up = true;
    if (s.store) Object.assign(row, { shards: s.store.shards, bytes: s.store.bytes });
    if (s.draining !== undefined) row.draining = s.draining;
    if (s.repair) {
      row.shortStripes = s.repair.last?.stripesLeftShort ?? 0;
      row.repair = {
        running: s.repair.running,
        passes: s.repair.passes,
        lastFinishedAt: s.repair.last?.finishedAt ?? null,
        repaired: s.repair.totals.shardsRepaired,
        moved: s.repair.totals.shardsMoved,
        failures: s.repair.totals.failures,
        current: s.repair.current ? { stripesScanned: s.repair.current.stripesScanned } : null,
      };
    }
    if (s.scrub) {
      row.scrub = {
        running: s.scrub.running,
        passes: s.scrub.passes,
        lastFullPassAt: s.scrub.lastFullPassAt,
        bad: s.scrub.totals.bad,
        repaired: s.scrub.totals.repaired,
        current: s.scrub.current ? { shardsChecked: s.scrub.current.shardsChecked, bytesChecked: s.scrub.current.bytesChecked } : null,
      };
    }
  } catch (e) {
    row.error = e instanceof Error ? e.message : String(e);
  }
  return row;
}

function ago(iso: string | null | undefined): string {
  if (!iso) return 'never';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  return s < 120 ? `${s}s ago` : `${Math.round(s / 60)}m ago`;
}

export async function clusterHealthCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { cluster: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true });
  if (positionals.length) throw usage(`unexpected ${positionals.join(' ')}.\n  ${clusterHealthHelp}`);
  const descriptor = parseClusterDescriptor(await loadClusterFile(values.cluster ?? defaultClusterFile()));
  const rows = await Promise.all(descriptor.nodes.map(probe));
  const totals = {
    nodes: rows.length,
    up: rows.filter((r) => r.up).length,
    down: rows.filter((r) => !r.up).length,
    shards: rows.reduce((n, r) => n + (r.shards ?? 0), 0),
    bytes: rows.reduce((n, r) => n + (r.bytes ?? 0), 0),
    shortStripes: rows.reduce((n, r) => n + (r.shortStripes ?? 0), 0),
  };
  const healthy = totals.down === 0 && totals.shortStripes === 0;
  if (values.json) {
    printJson({ clusterId: descriptor.clusterId, k: descriptor.k, m: descriptor.m, healthy, totals, nodes: rows });
  } else {
    const out = [`cluster ${descriptor.clusterId}: k=${descriptor.k}, m=${descriptor.m}, ${totals.up}/${totals.nodes} nodes up, ${totals.shards} shards, ${formatBytes(totals.bytes)}, ${totals.shortStripes} stripes short of redundancy`];
    for (const r of rows) {
      if (!r.up) {
        out.push(`  DOWN  ${r.nodeId.padEnd(10)} ${r.zone.padEnd(8)} ${r.url}  (${r.error})`);
        continue;
      }
      const repair = r.repair ? `repair ${r.repair.running ? `running (${r.repair.current?.stripesScanned ?? 0} stripes scanned)` : `idle, last ${ago(r.repair.lastFinishedAt)}`}, ${r.repair.repaired} rebuilt, ${r.repair.moved} moved` : 'repair off';
      const scrub = r.scrub ? `scrub ${r.scrub.running ? `running (${r.scrub.current?.shardsChecked ?? 0} checked)` : `idle, full pass ${ago(r.scrub.lastFullPassAt)}`}, ${r.scrub.bad} bad, ${r.scrub.repaired} mended` : 'scrub off';
      out.push(`  up    ${r.nodeId.padEnd(10)} ${r.zone.padEnd(8)} ${String(r.shards).padStart(7)} shards ${formatBytes(r.bytes ?? 0).padStart(10)}  short ${r.shortStripes ?? 0}${r.draining ? '  DRAINING' : ''}`);
      out.push(`        ${repair}; ${scrub}`);
    }
    out.push(healthy ? 'healthy' : 'NOT healthy');
    process.stdout.write(`${out.join('\n')}\n`);
  }
  return healthy ? 0 : 1;
}
