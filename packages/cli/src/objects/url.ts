/**
 * `ddc://<bucketId>/<key>` URLs. Everything after the first `/` is the key, `/` included
 * (there is no query or fragment: `?` and `#` are key characters). The key is
 * percent-decoded as UTF-8, so a key with a literal `%` is written `%25`. `ddc://7` and
 * `ddc://7/` name the bucket itself (key ""), which `ls` reads as "no prefix".
 */
import { DdcError, checkObjectKey, isDdcError } from '@ddc/core';

export const DDC_URL_SCHEME = 'ddc://';

export interface DdcUrl {
  bucket: number;
  /** Decoded; "" for the bucket itself. */
  key: string;
}

function bad(text: string, why: string, hint: string): DdcError {
  return new DdcError('DDC_INVALID_ARGUMENT', `${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)} is not a ddc:// URL: ${why}`, { hint });
}

/** True when `text` is meant as a ddc:// URL (the scheme is case-insensitive). */
export function isDdcUrl(text: string): boolean {
  return text.slice(0, DDC_URL_SCHEME.length).toLowerCase() === DDC_URL_SCHEME;
}

/**
 * Parses a ddc:// URL; DDC_INVALID_ARGUMENT on anything malformed. With `requireKey` an
 * object key must follow the bucket (put, get, rm); the key is checked like a record's
 * (1..1024 UTF-8 bytes, no NUL).
 */
export function parseDdcUrl(text: string, options: { requireKey?: boolean } = {}): DdcUrl {
  const usage = 'Write ddc://BUCKET_ID/KEY, e.g. ddc://7/photos/cat.jpg';
  if (typeof text !== 'string' || !isDdcUrl(text)) throw bad(String(text), `it does not start with ${DDC_URL_SCHEME}`, usage);
  const rest = text.slice(DDC_URL_SCHEME.length);
  const slash = rest.indexOf('/');
  const idText = slash < 0 ? rest : rest.slice(0, slash);
  const rawKey = slash < 0 ? '' : rest.slice(slash + 1);
  if (!/^(0|[1-9][0-9]*)$/.test(idText)) throw bad(text, `the bucket ${JSON.stringify(idText)} is not a bucket id`, `${usage}; bucket ids are whole numbers without leading zeros (see \`ddc bucket ls\`)`);
  const bucket = Number(idText);
  if (!Number.isSafeInteger(bucket)) throw bad(text, `bucket id ${idText} is too large`, usage);
  let key: string;
  try {
    key = decodeURIComponent(rawKey);
  } catch {
    throw bad(text, 'the key has a % that does not start a UTF-8 percent-escape', 'Write a literal % in a key as %25');
  }
  if (key === '') {
    if (options.requireKey) throw bad(text, 'it names a bucket, not an object', usage);
    return { bucket, key };
  }
  try {
    checkObjectKey(key);
  } catch (e) {
    if (isDdcError(e)) {
      // DdcError appends its hint to the message; keep the two apart here.
      const why = e.hint && e.message.endsWith(`. ${e.hint}`) ? e.message.slice(0, -(e.hint.length + 2)) : e.message;
      throw bad(text, why, e.hint ?? usage);
    }
    throw e;
  }
  return { bucket, key };
}

/**
 * The URL text of a bucket and key: each `/`-separated segment percent-encoded, so
 * parseDdcUrl(formatDdcUrl(u)) gives u back for every valid key.
 */
export function formatDdcUrl(u: DdcUrl): string {
  const key = u.key === '' ? '' : `/${u.key.split('/').map(encodeURIComponent).join('/')}`;
  return `${DDC_URL_SCHEME}${u.bucket}${key}`;
}
