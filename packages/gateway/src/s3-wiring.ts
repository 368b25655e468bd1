/**
 * Joins the S3 API (src/s3, built separately) to the server: its context from the
 * gateway's, its handler, virtual-host detection, and the bucket names /ddc/ can use.
 */
import type { GatewayContext } from './context.js';
import type { GatewayServerOptions } from './server.js';

export async function s3Side(_ctx: GatewayContext): Promise<GatewayServerOptions> {
  // Filled in when src/s3 exports handleS3: until then S3 paths answer 501.
  return {};
}
