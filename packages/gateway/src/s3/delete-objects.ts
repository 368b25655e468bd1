/** DeleteObjects (POST ?delete): up to 1000 keys, each deleted on its own; errors reported per key. */
import { bucketFor, checkKey } from './access.js';
import type { S3Context } from './context.js';
import { S3Error, toS3Error } from './errors.js';
import { sendXml, type S3Request } from './request.js';
import { readXmlBody } from './xml-body.js';
import { children, isXmlObject, textOf, xmlDocument, type XmlNode } from './xml.js';

const MAX_OBJECTS = 1000;
const IN_FLIGHT = 8;

export async function deleteObjects(ctx: S3Context, r: S3Request): Promise<void> {
  const body = await readXmlBody(ctx, r, 'Delete');
  const quiet = (textOf(body, 'Quiet') ?? 'false').trim() === 'true';
  const list = children(body, 'Object');
  if (list.length === 0) throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema: <Delete> needs at least one <Object>');
  if (list.length > MAX_OBJECTS) throw new S3Error('MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema: at most ${MAX_OBJECTS} objects per request`);
  const items = list.map((o) => {
    if (!isXmlObject(o)) throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema: <Object> needs a <Key>');
    const key = textOf(o, 'Key');
    if (key === undefined) throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema: <Object> needs a <Key>');
    const version = textOf(o, 'VersionId');
    return { key, version: version === undefined || version === 'null' ? undefined : version };
  });
  const results: (XmlNode | undefined)[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      const { key, version } = items[i]!;
      try {
        checkKey(key);
        const named = await bucketFor(ctx, r, 'delete', key);
        const handle = ctx.handle(named, r.accessKey);
        if (version !== undefined) {
          await handle.deleteVersion(key, version);
          results[i] = quiet ? undefined : ['Deleted', [['Key', key], ['VersionId', version]]];
        } else {
          const marker = await handle.delete(key);
          results[i] = quiet ? undefined : ['Deleted', [['Key', key], ['DeleteMarker', true], ['DeleteMarkerVersionId', marker.version]]];
        }
      } catch (e) {
        const err = toS3Error(e);
        results[i] = ['Error', [['Key', key], version !== undefined && ['VersionId', version], ['Code', err.code], ['Message', err.message]]];
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, items.length) }, worker));
  sendXml(r, 200, xmlDocument('DeleteResult', results));
}
