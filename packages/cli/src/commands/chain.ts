/** `ddc chain status|deploy`: the chain and the DDC contracts on it. */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { DdcError } from '@ddc/core';
import { assertChain, bucketRegistryAbi, clusterCount, deployAll, formatCere, tokenBalance, writeDeploymentFile } from '@ddc/ledger/node';
import { printJson } from '../output.js';
import { usage } from '../errors.js';
import { LEDGER_FLAGS, defaultRpcUrl, deploymentPath, explicitKey, ledgerFor } from '../ledger/context.js';
import { chainHelp } from '../ledger/help.js';


async function status(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: LEDGER_FLAGS, allowPositionals: true });
  if (positionals.length) throw usage(`chain status takes no arguments.\n  ${chainHelp}`);
  const json = values.json === true;
  const ledger = await ledgerFor(values, { write: false, json });
  await assertChain(ledger);
  const c = ledger.publicClient;
  const [block, clusters, buckets] = await Promise.all([
    c.getBlockNumber({ cacheTime: 0 }),
    clusterCount(ledger),
    c.readContract({ address: ledger.deployment.contracts.buckets, abi: bucketRegistryAbi, functionName: 'bucketCount' }),
  ]);
  const deployer = await tokenBalance(ledger, ledger.deployment.deployer).catch(() => undefined);
  const out = { rpcUrl: ledger.chain.rpcUrls.default.http[0], chainId: ledger.deployment.chainId, block: Number(block), deployment: deploymentPath(values), contracts: ledger.deployment.contracts, clusters, buckets: Number(buckets), devToken: ledger.deployment.devToken };
  if (json) printJson(out);
  else {
    process.stdout.write(`chain ${out.chainId} at block ${out.block} (${out.rpcUrl})\n  deployment ${out.deployment}\n  clusters ${clusters}, buckets created ${out.buckets}\n`);
    for (const [k, v] of Object.entries(out.contracts)) process.stdout.write(`  ${k.padEnd(10)} ${v}\n`);
    if (deployer !== undefined) process.stdout.write(`  deployer holds ${formatCere(deployer)} ${out.devToken ? 'dev ' : ''}CERE\n`);
  }
  return 0;
}

async function deploy(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...LEDGER_FLAGS, token: { type: 'string' }, out: { type: 'string' } }, allowPositionals: true });
  if (positionals.length) throw usage(`chain deploy takes flags only.\n  ${chainHelp}`);
  const json = values.json === true;
  const rpcUrl = values.rpc ?? (await defaultRpcUrl());
  const out = resolve(values.out ?? values.deployment ?? 'deployment.json');
  const account = await explicitKey(values, { prompt: true });
  if (!account) throw new DdcError('DDC_LEDGER_ACCOUNT', 'deploying needs a funded signing key', { hint: 'Set DDC_PRIVATE_KEY or pass --key-file FILE' });
  const deployment = await deployAll({
    rpcUrl,
    account,
    ...(values.token ? { token: values.token as `0x${string}` } : {}),
    log: (line) => (json ? undefined : process.stderr.write(`${line}\n`)),
  });
  await writeDeploymentFile(out, deployment);
  if (json) printJson({ deployment: out, ...deployment });
  else process.stdout.write(`deployed to chain ${deployment.chainId} from block ${deployment.deployBlock}; wrote ${out}\n`);
  return 0;
}

export async function chainCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'status') return status(rest);
  if (sub === 'deploy') return deploy(rest);
  throw usage(`expected "ddc chain status|deploy".\n  ${chainHelp}`);
}
