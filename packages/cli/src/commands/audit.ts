import { parseArgs } from 'node:util';
import { setMaxListeners } from 'node:events';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { loadClusterFile } from '@ddc/client';
import { DdcError, parseClusterDescriptor, verifyAuditEvidence, type EvidenceReport } from '@ddc/core';
import { runAudit, type AuditReport } from '../audit/auditor.js';
import { defaultClusterFile, interruptSignal } from '../context.js';
import { printJson } from '../output.js';
import { usage } from '../errors.js';
import { auditHelp } from './help.js';

const DEFAULT_SAMPLES = 32;
const MAX_SAMPLES = 100_000;

export async function auditCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'verify') return auditVerify(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    options: { samples: { type: 'string' }, cluster: { type: 'string' }, evidence: { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (positionals.length > 0) throw usage(`unexpected argument "${positionals[0]}".\n  ${auditHelp}`);
  const samples = values.samples === undefined ? DEFAULT_SAMPLES : Number(values.samples);
  if (!Number.isInteger(samples) || samples < 1 || samples > MAX_SAMPLES) throw usage(`--samples must be an integer from 1 to ${MAX_SAMPLES}`);
  const clusterFile = resolve(values.cluster ?? defaultClusterFile());
  const cluster = parseClusterDescriptor(await loadClusterFile(clusterFile));
  const tty = !values.json && process.stderr.isTTY === true;
  const signal = interruptSignal();
  setMaxListeners(0, signal); // one listener per request in flight
  const report = await runAudit(cluster, {
    samples,
    signal,
    onProgress: (done, total) => tty && process.stderr.write(`\raudit ${done}/${total}\x1b[K${done === total ? '\n' : ''}`),
  });
  let evidenceFile: string | null = null;
  if (values.evidence !== undefined || report.evidence.items.length > 0) {
    evidenceFile = resolve(values.evidence ?? `${dirname(clusterFile)}/audit-evidence-${report.startedAt.replace(/[:.]/g, '-')}.json`);
    const tmp = `${evidenceFile}.tmp-${process.pid}`;
    await writeFile(tmp, `${JSON.stringify(report.evidence, null, 2)}\n`);
    await rename(tmp, evidenceFile);
  }
  if (values.json) printJson({ ...report, evidence: undefined, evidenceFile, evidenceItems: report.evidence.items.length });
  else process.stdout.write(describeAudit(report, evidenceFile));
  return report.totals.failed > 0 ? 1 : 0;
}

function describeAudit(r: AuditReport, evidenceFile: string | null): string {
  const lines: string[] = [];
  const judged = r.challenges.length;
  lines.push(`audit of cluster ${r.clusterId}: ${judged} challenges over ${r.nodes.length} nodes`);
  const width = Math.max(...r.nodes.map((n) => n.nodeId.length));
  for (const n of r.nodes) {
    const key = n.keySource === 'unknown' ? 'key unknown' : `key from ${n.keySource === 'descriptor' ? 'the descriptor' : '/info (not in the descriptor)'}`;
    lines.push(`  ${n.nodeId.padEnd(width)}  passed ${String(n.passed).padStart(3)}  failed ${String(n.failed).padStart(3)}  unreachable ${String(n.unreachable).padStart(3)}${n.inconclusive ? `  inconclusive ${n.inconclusive}` : ''}  ${key}${n.shards === null ? '' : `, ${n.shards} shards`}`);
    for (const note of n.notes) lines.push(`  ${' '.repeat(width)}  note: ${note}`);
  }
  for (const c of r.challenges.filter((c) => c.outcome === 'failed')) {
    lines.push(`  FAILED ${c.nodeId}: leaf ${c.leafIndex} of shard ${c.index} of ${c.pieceCid}: ${c.reason}: ${c.message}${c.proven ? '' : ' (not kept as evidence: it does not prove misbehaviour)'}`);
  }
  for (const c of r.challenges.filter((c) => c.outcome === 'unreachable' || c.outcome === 'inconclusive').slice(0, 10)) {
    lines.push(`  ${c.outcome} ${c.nodeId}: shard ${c.index} of ${c.pieceCid}: ${c.message}`);
  }
  const t = r.totals;
  if (judged === 0) lines.push('nothing to audit: the nodes list no shards');
  else if (t.failed > 0) lines.push(`FAILED: ${t.failed} of ${judged} challenges failed, ${t.passed} passed, ${t.unreachable} unreachable, ${t.inconclusive} inconclusive`);
  else lines.push(`ok: ${t.passed} of ${judged} challenges passed${t.unreachable ? `, ${t.unreachable} unreachable` : ''}${t.inconclusive ? `, ${t.inconclusive} inconclusive` : ''}`);
  if (evidenceFile) lines.push(`evidence: ${r.evidence.items.length} signed failing answer(s) in ${evidenceFile}${r.evidence.items.length ? ` (check it with: ddc audit verify ${evidenceFile})` : ''}`);
  return `${lines.join('\n')}\n`;
}

async function auditVerify(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { cluster: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true });
  if (positionals.length !== 1) throw usage(`expected one evidence file.\n  ${auditHelp}`);
  const file = positionals[0]!;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new DdcError('DDC_EVIDENCE_INVALID', `cannot read ${file}`, { cause, hint: 'Check the path' });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new DdcError('DDC_EVIDENCE_INVALID', `${file} is not JSON`, { cause, hint: 'Pass a file written by `ddc audit --evidence FILE`' });
  }
  // Keys from a descriptor the verifier trusts; otherwise the keys the evidence names.
  let keys: Map<string, string> | undefined;
  if (values.cluster !== undefined) {
    const cluster = parseClusterDescriptor(await loadClusterFile(values.cluster));
    keys = new Map(cluster.nodes.flatMap((n) => (n.publicKey ? [[n.id, n.publicKey] as [string, string]] : [])));
  }
  const report = verifyAuditEvidence(json, keys ? { keys } : {});
  if (values.json) printJson({ file, proven: report.allProven, keys: keys ? 'descriptor' : 'evidence', items: report.checks });
  else process.stdout.write(describeVerify(file, report, keys !== undefined));
  return report.allProven ? 0 : 1;
}

function describeVerify(file: string, r: EvidenceReport, checkedKeys: boolean): string {
  const lines = [`${file}: ${r.checks.length} item(s)`];
  for (const c of r.checks) lines.push(`  item ${c.item} (${c.nodeId}): ${c.proven ? `PROVEN ${c.reason}` : `REJECTED ${c.reason}`}: ${c.message}`);
  if (r.checks.length === 0) lines.push('REJECTED: the file holds no evidence');
  else if (r.allProven) lines.push(`ok: every item proves misbehaviour (signed by the accused, judged against signed headers of other nodes)`);
  else lines.push(`REJECTED: ${r.checks.filter((c) => !c.proven).length} of ${r.checks.length} item(s) prove nothing`);
  lines.push(checkedKeys ? 'keys: checked against the cluster descriptor' : 'keys: taken from the evidence; pass --cluster FILE to check them against the cluster\'s keys');
  return `${lines.join('\n')}\n`;
}
