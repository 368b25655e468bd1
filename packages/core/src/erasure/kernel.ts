/** The inner loop of Reed-Solomon: a GF(2^8) matrix times a set of equal-length shards. */
export interface GfKernel {
  readonly name: 'wasm-simd' | 'js';
  /**
   * outputs[r] = XOR over c of coefs[r * inputs.length + c] * inputs[c], for every r.
   * All inputs and outputs have the same length; outputs are fully overwritten.
   */
  apply(coefs: Uint8Array, inputs: readonly Uint8Array[], outputs: readonly Uint8Array[]): void;
}
