/**
 * Where the client learns who serves the cluster. Today a static descriptor; the ledger
 * issue plugs in membership read from the chain behind the same interface.
 */
import { parseClusterDescriptor, type ClusterDescriptor } from '@ddc/core';

export type ClusterView = ClusterDescriptor;

export interface Membership {
  /** The current view of the cluster; may refresh in the background. */
  current(signal?: AbortSignal): Promise<ClusterView>;
  close?(): Promise<void>;
}

export class StaticMembership implements Membership {
  private readonly view: ClusterView;
  constructor(descriptor: unknown) {
    this.view = parseClusterDescriptor(descriptor);
  }
  async current(): Promise<ClusterView> {
    return this.view;
  }
}

export function isMembership(x: unknown): x is Membership {
  return !!x && typeof (x as Membership).current === 'function';
}
