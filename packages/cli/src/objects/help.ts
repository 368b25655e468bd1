/** Help of the bucket, object, token and sharing commands, apart from their code so `ddc` loads viem only when one runs. */
import { LEDGER_FLAGS_HELP } from '../ledger/help.js';

const AS = '[--token T] [--keystore FILE] [--cluster FILE]';
export const objectPutHelp = `ddc put FILE|- ddc://BUCKET/KEY [--content-type T] [--meta K=V]... [--reader DDCID]... [--no-encrypt] ${AS} [--json]    a new version of an object (encrypted in a private bucket)`;
export const objectGetHelp = `ddc get ddc://BUCKET/KEY [-o FILE] [--version V] [--range START-END] ${AS} [--json]    an object's bytes, decrypted`;
export const lsHelp = `ddc ls ddc://BUCKET[/PREFIX] [--delimiter /] [--max-keys N] [--continue TOKEN] [--all] [--versions] ${AS} [--json]    list objects (S3-like)`;
export const rmHelp = `ddc rm ddc://BUCKET/KEY [--version V] ${AS} [--json]    a delete marker, or with --version that version removed for good`;
export const cpHelp = `ddc cp ddc://BUCKET/KEY ddc://BUCKET/KEY2 [--version V] ${AS} [--json]    a new object with the same content (same bucket)`;
export const shareHelp = `ddc share ddc://BUCKET/KEY --to DDCID [--expires 7d|ISO] [--ops get] [--keystore FILE] [--json]    give someone a key and a token to read it; prints the token`;
export const unshareHelp = `ddc unshare ddc://BUCKET/KEY --from DDCID [--token TOKEN]... [--keystore FILE] ${LEDGER_FLAGS_HELP}    revoke their tokens, re-encrypt for the others, purge old versions`;
export const tokenGrantHelp = `ddc token grant --bucket ID --to DDCID|ED25519_HEX --ops get,list,put,delete,admin [--prefix P] [--expires 24h|ISO] [--not-before 0s|ISO] [--may-delegate] [--from TOKEN] [--keystore FILE] ${LEDGER_FLAGS_HELP}`;
export const tokenRevokeHelp = `ddc token revoke TOKEN|ID_HEX [--bucket ID] [--keystore FILE] ${LEDGER_FLAGS_HELP}    the owner revokes a token (and all delegated from it) on the ledger`;
export const tokenInspectHelp = 'ddc token inspect TOKEN [--json]    decode a token: every link of its chain (no network)';
export const tokenHelp = `${tokenGrantHelp}\n  ${tokenRevokeHelp}\n  ${tokenInspectHelp}`;

export const objectsHelp = [objectPutHelp, objectGetHelp, lsHelp, rmHelp, cpHelp, shareHelp, unshareHelp, tokenHelp].join('\n  ');
export const objectsNote = `Objects: ddc://BUCKET/KEY (KEY percent-decoded, %25 for a literal %). Keys: --keystore, DDC_KEYSTORE, else ./.ddc/keystore.json.
Someone else's bucket: a token given to you with --token TEXT or DDC_TOKEN. Ledger: --rpc / DDC_RPC, --deployment / DDC_DEPLOYMENT.`;
