/**
 * `ddc keys new|import|show|export-public`: the user's identity (docs/ACCESS.md "Keys").
 * One recovery phrase gives the ledger account, the Ed25519 signing key and the X25519
 * encryption key; the phrase lives sealed in a keystore file (mode 0600). The phrase is
 * shown once, by `new`, on stderr; it is read from stdin or a prompt, never from argv.
 */
import { access } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  DdcError, assertMnemonic, createKeystore, deriveUserKeys, encodePublicIdentity, generateMnemonic, publicIdentityOf, toHex, type UserKeys,
} from '@ddc/core';
import { printJson } from '../output.js';
import { usage } from '../errors.js';
import { canPrompt, loadUserKeys, promptSecret, resolveKeystore, writeKeystoreFile } from '../identity/keystore-file.js';
import { keysExportHelp, keysHelp, keysImportHelp, keysNewHelp, keysShowHelp } from './help.js';

const MAX_PHRASE_INPUT = 4096;

function summary(keys: UserKeys, file: string): { file: string; address: string; ed25519: string; x25519: string; publicIdentity: string } {
  return {
    file,
    address: keys.evm.address,
    ed25519: toHex(keys.signing.publicKey),
    x25519: toHex(keys.encryption.publicKey),
    publicIdentity: encodePublicIdentity(publicIdentityOf(keys)),
  };
}

function printSummary(s: ReturnType<typeof summary>): void {
  process.stdout.write(
    [
      `keystore          ${s.file}`,
      `address           ${s.address}`,
      `ed25519 (signing) ${s.ed25519}`,
      `x25519 (encrypt)  ${s.x25519}`,
      `public identity   ${s.publicIdentity}`,
      '',
    ].join('\n'),
  );
}

/** Where new/import write: --out, else the keystore commands would read. Refuses an existing file early. */
async function outFile(out: string | undefined): Promise<string> {
  const file = resolveKeystore({ keystore: out }).file;
  const exists = await access(file).then(() => true, () => false);
  if (exists) {
    throw new DdcError('DDC_INVALID_ARGUMENT', `${file} already exists; a keystore is never overwritten`, {
      hint: 'Pass --out FILE for a new file, or move the old one away if you are sure you have its recovery phrase',
      details: { file },
    });
  }
  return file;
}

/** The passphrase for a new keystore: DDC_PASSPHRASE, else asked twice on a terminal. */
async function newPassphrase(file: string): Promise<string> {
  if (process.env.DDC_PASSPHRASE !== undefined) return process.env.DDC_PASSPHRASE;
  if (!canPrompt()) {
    throw new DdcError('DDC_PASSPHRASE_REQUIRED', `a passphrase is needed to seal ${file}`, { hint: 'Set DDC_PASSPHRASE, or run the command on a terminal to be asked' });
  }
  const first = await promptSecret('new keystore passphrase: ');
  if (!first) throw new DdcError('DDC_PASSPHRASE_REQUIRED', 'an empty passphrase leaves the keystore open to anyone who copies it', { hint: "Type a passphrase, or set DDC_PASSPHRASE='' on purpose" });
  if ((await promptSecret('again: ')) !== first) throw new DdcError('DDC_INVALID_ARGUMENT', 'the two passphrases differ', { hint: 'Run the command again' });
  return first;
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    if (text.length > MAX_PHRASE_INPUT) throw new DdcError('DDC_MNEMONIC_INVALID', 'stdin holds more than a recovery phrase', { hint: 'Pipe only the words' });
  }
  return text;
}

async function finish(keysOf: UserKeys, file: string, json: boolean): Promise<void> {
  const s = summary(keysOf, file);
  if (json) printJson(s);
  else printSummary(s);
}

async function keysNew(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { out: { type: 'string' }, words: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true });
  if (positionals.length) throw usage(`keys new takes flags only.\n  ${keysNewHelp}`);
  const words = values.words ?? '24';
  if (words !== '12' && words !== '24') throw usage('--words is 12 or 24');
  const file = await outFile(values.out);
  const passphrase = await newPassphrase(file);
  const phrase = generateMnemonic(words === '12' ? 128 : 256);
  await writeKeystoreFile(file, await createKeystore(phrase, passphrase));
  // The only time the phrase is shown; stderr, so stdout (often logged or piped) never holds it.
  process.stderr.write(
    [
      '',
      'Your recovery phrase. Write it down and keep it offline; it is shown only this once.',
      'Anyone with it controls this identity, its ledger account and can read data shared with it:',
      '',
      `  ${phrase}`,
      '',
      '',
    ].join('\n'),
  );
  await finish(deriveUserKeys(phrase), file, values.json === true);
  return 0;
}

async function keysImport(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { out: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true });
  if (positionals.length) throw usage(`keys import reads the recovery phrase from stdin or a prompt, never from the command line (it would stay in shell history).\n  ${keysImportHelp}`);
  const file = await outFile(values.out);
  const input = process.stdin.isTTY ? await promptSecret('recovery phrase: ') : await readStdin();
  const phrase = assertMnemonic(input);
  const passphrase = await newPassphrase(file);
  await writeKeystoreFile(file, await createKeystore(phrase, passphrase));
  await finish(deriveUserKeys(phrase), file, values.json === true);
  return 0;
}

async function keysShow(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { keystore: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true });
  if (positionals.length) throw usage(`keys show takes flags only.\n  ${keysShowHelp}`);
  const { keys, file } = await loadUserKeys({ keystore: values.keystore });
  await finish(keys, file, values.json === true);
  return 0;
}

async function keysExportPublic(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { keystore: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true });
  if (positionals.length) throw usage(`keys export-public takes flags only.\n  ${keysExportHelp}`);
  const { keys, file } = await loadUserKeys({ keystore: values.keystore });
  const s = summary(keys, file);
  if (values.json) printJson(s);
  else process.stdout.write(`${s.publicIdentity}\n`);
  return 0;
}

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  new: keysNew,
  import: keysImport,
  show: keysShow,
  'export-public': keysExportPublic,
};

export async function keysCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const run = sub ? SUBCOMMANDS[sub] : undefined;
  if (!run) throw usage(`expected "ddc keys ${Object.keys(SUBCOMMANDS).join('|')}".\n  ${keysHelp}`);
  return run(rest);
}
