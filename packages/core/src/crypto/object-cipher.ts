/**
 * Chunked AES-256-GCM for object bodies (docs/ACCESS.md "Encryption"). Plaintext is cut in
 * chunks of PLAIN_CHUNK bytes so that each ciphertext chunk (with its 16-byte tag) is exactly
 * one 1 MiB UnixFS leaf. Chunk i uses nonce = 12-byte big-endian i and associated data
 * `ddc-enc-v1\0` || object id || u64 i || final flag: a chunk cannot move to another place,
 * another object, or become the last one, and a missing tail is caught by the final flag.
 * An empty object is one empty final chunk (16 bytes). Web Crypto only, so it runs anywhere.
 */
import { DdcError, abortError } from '../errors.js';
import { textEncoder } from '../bytes.js';

export const ENC_ALG = 'aes-256-gcm-chunked-v1';
export const ENC_TAG_SIZE = 16;
export const CIPHER_CHUNK = 1 << 20;
export const PLAIN_CHUNK = CIPHER_CHUNK - ENC_TAG_SIZE;
export const DEK_SIZE = 32;
export const OBJECT_ID_SIZE = 16;

/** Chunks being encrypted or decrypted at once: Node runs each on its thread pool. */
const IN_FLIGHT = 4;
const AAD_DOMAIN = textEncoder.encode('ddc-enc-v1\0');

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new DdcError('DDC_INTERNAL', 'Web Crypto (crypto.subtle) is not available', { hint: 'Use Node 20+ or a browser page served over https' });
  return s;
}

function randomBytes(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

/** A fresh 32-byte data-encryption key (one per object version). */
export function generateDek(): Uint8Array {
  return randomBytes(DEK_SIZE);
}

/** A fresh random 16-byte object id (one per object version). */
export function generateObjectId(): Uint8Array {
  return randomBytes(OBJECT_ID_SIZE);
}

export function assertDek(dek: Uint8Array): void {
  if (!(dek instanceof Uint8Array) || dek.length !== DEK_SIZE) {
    throw new DdcError('DDC_KEY_INVALID', `a data key is ${DEK_SIZE} bytes`, { hint: 'Use generateDek() or the key opened from an EDEK' });
  }
}

export function assertObjectId(oid: Uint8Array): void {
  if (!(oid instanceof Uint8Array) || oid.length !== OBJECT_ID_SIZE) {
    throw new DdcError('DDC_INVALID_ARGUMENT', `an object id is ${OBJECT_ID_SIZE} bytes`, { hint: 'Use generateObjectId() or the oid from the record\'s enc' });
  }
}

/** Imports a DEK as a non-extractable AES-GCM key. */
/**
 * AES-256-GCM with a 16-byte tag appended, as one call per chunk. Web Crypto by default; Node
 * installs node:crypto's cipher (`@ddc/client/platform/node-crypto`), which runs the same
 * OpenSSL code without Web Crypto's job scheduling and buffer copies (about 2x on 1 MiB chunks).
 * `decrypt` must throw on a bad tag.
 */
export interface AesGcmImpl {
  /** `out`, if given (plain.length + 16 bytes), receives ciphertext || tag and is returned. */
  encrypt(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, plain: Uint8Array, out?: Uint8Array): Uint8Array | Promise<Uint8Array>;
  decrypt(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, cipher: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

let aesGcm: AesGcmImpl | undefined;

/** Installs a platform AES-256-GCM (undefined restores Web Crypto). */
export function useAesGcm(next: AesGcmImpl | undefined): void {
  aesGcm = next;
}

/** A data key ready for chunk calls: its bytes, and the Web Crypto key made from them. */
export interface DekKey {
  readonly raw: Uint8Array;
  readonly web: CryptoKey | undefined;
}

export async function importDek(dek: Uint8Array): Promise<DekKey> {
  assertDek(dek);
  const raw = Uint8Array.from(dek);
  const web = aesGcm ? undefined : await subtle().importKey('raw', raw as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt', 'decrypt']);
  return { raw, web };
}

function chunkParams(oid: Uint8Array, index: number, final: boolean): AesGcmParams {
  assertObjectId(oid);
  if (!Number.isSafeInteger(index) || index < 0) throw new DdcError('DDC_INVALID_ARGUMENT', `chunk index ${index} is not a non-negative integer`);
  const hi = Math.floor(index / 2 ** 32);
  const lo = index >>> 0;
  const iv = new Uint8Array(12);
  const ivView = new DataView(iv.buffer);
  ivView.setUint32(4, hi);
  ivView.setUint32(8, lo);
  const aad = new Uint8Array(AAD_DOMAIN.length + OBJECT_ID_SIZE + 8 + 1);
  aad.set(AAD_DOMAIN, 0);
  aad.set(oid, AAD_DOMAIN.length);
  const aadView = new DataView(aad.buffer);
  aadView.setUint32(AAD_DOMAIN.length + OBJECT_ID_SIZE, hi);
  aadView.setUint32(AAD_DOMAIN.length + OBJECT_ID_SIZE + 4, lo);
  aad[aad.length - 1] = final ? 1 : 0;
  return { name: 'AES-GCM', iv, additionalData: aad, tagLength: ENC_TAG_SIZE * 8 };
}

/** Encrypts one chunk (at most PLAIN_CHUNK bytes); returns ciphertext || tag. */
async function webKey(key: DekKey): Promise<CryptoKey> {
  return key.web ?? subtle().importKey('raw', key.raw as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/**
 * `allocate(plain.length + 16)` gives the memory a platform cipher writes the result into; Web
 * Crypto returns its own array, so it is not called then.
 */
export async function encryptChunk(key: DekKey, oid: Uint8Array, index: number, final: boolean, plain: Uint8Array, allocate?: (size: number) => Uint8Array): Promise<Uint8Array> {
  if (plain.length > PLAIN_CHUNK) throw new DdcError('DDC_INVALID_ARGUMENT', `a plaintext chunk is at most ${PLAIN_CHUNK} bytes, got ${plain.length}`);
  const params = chunkParams(oid, index, final);
  if (aesGcm) return aesGcm.encrypt(key.raw, params.iv as Uint8Array, params.additionalData as Uint8Array, plain, allocate?.(plain.length + ENC_TAG_SIZE));
  return new Uint8Array(await subtle().encrypt(params, await webKey(key), plain as Uint8Array<ArrayBuffer>));
}

/**
 * Decrypts one chunk; a wrong key, place, object or final flag, or any changed byte, is DDC_DECRYPT_FAILED.
 * `cipher` is read (or copied, by Web Crypto) before this returns, so the caller may reuse it at once.
 */
export function decryptChunk(key: DekKey, oid: Uint8Array, index: number, final: boolean, cipher: Uint8Array): Promise<Uint8Array> {
  if (cipher.length < ENC_TAG_SIZE || cipher.length > CIPHER_CHUNK) {
    return Promise.reject(new DdcError('DDC_CIPHERTEXT_TRUNCATED', `ciphertext chunk ${index} is ${cipher.length} bytes, not ${ENC_TAG_SIZE}..${CIPHER_CHUNK}`));
  }
  let result: Promise<Uint8Array>;
  try {
    const params = chunkParams(oid, index, final);
    if (aesGcm) result = Promise.resolve(aesGcm.decrypt(key.raw, params.iv as Uint8Array, params.additionalData as Uint8Array, cipher));
    else if (key.web) result = subtle().decrypt(params, key.web, cipher as Uint8Array<ArrayBuffer>).then((b) => new Uint8Array(b));
    else {
      const copy = new Uint8Array(cipher); // the key is imported first: keep the bytes as they are now (a Buffer's slice() is a view)
      result = webKey(key).then((k) => subtle().decrypt(params, k, copy)).then((b) => new Uint8Array(b));
    }
  } catch (e) {
    result = Promise.reject(e);
  }
  return result.catch((e: unknown) => {
    if (e instanceof DdcError) throw e;
    throw new DdcError('DDC_DECRYPT_FAILED', `chunk ${index} of the object does not decrypt`, {
      hint: 'The bytes were changed, reordered or belong to another object, or the data key is wrong',
      cause: e,
      details: { chunk: index },
    });
  });
}

function assertSize(plainSize: number): void {
  if (!Number.isSafeInteger(plainSize) || plainSize < 0) throw new DdcError('DDC_INVALID_ARGUMENT', `object size ${plainSize} is not a non-negative integer`);
}

/** Number of chunks for a plaintext size (an empty object still has one). */
export function chunkCount(plainSize: number): number {
  assertSize(plainSize);
  return Math.max(1, Math.ceil(plainSize / PLAIN_CHUNK));
}

/** Bytes of ciphertext for `plainSize` bytes of plaintext. */
export function ciphertextSize(plainSize: number): number {
  return plainSize + chunkCount(plainSize) * ENC_TAG_SIZE;
}

/** Plaintext bytes in chunk `index` of an object of `plainSize` bytes. */
function plainLength(index: number, plainSize: number): number {
  return Math.min(PLAIN_CHUNK, plainSize - index * PLAIN_CHUNK);
}

/**
 * Which ciphertext bytes a plaintext range [start, end) needs: whole chunks from `firstChunk`.
 * An empty range needs none.
 */
export function cipherRangeFor(plainRange: { start: number; end: number }, plainSize: number): { start: number; end: number; firstChunk: number } {
  assertSize(plainSize);
  const { start, end } = plainRange;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > plainSize) {
    throw new DdcError('DDC_INVALID_RANGE', `range [${start}, ${end}) is not within an object of ${plainSize} bytes`, { hint: 'Ask for 0 <= start <= end <= size' });
  }
  if (start === end) return { start: 0, end: 0, firstChunk: 0 };
  const firstChunk = Math.floor(start / PLAIN_CHUNK);
  const lastChunk = Math.floor((end - 1) / PLAIN_CHUNK);
  return {
    start: firstChunk * CIPHER_CHUNK,
    end: lastChunk * CIPHER_CHUNK + plainLength(lastChunk, plainSize) + ENC_TAG_SIZE,
    firstChunk,
  };
}

/** Runs up to IN_FLIGHT chunk jobs at once and hands results on in order. */
class OrderedJobs {
  private readonly queue: Promise<Uint8Array>[] = [];
  constructor(private readonly emit: (out: Uint8Array) => void) {}

  async add(job: Promise<Uint8Array>): Promise<void> {
    job.catch(() => {}); // awaited in order below; this only stops an early failure being "unhandled"
    this.queue.push(job);
    if (this.queue.length >= IN_FLIGHT) this.emit(await this.queue.shift()!);
  }

  async drain(): Promise<void> {
    while (this.queue.length > 0) this.emit(await this.queue.shift()!);
  }
}

/** Errors the stream when the signal fires; returns the cleanup. */
function watchSignal(signal: AbortSignal | undefined, controller: TransformStreamDefaultController<Uint8Array>): () => void {
  if (!signal) return () => {};
  const onAbort = () => controller.error(abortError(signal));
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

export interface CipherStreamOptions {
  signal?: AbortSignal;
}

export interface EncryptStreamOptions extends CipherStreamOptions {
  /** Memory for each ciphertext chunk (`size` bytes, any contents), e.g. DdcClient.putBuffer; a new array by default. */
  allocate?: (size: number) => Uint8Array;
}

/**
 * Plaintext in (any chunking), ciphertext chunks out: every one CIPHER_CHUNK bytes except
 * the last (the final chunk). Memory stays at a few chunks whatever the object size.
 * Chunks written to it must not be changed afterwards (as for any WHATWG stream).
 */
export function createEncryptStream(dek: Uint8Array, oid: Uint8Array, opts: EncryptStreamOptions = {}): TransformStream<Uint8Array, Uint8Array> {
  assertDek(dek);
  assertObjectId(oid);
  const objectId = Uint8Array.from(oid);
  const { signal, allocate } = opts;
  let key: DekKey;
  let jobs: OrderedJobs;
  let unwatch = () => {};
  let index = 0;
  let cur: Uint8Array | null = null; // the chunk being filled
  let curLen = 0;
  let pending: Uint8Array | null = null; // a full chunk that may still be the last one
  const submit = (plain: Uint8Array, final: boolean) => jobs.add(encryptChunk(key, objectId, index++, final, plain, allocate));

  return new TransformStream<Uint8Array, Uint8Array>({
    async start(controller) {
      unwatch = watchSignal(signal, controller);
      jobs = new OrderedJobs((out) => controller.enqueue(out));
      key = await importDek(dek);
    },
    async transform(input) {
      if (signal?.aborted) throw abortError(signal);
      if (!(input instanceof Uint8Array)) throw new DdcError('DDC_INVALID_ARGUMENT', 'the encrypt stream takes Uint8Array chunks');
      let off = 0;
      while (off < input.length) {
        if (pending) {
          // More bytes follow, so the held chunk is not the last.
          await submit(pending, false);
          cur ??= pending; // ours, and Web Crypto copied it: reuse the buffer
          pending = null;
        }
        if (curLen === 0 && input.length - off >= PLAIN_CHUNK) {
          const piece = input.subarray(off, off + PLAIN_CHUNK);
          off += PLAIN_CHUNK;
          if (off < input.length) await submit(piece, false);
          else pending = new Uint8Array(piece); // kept past this call: copy (a Buffer's slice() is a view), the writer owns its buffer
          continue;
        }
        cur ??= new Uint8Array(PLAIN_CHUNK);
        const n = Math.min(PLAIN_CHUNK - curLen, input.length - off);
        cur.set(input.subarray(off, off + n), curLen);
        curLen += n;
        off += n;
        if (curLen === PLAIN_CHUNK) {
          pending = cur;
          cur = null;
          curLen = 0;
        }
      }
    },
    async flush() {
      try {
        if (signal?.aborted) throw abortError(signal);
        if (pending) await submit(pending, true);
        else await submit(cur ? cur.subarray(0, curLen) : new Uint8Array(0), true);
        await jobs.drain();
      } finally {
        unwatch();
      }
    },
  });
}

export interface DecryptStreamOptions extends CipherStreamOptions {
  /** The object's plaintext size, from its record. */
  plainSize: number;
  /** Only these plaintext bytes; the input is then exactly cipherRangeFor(range, plainSize). */
  range?: { start: number; end: number };
  /** Called with each input chunk once its bytes have been used, so its memory may be reused. */
  onConsumed?: (chunk: Uint8Array) => void;
}

/**
 * Ciphertext in (any chunking), plaintext out. The input must be exactly the ciphertext for
 * `plainSize` (or for `range`): fewer or more bytes is DDC_CIPHERTEXT_TRUNCATED, a changed,
 * moved or foreign chunk is DDC_DECRYPT_FAILED. Nothing is emitted before its chunk's tag checks.
 */
export function createDecryptStream(dek: Uint8Array, oid: Uint8Array, opts: DecryptStreamOptions): TransformStream<Uint8Array, Uint8Array> {
  assertDek(dek);
  assertObjectId(oid);
  const objectId = Uint8Array.from(oid);
  const { plainSize, range, signal, onConsumed } = opts;
  const chunks = chunkCount(plainSize);
  const plainStart = range ? range.start : 0;
  const plainEnd = range ? range.end : plainSize;
  const cr = range ? cipherRangeFor(range, plainSize) : { start: 0, end: ciphertextSize(plainSize), firstChunk: 0 };
  const expectedBytes = cr.end - cr.start;
  let key: DekKey;
  let jobs: OrderedJobs;
  let unwatch = () => {};
  let index = cr.firstChunk;
  let received = 0;
  let cur: Uint8Array | null = null;
  let curLen = 0;

  const truncated = (what: string) =>
    new DdcError('DDC_CIPHERTEXT_TRUNCATED', `the encrypted object has ${what} than its record says (expected ${expectedBytes} bytes of ciphertext)`, {
      hint: 'Fetch the object again; a node may have sent a cut or padded body',
      details: { expected: expectedBytes, received },
    });

  const submit = (cipher: Uint8Array) => {
    const i = index++;
    const chunkStart = i * PLAIN_CHUNK;
    const from = Math.max(0, plainStart - chunkStart);
    const to = Math.min(plainLength(i, plainSize), plainEnd - chunkStart);
    const job = decryptChunk(key, objectId, i, i === chunks - 1, cipher).then((plain) =>
      from === 0 && to === plain.length ? plain : plain.subarray(from, to),
    );
    return jobs.add(job);
  };

  return new TransformStream<Uint8Array, Uint8Array>({
    async start(controller) {
      unwatch = watchSignal(signal, controller);
      jobs = new OrderedJobs((out) => {
        if (out.length > 0) controller.enqueue(out);
      });
      key = await importDek(dek);
    },
    async transform(input) {
      if (signal?.aborted) throw abortError(signal);
      if (!(input instanceof Uint8Array)) throw new DdcError('DDC_INVALID_ARGUMENT', 'the decrypt stream takes Uint8Array chunks');
      received += input.length;
      if (received > expectedBytes) throw truncated('more bytes');
      let off = 0;
      while (off < input.length) {
        const size = plainLength(index, plainSize) + ENC_TAG_SIZE;
        if (curLen === 0 && input.length - off >= size) {
          await submit(input.subarray(off, off + size)); // decryptChunk reads its input before it returns
          off += size;
          continue;
        }
        cur ??= new Uint8Array(CIPHER_CHUNK);
        const n = Math.min(size - curLen, input.length - off);
        cur.set(input.subarray(off, off + n), curLen);
        curLen += n;
        off += n;
        if (curLen === size) {
          await submit(cur.subarray(0, size));
          curLen = 0; // reused: the job copied it
        }
      }
      onConsumed?.(input);
    },
    async flush() {
      try {
        if (signal?.aborted) throw abortError(signal);
        if (received < expectedBytes) throw truncated('fewer bytes');
        await jobs.drain();
      } finally {
        unwatch();
      }
    },
  });
}
