/** The size of a file given to a put command ("-" is stdin: unknown), refusing what is not a regular file. */
import { stat } from 'node:fs/promises';
import { DdcError } from '@ddc/core';

export async function inputFileSize(path: string): Promise<number | undefined> {
  if (path === '-') return undefined;
  const info = await stat(path).catch((cause: unknown) => {
    throw new DdcError('DDC_INVALID_ARGUMENT', `cannot read ${path}`, { cause, hint: 'Check the path' });
  });
  if (!info.isFile()) throw new DdcError('DDC_INVALID_ARGUMENT', `${path} is not a regular file`, { hint: 'Put one file at a time' });
  return info.size;
}
