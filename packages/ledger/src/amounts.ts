/** CERE amounts: decimal text <-> token base units. */
import { formatUnits, parseUnits } from 'viem';
import { DdcError } from '@ddc/core';
import { CERE_DECIMALS } from './errors.js';

export function parseCere(text: string): bigint {
  if (!/^\d+(\.\d+)?$/.test(text.trim())) throw new DdcError('DDC_INVALID_ARGUMENT', `"${text}" is not an amount of CERE`, { hint: 'Write a non-negative decimal number, e.g. 100 or 0.5' });
  const [, frac = ''] = text.trim().split('.');
  if (frac.length > CERE_DECIMALS) throw new DdcError('DDC_INVALID_ARGUMENT', `"${text}" has more than ${CERE_DECIMALS} decimals`, { hint: `CERE has ${CERE_DECIMALS} decimals` });
  return parseUnits(text.trim(), CERE_DECIMALS);
}

export function formatCere(units: bigint): string {
  return formatUnits(units, CERE_DECIMALS);
}
