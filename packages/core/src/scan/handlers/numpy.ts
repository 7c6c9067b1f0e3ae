/**
 * numpy .npy (object arrays carry a pickle after the header) and .npz (a zip of .npy members).
 */
import type { ByteSource } from '../../formats/byte-source.js';
import { memorySource } from '../../formats/byte-source.js';
import { makeFinding } from '../pickle/findings.js';
import type { Finding, FormatHandler, HandlerResult, ScanContext } from '../types.js';
import { readCapped, scanPickleBytes } from './pickle-support.js';
import { scanZipPickles } from './pytorch-zip.js';

/** Largest .npy header accepted: numpy itself refuses headers over 10 000 bytes unless told otherwise. */
export const MAX_NPY_HEADER_BYTES = 1024 * 1024;
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

export interface NpyHeader {
  descr: string;
  headerEnd: number;
  objectDtype: boolean;
}

/** Parses the .npy preamble; a string describing the problem when it is malformed. */
export function parseNpyHeader(head: Uint8Array): NpyHeader | string {
  if (head.length < 10 || !MAGIC.every((b, i) => head[i] === b)) return 'missing \\x93NUMPY magic';
  const major = head[6] as number;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let length: number;
  let start: number;
  if (major === 1) {
    length = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (head.length < 12) return 'truncated header length';
    length = view.getUint32(8, true);
    start = 12;
  } else return `unknown .npy version ${major}`;
  if (length > MAX_NPY_HEADER_BYTES) return `header of ${length} bytes exceeds MAX_NPY_HEADER_BYTES`;
  if (start + length > head.length) return 'header runs past the end of the file';
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(head.subarray(start, start + length));
  const descr = /['"]descr['"]\s*:\s*(['"][^'"]*['"]|\[)/.exec(text);
  if (!descr || !/['"]shape['"]\s*:/.test(text)) return 'header is not a dict with descr and shape';
  const value = descr[1] ?? '';
  // Structured dtypes (a list) can hold object fields: treat any 'O' inside as object.
  const objectDtype = value === '[' ? /['"][|<>=]?O\d*['"]/.test(text) : /^['"][|<>=]?O\d*['"]$/.test(value);
  return { descr: value, headerEnd: start + length, objectDtype };
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
    if (!header.objectDtype) return { findings, errors: [] };
    findings.push(
      makeFinding('MS-NPY-001', `Object array (descr ${header.descr}): its data is a pickle`, at, { descr: header.descr }),
    );
    const all = await readCapped(source, findings, ctx.members);
    const result = await scanPickleBytes(all.subarray(header.headerEnd), ctx, ctx.members);
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

/** Scans .npy bytes held in memory (used by tests and by npz members when no engine is around). */
export function scanNpyBytes(bytes: Uint8Array, ctx: ScanContext): Promise<HandlerResult> {
  return numpyHandler.scan(memorySource(bytes), ctx);
}
