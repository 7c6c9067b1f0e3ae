/**
 * PyTorch zip checkpoints and TorchScript archives: every pickle member (data.pkl, constants.pkl, any *.pkl, and any
 * member whose bytes look like a pickle whatever its name) is scanned; tensor storages (`<archive>/data/<n>`) are
 * never read. Zip anomalies PyTorch tolerates are reported, never fatal.
 */
import type { ByteSource } from '../../formats/byte-source.js';
import { readZipEntries, readZipEntry, type ZipEntry, ZipLimitError } from '../../formats/zip/index.js';
import { makeFinding } from '../pickle/findings.js';
import { MAX_PICKLE_BYTES } from '../pickle/limits.js';
import { looksLikePickle } from '../pickle/looks-like-pickle.js';
import { OPCODES } from '../pickle/opcodes.js';
import type { Finding, FormatHandler, HandlerResult, ScanContext, ScanIssue } from '../types.js';
import { scanPickleBytes } from './pickle-support.js';

/** Bytes of a non-pickle-named member read to test whether it is a pickle anyway. */
export const MEMBER_SNIFF_BYTES = 4096;
/** Largest TorchScript code member checked for dangerous references. */
export const MAX_CODE_MEMBER_BYTES = 16 * 1024 * 1024;

const TENSOR_MEMBER = /(^|\/)data\/\d+$/;
const DANGEROUS_CODE =
  /\b(?:import\s+(?:os|subprocess|sys|socket|shutil|pty|runpy|ctypes|importlib|builtins)\b|from\s+(?:os|subprocess|sys|socket|shutil|pty|runpy|ctypes|importlib|builtins)\s+import|__import__|\beval\s*\(|\bexec\s*\(|os\.system|subprocess\.|torch\.ops\.aten\.system|getattr\s*\(\s*__builtins__)/;

export async function scanZipPickles(
  source: ByteSource,
  ctx: ScanContext,
  kind: 'pytorch' | 'npz',
): Promise<{ findings: Finding[]; errors: ScanIssue[] }> {
  const findings: Finding[] = [];
  const errors: ScanIssue[] = [];
  const at = (member?: string) => ({ members: member === undefined ? [...ctx.members] : [...ctx.members, member] });
  let listing: Awaited<ReturnType<typeof readZipEntries>>;
  try {
    listing = await readZipEntries(source);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    findings.push(makeFinding('MS-PT-002', `Archive could not be read: ${message}`, at(), { error: message }));
    errors.push({ code: 'FORMAT_INVALID', message, location: at() });
    return { findings, errors };
  }
  for (const anomaly of listing.anomalies) {
    const severity = anomaly.kind === 'entry-limit' ? 'medium' : 'low';
    findings.push(
      makeFinding(
        anomaly.kind === 'entry-limit' ? 'MS-PT-002' : 'MS-PT-001',
        anomaly.message,
        at(anomaly.entry),
        { anomaly: anomaly.kind },
        severity,
      ),
    );
  }
  for (const entry of listing.entries) {
    if (entry.name.endsWith('/')) continue;
    const names = entry.localName ? [entry.name, entry.localName] : [entry.name];
    if (kind === 'pytorch' && names.every((n) => TENSOR_MEMBER.test(n)) && entry.foundBy === 'central') continue;
    const named = names.some((n) => n.endsWith('.pkl'));
    const code = names.some((n) => /(^|\/)code\/.*\.py$/.test(n));
    try {
      let data: Uint8Array;
      if (named || code || kind === 'npz') {
        data =
          (await readMember(source, entry, code ? MAX_CODE_MEMBER_BYTES : MAX_PICKLE_BYTES, findings, errors, at(entry.name))) ??
          new Uint8Array();
      } else {
        const head =
          entry.method === 0
            ? await source.read(entry.dataOffset, Math.min(entry.compressedSize, MEMBER_SNIFF_BYTES))
            : undefined;
        if (head && head.length > 0 && OPCODES[head[0] as number] === undefined) continue;
        data = (await readMember(source, entry, MAX_PICKLE_BYTES, findings, errors, at(entry.name))) ?? new Uint8Array();
        if (!looksLikePickle(data)) continue;
      }
      if (data.length === 0) continue;
      if (code) {
        const text = new TextDecoder('utf-8').decode(data);
        const match = DANGEROUS_CODE.exec(text);
        if (match)
          findings.push(
            makeFinding('MS-PT-003', `TorchScript code ${entry.name} refers to ${match[0]}`, at(entry.name), { match: match[0] }),
          );
        continue;
      }
      if (kind === 'npz') {
        const nested = await ctx.scanNested(data, entry.name);
        findings.push(...nested.findings);
        errors.push(...nested.errors);
        continue;
      }
      if (!named && !looksLikePickle(data)) continue;
      const result = await scanPickleBytes(data, ctx, at(entry.name).members);
      findings.push(...result.findings);
      errors.push(...result.errors);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      findings.push(
        makeFinding('MS-PT-002', `Member ${entry.name} could not be inspected: ${message}`, at(entry.name), { error: message }),
      );
      errors.push({ code: 'FORMAT_INVALID', message, location: at(entry.name) });
    }
  }
  return { findings, errors };
}

async function readMember(
  source: ByteSource,
  entry: ZipEntry,
  maxBytes: number,
  findings: Finding[],
  errors: ScanIssue[],
  location: { members: string[] },
): Promise<Uint8Array | undefined> {
  try {
    const { bytes, crcOk } = await readZipEntry(source, entry, { maxBytes });
    if (!crcOk)
      findings.push(
        makeFinding('MS-PT-001', `CRC-32 of ${entry.name} does not match (PyTorch ignores it)`, location, {
          anomaly: 'crc-mismatch',
        }),
      );
    return bytes;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    findings.push(
      makeFinding('MS-PT-002', `Member ${entry.name} could not be read: ${message}`, location, {
        error: message,
        limit: error instanceof ZipLimitError,
      }),
    );
    errors.push({ code: 'FORMAT_INVALID', message, location });
    return undefined;
  }
}

/** PyTorch zip checkpoints (torch.save since 1.6) and TorchScript archives (torch.jit.save). */
export const pytorchZipHandler: FormatHandler = {
  formats: ['pytorch-zip', 'torchscript'],
  async scan(source: ByteSource, ctx: ScanContext): Promise<HandlerResult> {
    return scanZipPickles(source, ctx, 'pytorch');
  },
};
