// `ddc keys` as a user runs it, in a temp folder: new, import, show, export-public; the dev
// phrase shows anvil's account 0; a wrong passphrase is exit 1 with DDC_KEYSTORE_PASSPHRASE.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { DEV_MNEMONIC, deriveUserKeys, encodePublicIdentity, parsePublicIdentity, publicIdentityOf, toHex } from '@ddc/core';
import { runCli, tempDir, type CliResult } from './helpers.js';
import { ensureDevKeystore } from '../src/dev/dev-identity.js';
import { DDC_BIN } from '../src/index.js';

const ANVIL_ACCOUNT_0 = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
interface Shown { file: string; address: string; ed25519: string; x25519: string; publicIdentity: string }

let dir: Awaited<ReturnType<typeof tempDir>>;
before(async () => {
  dir = await tempDir('ddc-keys-');
});
after(async () => dir?.remove());

// Keep the caller's environment from choosing a keystore for the test.
function env(extra: Record<string, string> = {}): Record<string, string> {
  return { DDC_KEYSTORE: '', ...extra };
}

/** `ddc` in folder `cwd` with no DDC_KEYSTORE or DDC_PASSPHRASE, and stdin not a terminal. */
function runCliIn(cwd: string, args: string[]): Promise<CliResult> {
  const childEnv = { ...process.env };
  delete childEnv.DDC_KEYSTORE;
  delete childEnv.DDC_PASSPHRASE;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DDC_BIN, ...args], { cwd, env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stdoutBytes: new TextEncoder().encode(stdout), stderr }));
    child.stdin.end();
  });
}

test('keys import (stdin) of the dev phrase shows anvil account 0; show and export-public agree', async () => {
  const file = join(dir.path, 'dev-import.json');
  const imp = await runCli(['keys', 'import', '--out', file, '--json'], { input: new TextEncoder().encode(`${DEV_MNEMONIC}\n`), env: env({ DDC_PASSPHRASE: 'pw one' }) });
  assert.equal(imp.code, 0, imp.stderr);
  const imported = JSON.parse(imp.stdout) as Shown;
  assert.equal(imported.address, ANVIL_ACCOUNT_0);
  assert.equal(imported.file, file);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.ok(!(await readFile(file, 'utf8')).includes('junk'), 'the phrase is sealed');

  const show = await runCli(['keys', 'show', '--keystore', file, '--json'], { env: env({ DDC_PASSPHRASE: 'pw one' }) });
  assert.equal(show.code, 0, show.stderr);
  const shown = JSON.parse(show.stdout) as Shown;
  const keys = deriveUserKeys(DEV_MNEMONIC);
  assert.deepEqual(shown, {
    file, address: ANVIL_ACCOUNT_0, ed25519: toHex(keys.signing.publicKey), x25519: toHex(keys.encryption.publicKey), publicIdentity: encodePublicIdentity(publicIdentityOf(keys)),
  });

  const human = await runCli(['keys', 'show', '--keystore', file], { env: env({ DDC_PASSPHRASE: 'pw one' }) });
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, new RegExp(`address\\s+${ANVIL_ACCOUNT_0}`));

  const exp = await runCli(['keys', 'export-public', '--keystore', file], { env: env({ DDC_PASSPHRASE: 'pw one' }) });
  assert.equal(exp.code, 0, exp.stderr);
  assert.equal(exp.stdout, `${shown.publicIdentity}\n`);
  assert.equal(parsePublicIdentity(exp.stdout).address, ANVIL_ACCOUNT_0);
  const expJson = await runCli(['keys', 'export-public', '--keystore', file, '--json'], { env: env({ DDC_PASSPHRASE: 'pw one' }) });
  assert.deepEqual(JSON.parse(expJson.stdout), shown);

  // DDC_KEYSTORE picks the file too.
  const viaEnv = await runCli(['keys', 'show', '--json'], { env: env({ DDC_PASSPHRASE: 'pw one', DDC_KEYSTORE: file }) });
  assert.equal((JSON.parse(viaEnv.stdout) as Shown).address, ANVIL_ACCOUNT_0);
});

test('a wrong passphrase: exit 1, DDC_KEYSTORE_PASSPHRASE; no passphrase off a terminal: DDC_PASSPHRASE_REQUIRED', async () => {
  const file = join(dir.path, 'dev-import.json');
  const wrong = await runCli(['keys', 'show', '--keystore', file, '--json'], { env: env({ DDC_PASSPHRASE: 'pw two' }) });
  assert.equal(wrong.code, 1);
  assert.equal((JSON.parse(wrong.stdout) as { error: { code: string } }).error.code, 'DDC_KEYSTORE_PASSPHRASE');
  const human = await runCli(['keys', 'export-public', '--keystore', file], { env: env({ DDC_PASSPHRASE: 'pw two' }) });
  assert.equal(human.code, 1);
  assert.match(human.stderr, /DDC_KEYSTORE_PASSPHRASE/);
  assert.equal(human.stdout, '');

  const none = await runCliIn(dir.path, ['keys', 'show', '--keystore', file, '--json']);
  assert.equal(none.code, 1);
  assert.equal((JSON.parse(none.stdout) as { error: { code: string } }).error.code, 'DDC_PASSPHRASE_REQUIRED');
});

test('keys new: 24 words once on stderr (12 with --words 12), never on stdout; refuses to overwrite; the phrase re-imports to the same keys', async () => {
  const file = join(dir.path, 'new.json');
  const made = await runCli(['keys', 'new', '--out', file, '--json'], { env: env({ DDC_PASSPHRASE: 'secret' }) });
  assert.equal(made.code, 0, made.stderr);
  const out = JSON.parse(made.stdout) as Shown;
  const phrase = /^ {2}([a-z]+(?: [a-z]+)+)$/m.exec(made.stderr)?.[1];
  assert.ok(phrase, made.stderr);
  assert.equal(phrase.split(' ').length, 24);
  assert.ok(!made.stdout.includes(phrase.split(' ').slice(0, 3).join(' ')));
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.equal(out.address, deriveUserKeys(phrase).evm.address);
  assert.equal(out.publicIdentity, encodePublicIdentity(publicIdentityOf(deriveUserKeys(phrase))));
  const show = await runCli(['keys', 'show', '--keystore', file, '--json'], { env: env({ DDC_PASSPHRASE: 'secret' }) });
  assert.deepEqual(JSON.parse(show.stdout), out);

  const before = await readFile(file, 'utf8');
  const again = await runCli(['keys', 'new', '--out', file, '--json'], { env: env({ DDC_PASSPHRASE: 'secret' }) });
  assert.equal(again.code, 1);
  assert.equal((JSON.parse(again.stdout) as { error: { code: string } }).error.code, 'DDC_INVALID_ARGUMENT');
  assert.equal(await readFile(file, 'utf8'), before);

  const reimported = join(dir.path, 'reimported.json');
  const imp = await runCli(['keys', 'import', '--out', reimported, '--json'], { input: new TextEncoder().encode(phrase), env: env({ DDC_PASSPHRASE: 'other' }) });
  assert.equal(imp.code, 0, imp.stderr);
  assert.deepEqual({ ...(JSON.parse(imp.stdout) as Shown), file }, out);

  const short = await runCli(['keys', 'new', '--out', join(dir.path, 'short.json'), '--words', '12'], { env: env({ DDC_PASSPHRASE: 'secret' }) });
  assert.equal(short.code, 0, short.stderr);
  assert.equal(/^ {2}([a-z]+(?: [a-z]+)+)$/m.exec(short.stderr)?.[1]?.split(' ').length, 12);
});

test('keys import refuses a phrase on the command line and a bad phrase on stdin', async () => {
  const argvPhrase = await runCli(['keys', 'import', '--out', join(dir.path, 'x.json'), ...DEV_MNEMONIC.split(' ')], { env: env({ DDC_PASSPHRASE: 'x' }) });
  assert.equal(argvPhrase.code, 2);
  assert.match(argvPhrase.stderr, /never from the command line/);
  const bad = await runCli(['keys', 'import', '--out', join(dir.path, 'y.json'), '--json'], { input: new TextEncoder().encode(DEV_MNEMONIC.replace('junk', 'test')), env: env({ DDC_PASSPHRASE: 'x' }) });
  assert.equal(bad.code, 1);
  assert.equal((JSON.parse(bad.stdout) as { error: { code: string } }).error.code, 'DDC_MNEMONIC_INVALID');
});

test('the dev keystore (what ddc dev writes) opens with no passphrase from ./.ddc; it is created once', async () => {
  const dataDir = join(dir.path, 'ddc');
  const file = await ensureDevKeystore(dataDir);
  assert.equal(file, join(dataDir, 'keystore.json'));
  const first = await readFile(file, 'utf8');
  assert.equal(JSON.parse(first).kdf.N, 16384);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  await ensureDevKeystore(dataDir);
  assert.equal(await readFile(file, 'utf8'), first, 'an existing keystore is kept');

  // Commands run in the folder that holds .ddc find it with no flags and no passphrase.
  const cwdDir = join(dir.path, 'project');
  await ensureDevKeystore(join(cwdDir, '.ddc'));
  const show = await runCliIn(cwdDir, ['keys', 'show', '--json']);
  assert.equal(show.code, 0, show.stderr);
  assert.equal((JSON.parse(show.stdout) as Shown).address, ANVIL_ACCOUNT_0);
  assert.equal((JSON.parse(show.stdout) as Shown).file, join(cwdDir, '.ddc', 'keystore.json'));
  // A missing keystore says how to make one.
  const missing = await runCliIn(dir.path, ['keys', 'show', '--json']);
  assert.equal(missing.code, 1);
  assert.equal((JSON.parse(missing.stdout) as { error: { code: string } }).error.code, 'DDC_NOT_FOUND');
  await writeFile(join(dir.path, 'junk.json'), '{"format":"ddc-keystore"}');
  const junk = await runCliIn(dir.path, ['keys', 'show', '--keystore', join(dir.path, 'junk.json'), '--json']);
  assert.equal((JSON.parse(junk.stdout) as { error: { code: string } }).error.code, 'DDC_KEYSTORE_INVALID');
});
