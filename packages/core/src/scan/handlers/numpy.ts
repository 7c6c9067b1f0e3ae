/**
 * numpy .npy files read as numpy.lib.format reads them (numpy 1.24): the magic, version 1.0/2.0/3.0, the header
 * length (2 or 4 bytes), the header decoded (latin1, or UTF-8 for 3.0) and evaluated as the Python literal it is
 * (formats/python/literal.ts, with _filter_header's `L` suffixes for 1.0/2.0; never a regex), checked as
 * _read_array_header checks it (a dict with exactly descr/fortran_order/shape, shape a tuple of ints, fortran_order
 * a bool), and its descr followed as descr_to_dtype follows it (a str, a (descr, shape) tuple, or fields of 2 or 3
 * items, whatever the container). An object dtype anywhere means read_array runs pickle.load on the bytes after
 * the header: they are scanned as a pickle. A descr this reader cannot classify is read that way too (fail closed).
 * .npz archives are zips whose members numpy.load reads as .npy (scanned by content).
 */
import type { ByteSource } from '../../formats/byte-source.js';
import { memorySource } from '../../formats/byte-source.js';
import { dictGet, LiteralError, type PyValue, parsePythonLiteral } from '../../formats/python/literal.js';
import { makeFinding } from '../pickle/findings.js';
import { MAX_PICKLE_BYTES } from '../pickle/limits.js';
import type { Finding, FormatHandler, HandlerResult, ScanContext } from '../types.js';
import { scanPickleBytes, scanPickleIfEffective } from './pickle-support.js';
import { scanZipPickles } from './pytorch-zip.js';

/**
 * Largest .npy header parsed. numpy ignores its own 10 000-byte limit when allow_pickle is set (the case that
 * matters), so longer headers are possible; past this one the file is reported as not inspected.
 */
export const MAX_NPY_HEADER_BYTES = 1024 * 1024;
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

export type ObjectVerdict = 'yes' | 'no' | 'unknown';

export interface NpyHeader {
  descr: string;
  headerEnd: number;
  /** Whether the dtype holds Python objects (its data is then a pickle). */
  objectDtype: ObjectVerdict;
}

/** Type characters numpy.dtype() accepts for plain (non-object) data, with an optional size. */
const PLAIN_TYPECODE = /^[<>|=]?(?:[?bBhHiIlLqQpPefdgFDGSaUVc](?:\d+)?|[Mm]8?(?:\[\d*[a-zA-Z]+\])?|[iufcbSUV]\d+)$/;
const PLAIN_NAMES = new Set(
  'bool bool_ bool8 byte ubyte short ushort intc uintc int_ uint longlong ulonglong half single double longdouble csingle cdouble clongdouble float float_ float16 float32 float64 float128 int int8 int16 int32 int64 uint8 uint16 uint32 uint64 complex complex64 complex128 complex256 str str_ unicode unicode_ bytes bytes_ string_ void void0 datetime64 timedelta64 intp uintp longfloat longcomplex'.split(
    ' ',
  ),
);
const OBJECT_NAMES = new Set(['object', 'object_', 'object0', 'O']);

/** numpy.dtype(text) for a dtype string: object, plain, or not known here (comma lists and shape prefixes followed). */
export function classifyDtypeString(text: string): ObjectVerdict {
  let verdict: ObjectVerdict = 'no';
  for (const raw of text.split(',')) {
    let part = raw.trim();
    if (part === '' && text.includes(',')) continue;
    part = part.replace(/^\(\s*\d*(?:\s*,\s*\d+)*\s*,?\s*\)\s*/, '').replace(/^\d+/, '');
    const bare = part.replace(/^[<>|=]/, '');
    if (/^O\d*$/.test(bare) || OBJECT_NAMES.has(bare) || OBJECT_NAMES.has(bare.split('[')[0] as string)) return 'yes';
    if (PLAIN_TYPECODE.test(part) || PLAIN_NAMES.has(bare) || /^(?:datetime64|timedelta64)\[\w+\]$/.test(bare)) continue;
    verdict = 'unknown';
  }
  return verdict;
}

function worst(a: ObjectVerdict, b: ObjectVerdict): ObjectVerdict {
  return a === 'yes' || b === 'yes' ? 'yes' : a === 'unknown' || b === 'unknown' ? 'unknown' : 'no';
}

function lengthOf(value: PyValue): number | undefined {
  if (value.type === 'str' || value.type === 'bytes') return [...value.value].length;
  if (value.type === 'tuple' || value.type === 'list' || value.type === 'set') return value.items.length;
  if (value.type === 'dict') return value.entries.length;
  return undefined;
}

function itemsOf(value: PyValue): PyValue[] | undefined {
  if (value.type === 'str') return [...value.value].map((c) => ({ type: 'str', value: c }));
  if (value.type === 'tuple' || value.type === 'list' || value.type === 'set') return value.items;
  if (value.type === 'dict') return value.entries.map(([k]) => k);
  return undefined;
}

/** descr_to_dtype(descr): does the dtype it builds hold objects? */
export function descrHasObject(descr: PyValue, depth = 0): ObjectVerdict {
  if (depth > 64) return 'unknown';
  if (descr.type === 'str') return classifyDtypeString(descr.value);
  if (descr.type === 'tuple') {
    const inner = descr.items[0];
    return inner ? descrHasObject(inner, depth + 1) : 'no';
  }
  const fields = itemsOf(descr);
  if (!fields) return 'no'; // numpy raises: nothing is read
  let verdict: ObjectVerdict = 'no';
  for (const field of fields) {
    const n = lengthOf(field);
    const parts = itemsOf(field);
    if ((n !== 2 && n !== 3) || !parts) continue; // numpy raises on this field
    verdict = worst(verdict, descrHasObject(parts[1] as PyValue, depth + 1));
    if (verdict === 'yes') return verdict;
  }
  return verdict;
}

/** Parses the .npy preamble as numpy does; a string describing why numpy refuses it otherwise. */
export function parseNpyHeader(head: Uint8Array): NpyHeader | string {
  if (head.length < 10 || !MAGIC.every((b, i) => head[i] === b)) return 'missing \\x93NUMPY magic';
  const major = head[6] as number;
  const minor = head[7] as number;
  if (minor !== 0 || major < 1 || major > 3) return `unknown .npy version ${major}.${minor}`;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const start = major === 1 ? 10 : 12;
  if (head.length < start) return 'truncated header length';
  const length = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (length > MAX_NPY_HEADER_BYTES) return `header of ${length} bytes exceeds MAX_NPY_HEADER_BYTES`;
  if (start + length > head.length) return 'header runs past the end of the file';
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(head.subarray(start, start + length));
  } catch {
    return 'header is not valid UTF-8';
  }
  let dict: PyValue;
  try {
    dict = parsePythonLiteral(text, { allowLongSuffix: major <= 2 });
  } catch (error) {
    return `header is not a Python literal (${error instanceof LiteralError ? error.message : String(error)})`;
  }
  if (dict.type !== 'dict') return 'header is not a dictionary';
  const keys = new Set(dict.entries.map(([k]) => (k.type === 'str' ? k.value : '\0')));
  if (keys.size !== 3 || !['descr', 'fortran_order', 'shape'].every((k) => keys.has(k)))
    return 'header does not contain the correct keys';
  const shape = dictGet(dict, 'shape');
  if (shape?.type !== 'tuple' || !shape.items.every((x) => x.type === 'int' || x.type === 'bool')) return 'shape is not valid';
  if (dictGet(dict, 'fortran_order')?.type !== 'bool') return 'fortran_order is not a valid bool';
  const descr = dictGet(dict, 'descr') as PyValue;
  return { descr: describe(descr), headerEnd: start + length, objectDtype: descrHasObject(descr) };
}

function describe(value: PyValue): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)).slice(0, 200);
}

export const numpyHandler: FormatHandler = {
  formats: ['numpy'],
  async scan(source: ByteSource, ctx: ScanContext): Promise<HandlerResult> {
    const findings: Finding[] = [];
    const at = { ...(ctx.members.length ? { members: [...ctx.members] } : {}) };
    const head = await source.read(0, Math.min(source.size, MAX_NPY_HEADER_BYTES + 12));
    const header = parseNpyHeader(head);
    if (typeof header === 'string') {
      findings.push(makeFinding('MS-NPY-002', `Malformed .npy: ${header}`, at, { error: header }));
      return { findings, errors: [{ code: 'FORMAT_INVALID', message: header, location: at }] };
    }
    if (header.objectDtype === 'no') return { findings, errors: [] };
    const data = await source.read(header.headerEnd, Math.min(source.size - header.headerEnd, MAX_PICKLE_BYTES));
    if (header.objectDtype === 'yes')
      findings.push(
        makeFinding('MS-NPY-001', `Object array (descr ${header.descr}): its data is a pickle`, at, { descr: header.descr }),
      );
    const result =
      header.objectDtype === 'yes'
        ? await scanPickleBytes(data, ctx, ctx.members)
        : await scanPickleIfEffective(data, ctx, ctx.members);
    for (const finding of result.findings) finding.location.offset = (finding.location.offset ?? 0) + header.headerEnd;
    return { findings: [...findings, ...result.findings], errors: result.errors };
  },
};

export const npzHandler: FormatHandler = {
  formats: ['numpy-npz'],
  async scan(source: ByteSource, ctx: ScanContext): Promise<HandlerResult> {
    return scanZipPickles(source, ctx, 'npz');
  },
};

/** Scans .npy bytes held in memory. */
export function scanNpyBytes(bytes: Uint8Array, ctx: ScanContext): Promise<HandlerResult> {
  return numpyHandler.scan(memorySource(bytes), ctx);
}
