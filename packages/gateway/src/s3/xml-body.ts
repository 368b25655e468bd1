/** Reads an XML request body through the same checks as any payload, bounded in size. */
import { verifiedPayload } from '../auth/payload.js';
import type { S3Context } from './context.js';
import { bodyOf, type S3Request } from './request.js';
import { collect } from './stream.js';
import { parseXmlBody, type XmlObject } from './xml.js';

export async function readXmlBody(ctx: S3Context, r: S3Request, root: string): Promise<XmlObject> {
  const text = await readTextBody(ctx, r);
  return parseXmlBody(text, root);
}

export async function readTextBody(ctx: S3Context, r: S3Request): Promise<string> {
  const payload = verifiedPayload(bodyOf(r), { auth: r.auth, headers: r.headers, maxBytes: ctx.limits.maxXmlBytes });
  return (await collect(payload.chunks)).toString('utf8');
}
