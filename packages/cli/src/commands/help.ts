/**
 * Every command's usage line, apart from its code: `ddc --help` and the dispatch in main.ts load
 * no command module, so a command pays only for the modules it uses (the node's LMDB, the
 * gateway, the dev cluster's chain tools stay unloaded for put and get).
 */
import { clusterCreateHelp, clusterShowHelp, nodeChainHelp } from '../ledger/help.js';

export const putHelp = 'ddc put FILE|- [--cluster FILE] [--json]    store a file (or stdin); prints its root CID';

export const getHelp = 'ddc get CID [-o FILE] [--range START-END] [--cluster FILE] [--json]    fetch a file, verified against its CID';

export const statHelp = 'ddc stat CID [--cluster FILE] [--json]    size, pieces, and where each shard lives';

export const verifyHelp = 'ddc verify CID [--cluster FILE] [--json]    check every shard of every piece; exit 1 unless all are healthy';

export const devHelp = 'ddc dev [--data DIR] [--nodes N] [--zones Z] [--k K] [--m M] [--no-chain] [--no-gateway] [--json]    run a local cluster, its dev chain and a gateway (default 6 nodes, 3 zones, k=4, m=2, data in ./.ddc; S3 keys in DIR/gateway.json)';

export const nodeHelp = `ddc node start --config FILE    run a storage node (prints {"event":"listening",...} when ready)\n  ${nodeChainHelp}`;

export const clusterHealthHelp = 'ddc cluster health [--cluster FILE] [--json]    per node: up/down, shards, bytes, short stripes, repair and scrub progress';

export const clusterHelp = `${clusterHealthHelp}\n  ${clusterCreateHelp}\n  ${clusterShowHelp}`;

export const auditHelp = `ddc audit [--samples N] [--cluster FILE] [--evidence FILE] [--json]    random signed Merkle challenges across the cluster; exit 1 if any fails
  ddc audit verify FILE [--cluster FILE] [--json]    re-check an evidence file offline; exit 0 only if every item proves misbehaviour`;

export const keysNewHelp = 'ddc keys new [--out FILE] [--words 12|24] [--json]       a new identity: prints its recovery phrase once (stderr), writes the keystore';
export const keysImportHelp = 'ddc keys import [--out FILE] [--json]                    a keystore for an existing phrase (read from stdin or a prompt)';
export const keysShowHelp = 'ddc keys show [--keystore FILE] [--json]                 address, Ed25519 and X25519 keys, public identity';
export const keysExportHelp = 'ddc keys export-public [--keystore FILE] [--json]        the ddcid1... string to give to people who share with you';
export const keysHelp = `${keysNewHelp}\n  ${keysImportHelp}\n  ${keysShowHelp}\n  ${keysExportHelp}\n    (keystore: --keystore, else DDC_KEYSTORE, else ./.ddc/keystore.json; passphrase: DDC_PASSPHRASE or a prompt)`;

export const gatewayHelp = [
  'ddc gateway start [--config FILE] [--data DIR] [--host H] [--port N] [--cluster FILE | --rpc URL --deployment FILE --cluster-id N] [--keystore FILE] [--cache-bytes N] [--json]    S3, /ddc/ HTTP and /ipfs/ gateway',
  '  ddc gateway keys create (--bucket NAME | --all) [--token ddct1…] [--data DIR] [--json] | ls [--data DIR] [--json] | rm ACCESS_KEY_ID [--data DIR]    its S3 access keys',
].join('\n');
