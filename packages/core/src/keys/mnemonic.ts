/**
 * BIP39 recovery phrases (English list). A user's every key derives from one phrase, so the
 * phrase is checked (words and checksum) before anything is derived from it.
 */
import { generateMnemonic as bip39Generate, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { DdcError } from '../errors.js';

export type MnemonicStrength = 128 | 256;

const WORD_COUNTS = new Set([12, 15, 18, 21, 24]);
const WORDS = new Set(wordlist);

/** A fresh phrase from the platform CSPRNG: 24 words (256 bits) by default, 12 words for 128. */
export function generateMnemonic(strength: MnemonicStrength = 256): string {
  if (strength !== 128 && strength !== 256) {
    throw new DdcError('DDC_INVALID_ARGUMENT', `mnemonic strength ${String(strength)} is not 128 or 256`, { hint: 'Use 12 words (128) or 24 words (256)' });
  }
  return bip39Generate(wordlist, strength);
}

/** Normalises a phrase (NFKD, lower case, single spaces) and checks it; returns the normal form. */
export function assertMnemonic(mnemonic: string): string {
  const bad = (what: string, hint: string) => new DdcError('DDC_MNEMONIC_INVALID', `the recovery phrase ${what}`, { hint });
  if (typeof mnemonic !== 'string') throw bad('is not text', 'Pass the words as one string separated by spaces');
  const words = mnemonic.normalize('NFKD').trim().toLowerCase().split(/\s+/).filter((w) => w.length > 0);
  if (!WORD_COUNTS.has(words.length)) {
    throw bad(`has ${words.length} words`, 'A BIP39 phrase has 12, 15, 18, 21 or 24 words; check that none is missing');
  }
  const unknown = words.findIndex((w) => !WORDS.has(w));
  if (unknown >= 0) {
    // Say which position, not the word itself: the phrase is a secret.
    throw bad(`has a word that is not in the BIP39 English list (word ${unknown + 1})`, 'Check the spelling of that word against your backup');
  }
  const normal = words.join(' ');
  if (!validateMnemonic(normal, wordlist)) {
    throw bad('fails its checksum', 'A word is wrong or the words are out of order; check them against your backup');
  }
  return normal;
}
