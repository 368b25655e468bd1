/**
 * The node identity as seen by the handlers. Kept beside the NodeContext (attached once at
 * start) rather than in it, so the context's shape stays the store's and the gate's.
 */
import { DdcError } from '@ddc/core';
import type { NodeIdentity } from '../identity.js';
import type { NodeContext } from './context.js';

const identities = new WeakMap<NodeContext, NodeIdentity>();

export function attachIdentity(ctx: NodeContext, identity: NodeIdentity): void {
  identities.set(ctx, identity);
}

export function identityOf(ctx: NodeContext): NodeIdentity {
  const identity = identities.get(ctx);
  if (!identity) throw new DdcError('DDC_INTERNAL', 'this node has no identity key loaded', { hint: 'Start nodes with startNode(), which loads identity.key' });
  return identity;
}

/** The public key for /info, or undefined for a context built without startNode (tests). */
export function publicKeyOf(ctx: NodeContext): string | undefined {
  return identities.get(ctx)?.publicKey;
}
