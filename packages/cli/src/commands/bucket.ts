/** `ddc bucket create|show|ls|rm|transfer`: buckets on the ledger. */
import { parseArgs } from 'node:util';
import { createBucket, getBucket, listBuckets, removeBucket, transferBucket, type Bucket } from '@ddc/ledger';
import { printJson } from '../output.js';
import { usage } from '../errors.js';
import { LEDGER_FLAGS, clusterIdFlag, ledgerFor } from '../ledger/context.js';
import { bucketHelp } from '../ledger/help.js';
import { ownerLedger } from '../objects/context.js';
import { loadUserKeys } from '../identity/keystore-file.js';


const show = (b: Bucket) => ({ bucketId: Number(b.bucketId), owner: b.owner, clusterId: b.clusterId, public: b.isPublic, createdAt: new Date(Number(b.createdAt) * 1000).toISOString() });

function bucketIdArg(positionals: string[]): bigint {
  const id = positionals[0];
  if (positionals.length !== 1 || !id || !/^\d+$/.test(id)) throw usage(`expected one bucket id.\n  ${bucketHelp}`);
  return BigInt(id);
}

export async function bucketCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    options: { ...LEDGER_FLAGS, 'cluster-id': { type: 'string' }, private: { type: 'boolean' }, public: { type: 'boolean' }, keystore: { type: 'string' }, owner: { type: 'string' }, to: { type: 'string' } },
    allowPositionals: true,
  });
  const json = values.json === true;
  const say = (text: string, obj: unknown) => (json ? printJson(obj) : process.stdout.write(`${text}\n`));
  switch (sub) {
    case 'create': {
      if (positionals.length) throw usage(`bucket create takes no arguments.\n  ${bucketHelp}`);
      if (values.private && values.public) throw usage('--private and --public exclude each other (default: public)');
      // A named keystore (--keystore, DDC_KEYSTORE) owns the bucket, so its tokens are the owner's.
      const named = values.keystore ?? process.env.DDC_KEYSTORE;
      const ledger = named ? await ownerLedger(values, (await loadUserKeys({ keystore: values.keystore })).keys) : await ledgerFor(values, { write: true, json });
      const r = await createBucket(ledger, { clusterId: clusterIdFlag(values['cluster-id']), isPublic: !values.private });
      const owner = ledger.account?.address;
      say(`bucket ${r.bucketId} created (${values.private ? 'private' : 'public'}) in cluster ${clusterIdFlag(values['cluster-id'])}, owner ${owner}`, { bucketId: Number(r.bucketId) });
      return 0;
    }
    case 'show': {
      const b = await getBucket(await ledgerFor(values, { write: false, json }), bucketIdArg(positionals));
      const s = show(b);
      say(`bucket ${s.bucketId}\n  owner    ${s.owner}\n  cluster  ${s.clusterId}\n  access   ${s.public ? 'public' : 'private'}\n  created  ${s.createdAt}`, s);
      return 0;
    }
    case 'ls': {
      const ledger = await ledgerFor(values, { write: values.owner === undefined, json });
      const owner = values.owner ?? ledger.account?.address;
      if (!owner) throw usage('give --owner ADDR, or a signing key (DDC_PRIVATE_KEY) to list your own buckets');
      const list = (await listBuckets(ledger, owner as `0x${string}`)).sort((a, b) => (a.bucketId < b.bucketId ? -1 : 1)).map(show);
      if (json) printJson({ owner, buckets: list });
      else {
        if (list.length === 0) process.stdout.write(`no buckets owned by ${owner}\n`);
        for (const b of list) process.stdout.write(`${String(b.bucketId).padStart(6)}  cluster ${b.clusterId}  ${b.public ? 'public ' : 'private'}  ${b.createdAt}\n`);
      }
      return 0;
    }
    case 'rm': {
      const id = bucketIdArg(positionals);
      await removeBucket(await ledgerFor(values, { write: true, json }), id);
      say(`bucket ${id} removed`, { bucketId: Number(id), removed: true });
      return 0;
    }
    case 'transfer': {
      const id = bucketIdArg(positionals);
      if (!values.to) throw usage(`--to ADDR is required.\n  ${bucketHelp}`);
      await transferBucket(await ledgerFor(values, { write: true, json }), id, values.to as `0x${string}`);
      say(`bucket ${id} now belongs to ${values.to}`, { bucketId: Number(id), owner: values.to });
      return 0;
    }
    default:
      throw usage(`expected "ddc bucket create|show|ls|rm|transfer".\n  ${bucketHelp}`);
  }
}
