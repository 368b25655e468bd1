/** Finds the anvil binary shipped inside the platform package of @foundry-rs/anvil (no download, no postinstall). */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DdcError } from '@ddc/core';

const OS: Record<string, string> = { linux: 'linux', darwin: 'darwin', win32: 'win32' };
const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

/** DDC_ANVIL_BIN wins; otherwise the binary of @foundry-rs/anvil-<os>-<arch>. */
export function anvilPath(): string {
  const fromEnv = process.env.DDC_ANVIL_BIN;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new DdcError('DDC_DEV_CHAIN', `DDC_ANVIL_BIN points at ${fromEnv}, which does not exist`, { hint: 'Unset it to use the anvil that npm installed' });
    return fromEnv;
  }
  const pkg = `@foundry-rs/anvil-${OS[process.platform] ?? process.platform}-${ARCH[process.arch] ?? process.arch}`;
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    // Resolve from the wrapper package: the platform package is its optional dependency.
    const wrapper = require.resolve('@foundry-rs/anvil/package.json');
    dir = dirname(createRequire(wrapper).resolve(`${pkg}/package.json`));
  } catch (cause) {
    throw new DdcError('DDC_DEV_CHAIN', `anvil is not installed for ${process.platform}-${process.arch} (${pkg})`, { hint: 'Run `npm install`; on other platforms set DDC_ANVIL_BIN to an anvil binary', cause });
  }
  const bin = join(dir, 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
  if (!existsSync(bin)) throw new DdcError('DDC_DEV_CHAIN', `${pkg} has no binary at ${bin}`, { hint: 'Reinstall with `npm install`, or set DDC_ANVIL_BIN' });
  return bin;
}
