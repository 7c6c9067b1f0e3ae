/**
 * joblib files: a pickle, uncompressed or compressed as a whole (zlib, gzip; joblib's old `ZF` container).
 * bz2/xz/lzma streams cannot be decompressed here and are reported (fail closed).
 */
import { gunzipSync, inflateSync } from 'node:zlib';
import type { ByteSource } from '../../formats/byte-source.js';
import { makeFinding } from '../pickle/findings.js';
import { MAX_PICKLE_BYTES } from '../pickle/limits.js';
import type { Finding, FormatHandler, HandlerResult, ScanContext } from '../types.js';
import { readCapped, scanPickleBytes } from './pickle-support.js';

/** Decompressed bytes of a joblib stream (zip-bomb guard). */
export const MAX_JOBLIB_DECOMPRESSED_BYTES = MAX_PICKLE_BYTES;

type Codec = 'none' | 'zlib' | 'gzip' | 'zf' | 'bz2' | 'xz' | 'lzma';

export function joblibCodec(head: Uint8Array): Codec {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x5a && head[1] === 0x46) return 'zf';
  if (head[0] === 0x78 && ((head[0] << 8) | (head[1] ?? 0)) % 31 === 0) return 'zlib';
  if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bz2';
  if (head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58) return 'xz';
  if (head[0] === 0x5d && head[1] === 0x00 && head[2] === 0x00) return 'lzma';
  return 'none';
}

export const joblibHandler: FormatHandler = {
  formats: ['joblib'],
  async scan(source: ByteSource, ctx: ScanContext): Promise<HandlerResult> {
    const findings: Finding[] = [];
    const at = { ...(ctx.members.length ? { members: [...ctx.members] } : {}) };
    const raw = await readCapped(source, findings, ctx.members);
    const codec = joblibCodec(raw);
    let data: Uint8Array = raw;
    try {
      if (codec === 'gzip') data = gunzipSync(raw, { maxOutputLength: MAX_JOBLIB_DECOMPRESSED_BYTES });
      else if (codec === 'zlib') data = inflateSync(raw, { maxOutputLength: MAX_JOBLIB_DECOMPRESSED_BYTES });
      else if (codec === 'zf') {
        // 'ZF' + hex length padded to 16 bytes... then a zlib stream.
        const start = raw.indexOf(0x78, 2);
        data = inflateSync(raw.subarray(start < 0 ? raw.length : start), { maxOutputLength: MAX_JOBLIB_DECOMPRESSED_BYTES });
      } else if (codec !== 'none') {
        const message = `${codec} compression cannot be decompressed by this scanner`;
        findings.push(makeFinding('MS-JOB-001', message, at, { codec }));
        return { findings, errors: [{ code: 'FORMAT_INVALID', message, location: at }] };
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      findings.push(makeFinding('MS-JOB-001', `joblib ${codec} stream: ${message}`, at, { codec, error: message }));
      return { findings, errors: [{ code: 'FORMAT_INVALID', message, location: at }] };
    }
    const result = await scanPickleBytes(data, ctx, ctx.members);
    return { findings: [...findings, ...result.findings], errors: result.errors };
  },
};
