/** Retries with exponential backoff and jitter; stops at once on abort or a non-retryable error. */
import { abortError, throwIfAborted } from '@ddc/core';
import { isRetryable } from './errors.js';

export interface RetryOptions {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 3, baseDelayMs: 50, maxDelayMs: 1000 };

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions, signal?: AbortSignal): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < options.attempts; attempt++) {
    throwIfAborted(signal);
    try {
      return await fn(attempt);
    } catch (e) {
      lastError = e;
      if (!isRetryable(e) || attempt === options.attempts - 1) break;
      const delay = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
      await sleep(delay / 2 + Math.random() * (delay / 2), signal);
    }
  }
  throw lastError;
}
