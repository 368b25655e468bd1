/**
 * XML in and out. Answers are built here by hand (one escape function, no surprises);
 * request bodies are parsed with fast-xml-parser after a well-formedness check, and a
 * DOCTYPE is refused outright (no entity tricks), as S3 does.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { S3Error } from './errors.js';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** Characters XML 1.0 cannot carry at all (S3 keys may hold them; clients then ask for encoding-type=url). */
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\r/g, '&#13;')
    .replace(NOT_XML, (c) => `&#${c.charCodeAt(0)};`);
}

/** A tree node: an element name with text, or with children (undefined children are skipped). */
export type XmlNode = [name: string, content: string | number | boolean | XmlChildren];
export type XmlChildren = (XmlNode | undefined | false)[];

function write(node: XmlNode, out: string[]): void {
  const [name, content] = node;
  if (Array.isArray(content)) {
    out.push(`<${name}>`);
    for (const child of content) if (child) write(child, out);
    out.push(`</${name}>`);
  } else {
    out.push(`<${name}>${escapeXml(String(content))}</${name}>`);
  }
}

/** A whole document: declaration, then the root element with S3's namespace. */
export function xmlDocument(root: string, children: XmlChildren): string {
  const out: string[] = [DECLARATION, `<${root} xmlns="${S3_XMLNS}">`];
  for (const child of children) if (child) write(child, out);
  out.push(`</${root}>`);
  return out.join('');
}

/** An error document (no namespace, like S3's). */
export function errorDocument(code: string, message: string, extra: Record<string, string>, requestId: string): string {
  const out: string[] = [DECLARATION, '<Error>'];
  write(['Code', code], out);
  write(['Message', message], out);
  for (const [k, v] of Object.entries(extra)) write([k, v], out);
  write(['RequestId', requestId], out);
  out.push('</Error>');
  return out.join('');
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  // Also decodes numeric character references (&#34; from Go's encoder).
  htmlEntities: true,
});

export type XmlValue = string | XmlObject | XmlValue[];
export interface XmlObject {
  [name: string]: XmlValue;
}

/**
 * Parses a request body whose root must be `root`; MalformedXML for anything else
 * (not well formed, a DOCTYPE, another root).
 */
export function parseXmlBody(text: string, root: string): XmlObject {
  const malformed = (why: string) => new S3Error('MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema: ${why}`);
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw malformed('a DOCTYPE or ENTITY declaration is not accepted');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw malformed(`${valid.err.msg} (line ${valid.err.line})`);
  let doc: unknown;
  try {
    doc = parser.parse(text);
  } catch (e) {
    throw malformed(e instanceof Error ? e.message : String(e));
  }
  if (typeof doc !== 'object' || doc === null) throw malformed('no root element');
  const names = Object.keys(doc);
  if (names.length !== 1 || names[0] !== root) throw malformed(`the root element must be <${root}>, not <${names.join('>, <')}>`);
  const body = (doc as Record<string, unknown>)[root];
  if (body === '' || body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw malformed(`<${root}> must contain elements`);
  return body as XmlObject;
}

/** The elements named `name` under `parent`, always as an array. */
export function children(parent: XmlObject, name: string): XmlValue[] {
  const v = parent[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** The text of the single element `name` under `parent`, or undefined. MalformedXML if it has children or repeats. */
export function textOf(parent: XmlObject, name: string): string | undefined {
  const v = parent[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new S3Error('MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema: <${name}> must hold text, once`);
  return v;
}

export function isXmlObject(v: XmlValue | undefined): v is XmlObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
