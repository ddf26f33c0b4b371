/**
 * The XML S3 speaks (rest-xml, namespace `http://s3.amazonaws.com/doc/2006-03-01/`): escaping for the
 * responses the emulator writes, and readers for the two request bodies it takes, CompleteMultipartUpload
 * and Delete. Those bodies have a fixed, flat shape (a list of elements holding text), so a small reader of
 * element text is enough; no general XML parser (entities beyond the five predefined ones and numeric
 * references, DTDs, namespaces) is needed or accepted.
 */

import { S3Error } from './errors.js';

export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** Escapes text for an XML element or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;',
  );
}

/** `<Name>text</Name>` with the text escaped; nothing when the value is undefined. */
export function element(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** An XML document with one root element in the S3 namespace. */
export function document(root: string, inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_NAMESPACE}">${inner}</${root}>`;
}

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, ref: string) => {
    switch (ref) {
      case 'amp':
        return '&';
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default: {
        const code = ref.startsWith('#x') ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
        return String.fromCodePoint(code);
      }
    }
  });
}

/**
 * The children of every `<item>` inside the `<root>` document element, as maps of child name to text:
 * `readItems(xml, 'CompleteMultipartUpload', 'Part')` → `[{PartNumber: '1', ETag: '"…"'}, …]`.
 * Malformed documents (wrong root, stray markup, a DTD) are `MalformedXML`.
 */
export function readItems(xml: string, root: string, item: string): Array<Record<string, string>> {
  const body = xml.replace(/^\uFEFF?\s*(<\?xml[^>]*\?>)?\s*/, '');
  if (body.includes('<!')) throw new S3Error('MalformedXML');
  const rootMatch = new RegExp(`^<${root}(\\s[^>]*)?>([\\s\\S]*)</${root}>\\s*$`).exec(body);
  if (!rootMatch) throw new S3Error('MalformedXML');
  const inner = rootMatch[2] ?? '';
  const items: Array<Record<string, string>> = [];
  const itemRe = new RegExp(`<${item}>([\\s\\S]*?)</${item}>`, 'g');
  let rest = inner;
  for (const m of inner.matchAll(itemRe)) {
    const fields: Record<string, string> = {};
    const content = m[1] ?? '';
    let leftover = content;
    for (const f of content.matchAll(/<([A-Za-z0-9]+)>([^<]*)<\/\1>/g)) {
      fields[f[1] ?? ''] = unescapeXml(f[2] ?? '');
      leftover = leftover.replace(f[0], '');
    }
    if (leftover.trim() !== '') throw new S3Error('MalformedXML');
    items.push(fields);
    rest = rest.replace(m[0], '');
  }
  // Anything left besides whitespace and simple flags (e.g. Delete's <Quiet>true</Quiet>) is not ours.
  if (rest.replace(/<([A-Za-z0-9]+)>[^<]*<\/\1>/g, '').trim() !== '') throw new S3Error('MalformedXML');
  return items;
}

/** The text of a top-level `<name>` child of the document element, if present. */
export function readFlag(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return m ? unescapeXml(m[1] ?? '') : undefined;
}
