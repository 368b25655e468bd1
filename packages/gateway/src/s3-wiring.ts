/**
 * Joins the S3 API (src/s3) to the server: its context from the gateway's, its handler,
 * virtual-host detection, and the S3 bucket names, which /ddc/<name>/<key> also accepts.
 */
import type { GatewayContext } from './context.js';
import type { GatewayServerOptions } from './server.js';
import { createS3Context, handleS3, isVirtualHostRequest, DEFAULT_VIRTUAL_HOST_BASES } from './s3/index.js';

export async function s3Side(ctx: GatewayContext): Promise<GatewayServerOptions> {
  const s3 = ctx.config.s3;
  const s3ctx = await createS3Context({
    client: ctx.client, keys: ctx.keys, ledger: ctx.ledger, clusterId: ctx.clusterId, dataDir: ctx.config.dataDir,
    region: s3.region, virtualHostBases: s3.virtualHostBases, limits: s3.limits,
  });
  ctx.bucketNames = {
    idOf: async (name) => {
      if (!s3ctx.buckets.get(name)) await s3ctx.buckets.reloadIfStale();
      return s3ctx.buckets.get(name)?.id;
    },
  };
  const bases = s3.virtualHostBases ?? DEFAULT_VIRTUAL_HOST_BASES;
  return {
    s3: (req, res) => handleS3(req, res, s3ctx),
    isVirtualHost: (req) => isVirtualHostRequest(req, bases),
  };
}
