/**
 * XML read with saxes (a strict, streaming, well-formedness-checking parser in pure JS that expands no external
 * or DTD-declared entities, so no entity bomb and no file read). Used for SVG images and OpenVINO IR (`<net>`),
 * whose `<layer type="Const"><data offset=".." size=".."/>` elements say which bytes of the `.bin` beside it hold
 * weights.
 *
 * It lives in scan, not formats, because saxes is an npm package: the parsers under formats depend on nothing
 * outside Node. saxes is loaded on the first XML document read.
 */
import { createRequire } from 'node:module';
import type { SaxesParser as SaxesParserType } from 'saxes';
import type { ByteSource } from '../formats/byte-source.js';
import { invalid, limit } from '../formats/structures/window.js';

/** Bytes decoded per read. */
const XML_CHUNK_BYTES = 1024 * 1024;
/** Characters fed to the parser per write. */
const XML_SLICE_CHARS = 16 * 1024;
/** Elements walked in one document (OpenVINO IRs of large models have ~100k). */
export const MAX_XML_ELEMENTS = 10_000_000;
/** Element nesting accepted (SVG and OpenVINO IR nest a few levels; deep nesting only costs the parser). */
export const MAX_XML_DEPTH = 1024;

class Stop extends Error {}

const require = createRequire(import.meta.url);
let Saxes: typeof SaxesParserType | undefined;
/** saxes, loaded on the first XML document read. */
function newParser(): SaxesParserType {
  Saxes ??= (require('saxes') as { SaxesParser: typeof SaxesParserType }).SaxesParser;
  return new Saxes();
}

/** The name of the root element when `head` opens as well-formed XML; undefined otherwise. */
export function xmlRootName(head: string): string | undefined {
  const trimmed = head.trimStart();
  if (!trimmed.startsWith('<')) return undefined;
  const parser = newParser();
  let root: string | undefined;
  parser.on('opentag', (tag) => {
    root = tag.name;
    throw new Stop();
  });
  try {
    parser.write(trimmed);
  } catch (error) {
    if (!(error instanceof Stop)) return undefined;
  }
  return root;
}

export interface XmlSummary {
  root: string;
  elements: number;
  /** OpenVINO IR: the end of the last weight range named by a `<data offset size>` element (0 when none). */
  weightsEnd: number;
  /** OpenVINO IR: every `<data>` element had numeric offset and size (or neither). */
  weightsWellFormed: boolean;
}

/** Parses the whole document. Throws FORMAT_INVALID when it is not well-formed XML, LIMIT_EXCEEDED past limits. */
export async function readXml(source: ByteSource): Promise<XmlSummary> {
  const parser = newParser();
  const summary: XmlSummary = { root: '', elements: 0, weightsEnd: 0, weightsWellFormed: true };
  let failure: Error | undefined;
  parser.on('error', (error) => {
    failure ??= error;
  });
  let depth = 0;
  parser.on('closetag', () => {
    depth--;
  });
  parser.on('opentag', (tag) => {
    if (++summary.elements > MAX_XML_ELEMENTS) failure ??= limit('xml', 'elements', 'MAX_XML_ELEMENTS');
    if (!tag.isSelfClosing && ++depth > MAX_XML_DEPTH) {
      failure ??= limit('xml', 'nesting', 'MAX_XML_DEPTH');
      throw new Stop();
    }
    if (summary.root === '') summary.root = tag.name;
    if (tag.name !== 'data') return;
    const offset = tag.attributes.offset;
    const size = tag.attributes.size;
    if (offset === undefined && size === undefined) return;
    const o = typeof offset === 'string' && /^\d{1,15}$/.test(offset) ? Number(offset) : Number.NaN;
    const s = typeof size === 'string' && /^\d{1,15}$/.test(size) ? Number(size) : Number.NaN;
    if (Number.isNaN(o) || Number.isNaN(s)) summary.weightsWellFormed = false;
    else summary.weightsEnd = Math.max(summary.weightsEnd, o + s);
  });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    // Fed in slices so a limit stops the parse soon after it is reached.
    for (let pos = 0; pos < source.size && !failure; pos += XML_CHUNK_BYTES) {
      const text = decoder.decode(await source.read(pos, XML_CHUNK_BYTES), { stream: true });
      for (let i = 0; i < text.length && !failure; i += XML_SLICE_CHARS) parser.write(text.slice(i, i + XML_SLICE_CHARS));
    }
    if (!failure) parser.write(decoder.decode()).close();
  } catch (error) {
    if (!(error instanceof Stop)) failure ??= error instanceof Error ? error : new Error(String(error));
  }
  if (failure) {
    if ((failure as { code?: string }).code === 'LIMIT_EXCEEDED') throw failure;
    throw invalid('xml', `not well-formed: ${failure.message}`);
  }
  return summary;
}
