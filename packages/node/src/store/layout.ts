/**
 * On-disk layout of a data folder:
 *
 *   FORMAT            {"format":"ddc-node-store","version":2}: what wrote this folder (1: the index
 *                     kept (piece, index, id) keys in `pieces`; a version 2 node upgrades it at open)
 *   LOCK              pid of the node that has the folder open
 *   index/            LMDB: shard metadata, (piece, index) -> ids, shards up to inlineThreshold inline
 *   shards/ab/<id>    shards above inlineThreshold, fanned out by the id's first byte
 *   tmp/              uploads in progress (same file system, so rename is atomic); emptied at open
 */
import { join } from 'node:path';

export const STORE_FORMAT = 'ddc-node-store';
export const STORE_VERSION = 2;
export const UPGRADABLE_STORE_VERSIONS: readonly number[] = [1];

export interface StoreLayout {
  root: string;
  format: string;
  lock: string;
  index: string;
  shards: string;
  tmp: string;
}

export function storeLayout(root: string): StoreLayout {
  return {
    root,
    format: join(root, 'FORMAT'),
    lock: join(root, 'LOCK'),
    index: join(root, 'index'),
    shards: join(root, 'shards'),
    tmp: join(root, 'tmp'),
  };
}

/** The fan-out folder of a shard: its id's first byte in hex. */
export function fanOutDir(layout: StoreLayout, id: string): string {
  return join(layout.shards, id.slice(0, 2));
}

export function shardFilePath(layout: StoreLayout, id: string): string {
  return join(layout.shards, id.slice(0, 2), id);
}

/** All 256 fan-out folder names, made at open so writes never have to create (and fsync) one. */
export const FAN_OUT_NAMES: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
