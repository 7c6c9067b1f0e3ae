/**
 * The legacy tar layout of torch.save (sys_info, pickle, storages, tensors members): every member is scanned as a
 * pickle stream (storages holds pickles between raw storage bytes: what follows the last parsable pickle is data).
 */
import type { ByteSource } from '../../formats/byte-source.js';
import { makeFinding } from '../pickle/findings.js';
import { MAX_PICKLE_BYTES } from '../pickle/limits.js';
import { looksLikePickle } from '../pickle/looks-like-pickle.js';
import type { Finding, FormatHandler, HandlerResult, ScanContext, ScanIssue } from '../types.js';
import { scanPickleBytes } from './pickle-support.js';

/** Tar members read (the legacy layout has four). */
export const MAX_TAR_MEMBERS = 10_000;

function octal(bytes: Uint8Array): number {
  const text = new TextDecoder('latin1').decode(bytes).replace(/\0.*$/s, '').trim();
  return text ? Number.parseInt(text, 8) : 0;
}

export const pytorchTarHandler: FormatHandler = {
  formats: ['pytorch-tar'],
  async scan(source: ByteSource, ctx: ScanContext): Promise<HandlerResult> {
    const findings: Finding[] = [];
    const errors: ScanIssue[] = [];
    let pos = 0;
    for (let n = 0; n < MAX_TAR_MEMBERS && pos + 512 <= source.size; n++) {
      const header = await source.read(pos, 512);
      if (header.every((b) => b === 0)) break;
      const name = new TextDecoder('utf-8').decode(header.subarray(0, 100)).replace(/\0.*$/s, '');
      const size = octal(header.subarray(124, 136));
      const type = String.fromCharCode(header[156] ?? 0);
      if (Number.isNaN(size) || size < 0) {
        const message = `tar header of ${name} has an invalid size`;
        findings.push(makeFinding('MS-PT-002', message, { members: [...ctx.members, name] }));
        errors.push({ code: 'FORMAT_INVALID', message });
        break;
      }
      const dataStart = pos + 512;
      if ((type === '0' || type === '\0') && size > 0) {
        const member = [...ctx.members, name];
        if (size > MAX_PICKLE_BYTES) {
          findings.push(
            makeFinding(
              'MS-PKL-010',
              `member ${name} larger than MAX_PICKLE_BYTES was not inspected`,
              { members: member },
              { limit: 'MAX_PICKLE_BYTES' },
            ),
          );
        } else {
          const data = await source.read(dataStart, size);
          const result = await scanPickleBytes(data, ctx, member, name === 'storages' ? 1 : undefined);
          findings.push(...result.findings);
          errors.push(...result.errors);
          if (name === 'storages') {
            // storages: a count pickle, then per storage a pickle (key, location, type) and raw bytes; scan each.
            await scanStoragePickles(data, result.end, ctx, member, findings, errors);
          }
        }
      }
      pos = dataStart + Math.ceil(size / 512) * 512;
    }
    return { findings, errors };
  },
};

async function scanStoragePickles(
  data: Uint8Array,
  start: number,
  ctx: ScanContext,
  member: string[],
  findings: Finding[],
  errors: ScanIssue[],
) {
  let offset = start;
  for (let n = 0; n < MAX_TAR_MEMBERS && offset < data.length; n++) {
    const result = await scanPickleBytes(data.subarray(offset), ctx, member, 1);
    for (const f of result.findings) f.location.offset = (f.location.offset ?? 0) + offset;
    // Pickles located by search: a parse failure there is probably storage bytes, not a pickle.
    const heuristic = n > 0;
    findings.push(...result.findings.filter((f) => !heuristic || (f.ruleId !== 'MS-PKL-009' && f.ruleId !== 'MS-PKL-013')));
    if (!heuristic) errors.push(...result.errors);
    if (result.pickles === 0) return;
    offset += result.end;
    // Raw storage: 8-byte little-endian element count, then the bytes (element size unknown here: skip by count
    // times the largest element size is wrong, so search for the next pickle start instead).
    let next = data.indexOf(0x80, offset + 8);
    while (next >= 0 && !looksLikePickle(data.subarray(next, next + 3))) next = data.indexOf(0x80, next + 1);
    if (next < 0) return;
    offset = next;
  }
}
