/**
 * A deliberately small XML reader for Salesforce Outbound Message SOAP envelopes — not a general parser.
 *
 * Handles: elements with namespace prefixes (the prefix is dropped, the local name kept), attributes
 * (single or double quoted), self-closing tags, text with the five predefined entities and numeric
 * character references, CDATA sections, comments and the `<?xml …?>` declaration.
 * Refuses (throws): DOCTYPE / ENTITY declarations (no entity expansion, so no XXE or "billion laughs"),
 * mismatched or unclosed tags, text outside the root, more than MAX_DEPTH levels or MAX_NODES elements.
 * Limits: namespaces are not resolved (`sf:Id` and `Id` are the same name), mixed content keeps only the
 * concatenated text, whitespace-only text between elements is dropped.
 * If the project adds an XML library, fast-xml-parser (maintained, no native code, no entity expansion by
 * default) is the one to replace this with.
 */

export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  text: string;
}

const MAX_DEPTH = 32;
const MAX_NODES = 20_000;

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_m, e: string) => {
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'amp') return '&';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    const code = e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    if (!Number.isFinite(code) || code > 0x10ffff) throw new Error('bad character reference');
    return String.fromCodePoint(code);
  });
}

function localName(qname: string): string {
  const i = qname.indexOf(':');
  return i === -1 ? qname : qname.slice(i + 1);
}

const ATTR = /([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

export function parseXml(input: string): XmlElement {
  if (/<!DOCTYPE|<!ENTITY/i.test(input)) throw new Error('DOCTYPE/ENTITY declarations are refused');
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let nodes = 0;
  let i = 0;
  while (i < input.length) {
    const lt = input.indexOf('<', i);
    const text = input.slice(i, lt === -1 ? input.length : lt);
    if (text.trim() !== '') {
      const top = stack[stack.length - 1];
      if (!top) throw new Error('text outside the root element');
      top.text += decodeEntities(text);
    }
    if (lt === -1) break;
    if (input.startsWith('<?', lt)) {
      const end = input.indexOf('?>', lt);
      if (end === -1) throw new Error('unterminated declaration');
      i = end + 2;
    } else if (input.startsWith('<!--', lt)) {
      const end = input.indexOf('-->', lt);
      if (end === -1) throw new Error('unterminated comment');
      i = end + 3;
    } else if (input.startsWith('<![CDATA[', lt)) {
      const end = input.indexOf(']]>', lt);
      const top = stack[stack.length - 1];
      if (end === -1 || !top) throw new Error('bad CDATA');
      top.text += input.slice(lt + 9, end);
      i = end + 3;
    } else if (input.startsWith('</', lt)) {
      const end = input.indexOf('>', lt);
      if (end === -1) throw new Error('unterminated end tag');
      const name = localName(input.slice(lt + 2, end).trim());
      const top = stack.pop();
      if (!top || top.name !== name) throw new Error(`mismatched end tag ${name}`);
      i = end + 1;
    } else {
      const end = input.indexOf('>', lt);
      if (end === -1) throw new Error('unterminated tag');
      let inner = input.slice(lt + 1, end);
      const selfClosing = inner.endsWith('/');
      if (selfClosing) inner = inner.slice(0, -1);
      const m = /^([A-Za-z_][\w.:-]*)/.exec(inner);
      if (!m?.[1]) throw new Error('bad tag');
      const attrs: Record<string, string> = {};
      for (const a of inner.slice(m[1].length).matchAll(ATTR)) {
        if (a[1]) attrs[a[1]] = decodeEntities(a[2] ?? a[3] ?? '');
      }
      const el: XmlElement = { name: localName(m[1]), attrs, children: [], text: '' };
      if (++nodes > MAX_NODES) throw new Error('too many elements');
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(el);
      else if (root) throw new Error('more than one root element');
      else root = el;
      if (!selfClosing) {
        stack.push(el);
        if (stack.length > MAX_DEPTH) throw new Error('nesting too deep');
      }
      i = end + 1;
    }
  }
  if (!root || stack.length !== 0) throw new Error('unclosed element');
  return root;
}

export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

export function childrenNamed(el: XmlElement | undefined, name: string): XmlElement[] {
  return el ? el.children.filter((c) => c.name === name) : [];
}

export function isNil(el: XmlElement): boolean {
  return Object.entries(el.attrs).some(([k, v]) => localName(k) === 'nil' && v === 'true');
}

/** Element → JSON: leaf → its text (or null when xsi:nil), repeated names → arrays. */
export function toJson(el: XmlElement): unknown {
  if (el.children.length === 0) return isNil(el) ? null : el.text.trim();
  const out: Record<string, unknown> = {};
  for (const c of el.children) {
    const v = toJson(c);
    const prev = out[c.name];
    if (prev === undefined) out[c.name] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[c.name] = [prev, v];
  }
  return out;
}
