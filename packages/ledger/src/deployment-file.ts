/** Reading and writing deployment files (Node only). */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { DdcError } from '@ddc/core';
import { parseDeployment, serializeDeployment, type Deployment } from './deployment.js';

export async function readDeploymentFile(path: string): Promise<Deployment> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new DdcError('DDC_LEDGER_DEPLOYMENT', `cannot read the deployment file ${path}`, { cause, hint: 'Start `ddc dev` (it writes .ddc/deployment.json) or pass --deployment FILE' });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new DdcError('DDC_LEDGER_DEPLOYMENT', `the deployment file ${path} is not valid JSON`, { cause, hint: 'Rewrite it with `ddc chain deploy`' });
  }
  return parseDeployment(json);
}

export async function writeDeploymentFile(path: string, deployment: Deployment): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, serializeDeployment(deployment));
  await rename(tmp, path);
}
