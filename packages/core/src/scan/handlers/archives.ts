/**
 * Generic archives and compressed streams, read as their loaders read them: every zip entry zipfile or PyTorch
 * could load (formats/zip), every tar member tarfile extracts as content (scan/tar-listing), every gzip, bzip2, xz,
 * lzma or lz4 stream decompressed within the per-file budget (formats/compression). Each member or stream is
 * scanned recursively through ctx.scanNested (full detection). 7z and rar are reported as uninspectable.
 *
 * Budgets: decompressed bytes draw on ctx.budget (one budget for the whole top-level file, every nesting level);
 * bytes of entries that overlap other entries draw on it OVERLAP_BUDGET_FACTOR times over, so an overlapping-entry
 * bomb (the same compressed kernel expanded by many entries, at every nesting level) ends within a small fraction of
 * the budget in an incomplete finding instead of hours of inflation. Ordinary archives never overlap.
 */

import { type CompressionCodec, type Decompressed, decompressBounded } from '../../compression/index.js';
import type { ByteSource } from '../../formats/byte-source.js';
import { readZipMember, type ZipAnomaly, type ZipEntry, type ZipListing } from '../../formats/zip/index.js';
import { makeFinding } from '../pickle/findings.js';
import { readTarListing, type TarMember } from '../tar-listing.js';
import type { Finding, FindingLocation, FormatHandler, HandlerResult, ScanContext, ScanIssue, Severity } from '../types.js';
import { findSstiPatterns, looksLikeJinja } from './jinja-ssti.js';
import { scanZipArchive } from './pytorch-zip.js';

/** Members of one archive scanned; more is reported (a zip with millions of entries is a DoS). */
export const MAX_ARCHIVE_ENTRIES = 10_000;
/** Largest single member held in memory for scanning (larger ones are reported, not scanned). */
export const MAX_ARCHIVE_MEMBER_BYTES = 512 * 1024 * 1024;
/**
 * Overlapping entries (and tar members whose data other members also cover) are charged this many times their
 * size against the per-file budget: with the 4 GiB budget, at most 64 MiB of overlapping content is expanded per
 * top-level file, however the entries nest.
 */
export const OVERLAP_BUDGET_FACTOR = 64;

export interface Collected {
  findings: Finding[];
  errors: ScanIssue[];
}

function at(ctx: ScanContext, member?: string): FindingLocation {
  return { members: member === undefined ? [...ctx.members] : [...ctx.members, member] };
}

/**
 * Reads what `read(max)` produces within the per-file budget (`factor` times the output is charged) and the member
 * cap; a limit or an unreadable stream is an incomplete finding. Returns the bytes a loader would act on, or
 * undefined when there are none worth scanning.
 */
export async function budgetedRead(
  ctx: ScanContext,
  member: string,
  read: (max: number) => Promise<Decompressed>,
  out: Collected,
  factor = 1,
): Promise<Uint8Array | undefined> {
  const remaining = Math.floor(ctx.budget.remainingDecompressed / factor);
  const max = Math.min(MAX_ARCHIVE_MEMBER_BYTES, remaining);
  const result = await read(max);
  ctx.budget.chargeDecompressed(Math.min(result.bytes.length * factor, ctx.budget.remainingDecompressed));
  const where = at(ctx, member);
  if (result.status === 'limit') {
    const budget = max < MAX_ARCHIVE_MEMBER_BYTES;
    out.findings.push(
      makeFinding(
        'MS-ARC-001',
        budget
          ? `${member}: the file's decompression budget (MAX_DECOMPRESSED_BYTES_PER_FILE${factor > 1 ? `, overlapping data charged ${factor}x` : ''}) is spent; the rest was not scanned`
          : `${member} holds more than MAX_ARCHIVE_MEMBER_BYTES (${MAX_ARCHIVE_MEMBER_BYTES}) bytes; the rest was not scanned`,
        where,
        {
          limit: budget ? 'MAX_DECOMPRESSED_BYTES_PER_FILE' : 'MAX_ARCHIVE_MEMBER_BYTES',
          ...(result.error ? { error: result.error } : {}),
        },
      ),
    );
  } else if (result.status !== 'complete') {
    // Fail closed: a member that does not decompress to its end was not fully inspected, whatever prefix it gave
    // (even none: a stream corrupt from its first byte is not a clean member).
    out.findings.push(
      makeFinding('MS-ARC-003', `${member} could not be decompressed (${result.error ?? result.status})`, where, {
        status: result.status,
        ...(result.error ? { error: result.error } : {}),
      }),
    );
    out.errors.push({ code: 'FORMAT_INVALID', message: result.error ?? result.status, location: where });
  }
  // A truncated or corrupt stream still yields what a streaming loader acts on: that prefix is scanned (its own
  // parse reports where it breaks).
  return result.bytes.length > 0 ? result.bytes : undefined;
}

async function scanInto(ctx: ScanContext, bytes: Uint8Array | undefined, member: string, out: Collected): Promise<void> {
  if (!bytes) return;
  const nested = await ctx.scanNested(bytes, member);
  out.findings.push(...nested.findings);
  out.errors.push(...nested.errors);
}

const ANOMALY_RULES: Readonly<Record<ZipAnomaly['kind'], { rule: string; severity?: Severity }>> = {
  overlap: { rule: 'MS-ARC-002', severity: 'high' },
  'duplicate-name': { rule: 'MS-ARC-002' },
  'nul-in-name': { rule: 'MS-ARC-002' },
  'prepended-data': { rule: 'MS-ARC-002' },
  'readers-disagree': { rule: 'MS-ARC-002' },
  'bad-name-encoding': { rule: 'MS-ARC-002' },
  'name-mismatch': { rule: 'MS-PT-001' },
  'flag-bits': { rule: 'MS-PT-001' },
  encrypted: { rule: 'MS-PT-001' },
  'local-only-entry': { rule: 'MS-PT-001' },
  'bad-local-header': { rule: 'MS-PT-001' },
  'bad-central-directory': { rule: 'MS-PT-001' },
  'no-central-directory': { rule: 'MS-PT-001' },
  'entry-limit': { rule: 'MS-ARC-001' },
  'local-scan-limit': { rule: 'MS-ARC-001' },
  'unsupported-method': { rule: 'MS-ARC-003' },
};

/** Findings for a zip listing's anomalies (each kind names how loaders disagree or what was not read). */
export function zipAnomalyFindings(listing: ZipListing, ctx: ScanContext): Finding[] {
  return listing.anomalies.map((anomaly) => {
    const { rule, severity } = ANOMALY_RULES[anomaly.kind];
    return makeFinding(rule, anomaly.message, at(ctx, anomaly.entry), { anomaly: anomaly.kind }, severity);
  });
}

/** Entries whose bytes other entries share (read with the overlap charge). */
export function overlappingEntries(entries: readonly ZipEntry[]): Set<ZipEntry> {
  const spans = entries
    .filter((e) => e.dataOffset >= 0)
    .map((e) => ({ e, from: e.localHeaderOffset, to: e.dataOffset + e.compressedSize }))
    .sort((a, b) => a.from - b.from || a.to - b.to);
  const out = new Set<ZipEntry>();
  let reach = -1;
  let owner: ZipEntry | undefined;
  for (const span of spans) {
    if (span.from < reach && owner) {
      out.add(span.e);
      out.add(owner);
    }
    if (span.to > reach) {
      reach = span.to;
      owner = span.e;
    }
  }
  return out;
}

/**
 * Reads one zip entry within the budgets: a member flagged encrypted whose plain reading fails its CRC is not
 * readable (incomplete); a CRC mismatch otherwise is an anomaly PyTorch ignores (the bytes are scanned).
 */
export async function readZipEntryBudgeted(
  source: ByteSource,
  entry: ZipEntry,
  ctx: ScanContext,
  out: Collected,
  factor = 1,
): Promise<Uint8Array | undefined> {
  let crcOk = true;
  let bytes: Uint8Array | undefined;
  try {
    bytes = await budgetedRead(
      ctx,
      entry.name,
      async (max) => {
        const read = await readZipMember(source, entry, max, decompressBounded);
        crcOk = read.crcOk;
        return read;
      },
      out,
      factor,
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    out.findings.push(
      makeFinding('MS-ARC-003', `member ${entry.name} could not be read: ${message}`, at(ctx, entry.name), { error: message }),
    );
    out.errors.push({ code: 'FORMAT_INVALID', message, location: at(ctx, entry.name) });
    return undefined;
  }
  if (!crcOk && bytes) {
    if (entry.flags & 0x1) {
      out.findings.push(
        makeFinding('MS-ARC-003', `member ${entry.name} is encrypted: its content cannot be inspected`, at(ctx, entry.name), {
          anomaly: 'encrypted',
        }),
      );
      return undefined;
    }
    out.findings.push(
      makeFinding('MS-PT-001', `CRC-32 of ${entry.name} does not match (PyTorch ignores it)`, at(ctx, entry.name), {
        anomaly: 'crc-mismatch',
      }),
    );
  }
  return bytes;
}

/**
 * Scans the entries of a zip: those `pick` claims are left to the caller (PyTorch records read as pickles), every
 * other one is scanned through ctx.scanNested. Identical spans (entries aliasing one local header) are read once.
 */
export async function scanZipEntries(
  source: ByteSource,
  listing: ZipListing,
  ctx: ScanContext,
  out: Collected,
  skip: (entry: ZipEntry) => boolean = () => false,
): Promise<void> {
  const overlapping = overlappingEntries(listing.entries);
  const candidates = listing.entries.filter((e) => !skip(e) && !(e.name.endsWith('/') && e.compressedSize === 0));
  if (!ctx.budget.chargeEntries(candidates.length) || candidates.length > MAX_ARCHIVE_ENTRIES) {
    out.findings.push(
      makeFinding(
        'MS-ARC-001',
        `archive has ${candidates.length} entries: more than MAX_ARCHIVE_ENTRIES (${MAX_ARCHIVE_ENTRIES}) or the file's entry budget; the rest were not scanned`,
        at(ctx),
        { limit: 'MAX_ARCHIVE_ENTRIES', entries: candidates.length },
      ),
    );
  }
  const seen = new Set<string>();
  for (const entry of candidates.slice(
    0,
    Math.min(MAX_ARCHIVE_ENTRIES, Math.max(0, ctx.budget.remainingEntries + candidates.length)),
  )) {
    const span = `${entry.dataOffset}/${entry.compressedSize}/${entry.method}`;
    if (seen.has(span)) continue;
    seen.add(span);
    const bytes = await readZipEntryBudgeted(source, entry, ctx, out, overlapping.has(entry) ? OVERLAP_BUDGET_FACTOR : 1);
    await scanInto(ctx, bytes, entry.name, out);
  }
}

/** Any zip: read as zipfile, PyTorch (a zip torch.load would open) and tarfile read it (pytorch-zip.ts). */
export const zipArchiveHandler: FormatHandler = {
  formats: ['zip'],
  async scan(source, ctx) {
    const out: Collected = { findings: [], errors: [] };
    await scanZipArchive(source, ctx, out);
    return out;
  },
};

/** A link member whose target leaves the extraction directory (absolute, or climbing out with '..'). */
function linkEscapes(member: TarMember): boolean {
  if (member.type !== '1' && member.type !== '2') return false;
  if (member.linkname.startsWith('/')) return true;
  const base = member.type === '2' ? member.name.split('/').slice(0, -1) : [];
  let depth = base.filter((p) => p && p !== '.').length;
  for (const part of member.linkname.split('/')) {
    if (part === '..') depth--;
    else if (part && part !== '.') depth++;
    if (depth < 0) return true;
  }
  return false;
}

/**
 * A tar member's content as tarfile's extractfile() yields it: `size` bytes from its data offset, or for a sparse
 * member the map's chunks (stored back to back) placed at their offsets, holes as zeros.
 */
export async function tarContent(source: ByteSource, member: TarMember, max: number): Promise<Decompressed> {
  const size = Math.max(0, member.size);
  if (!member.sparse) {
    const take = Math.min(size, max);
    const bytes = await source.read(member.dataOffset, take);
    if (size > max) return { bytes, status: 'limit', prefixExact: true, error: `${size} bytes exceed the limit of ${max}` };
    return bytes.length < take
      ? { bytes, status: 'truncated', prefixExact: true, error: 'the archive ends inside the member' }
      : { bytes, status: 'complete', prefixExact: true };
  }
  const length = Math.min(size, max);
  const out = new Uint8Array(length);
  let stored = member.dataOffset;
  for (const [offset, count] of member.sparse) {
    if (offset >= length) break;
    const chunk = await source.read(stored, Math.min(count, length - offset));
    out.set(chunk, offset);
    stored += count;
  }
  return size > max
    ? { bytes: out, status: 'limit', prefixExact: true, error: `${size} bytes exceed the limit of ${max}` }
    : { bytes: out, status: 'complete', prefixExact: true };
}

/** Findings for a tar listing's anomalies and its members' content (shared by the generic and PyTorch readers). */
export async function scanTarMembers(
  source: ByteSource,
  ctx: ScanContext,
  out: Collected,
  skip: (member: TarMember) => boolean = () => false,
): Promise<TarMember[]> {
  const listing = await readTarListing(source, MAX_ARCHIVE_ENTRIES);
  for (const anomaly of listing.anomalies) {
    const incomplete = anomaly.kind.endsWith('limit');
    out.findings.push(
      makeFinding(incomplete ? 'MS-ARC-001' : 'MS-ARC-002', anomaly.message, at(ctx, anomaly.member), { anomaly: anomaly.kind }),
    );
  }
  const late = listing.members.filter((m) => m.afterEnd);
  if (late.length > 0)
    out.findings.push(
      makeFinding(
        'MS-ARC-002',
        `${late.length} member(s) follow the end-of-archive marker or an invalid header (tarfile stops there; readers with ignore_zeros extract them)`,
        at(ctx, late[0]?.name),
        { anomaly: 'after-end', members: late.length },
      ),
    );
  for (const member of listing.members)
    if (linkEscapes(member))
      out.findings.push(
        makeFinding(
          'MS-ARC-004',
          `${member.type === '2' ? 'symlink' : 'hard link'} ${member.name} points outside the archive (${member.linkname})`,
          at(ctx, member.name),
          { linkname: member.linkname, type: member.type },
        ),
      );
  const content = listing.members.filter((m) => m.hasContent && !skip(m));
  if (!ctx.budget.chargeEntries(listing.members.length))
    out.findings.push(
      makeFinding('MS-ARC-001', "the file's entry budget (MAX_ENTRIES_PER_FILE) is spent; members were not scanned", at(ctx), {
        limit: 'MAX_ENTRIES_PER_FILE',
      }),
    );
  else {
    let reach = 0;
    for (const member of content) {
      const end = member.dataOffset + Math.max(0, member.size);
      const factor = member.dataOffset < reach || member.sparse ? OVERLAP_BUDGET_FACTOR : 1;
      reach = Math.max(reach, end);
      const bytes =
        factor > 1 || member.size > MAX_ARCHIVE_MEMBER_BYTES
          ? await budgetedRead(ctx, member.name, (max) => tarContent(source, member, max), out, factor)
          : (await tarContent(source, member, MAX_ARCHIVE_MEMBER_BYTES)).bytes;
      await scanInto(ctx, bytes && bytes.length > 0 ? bytes : undefined, member.name, out);
    }
  }
  return listing.members;
}

/** Scans the content of one compressed stream (the whole source) through ctx.scanNested. */
export async function scanCompressedStream(
  source: ByteSource,
  ctx: ScanContext,
  codec: CompressionCodec,
): Promise<HandlerResult> {
  const out: Collected = { findings: [], errors: [] };
  const input = await source.read(0, source.size);
  const label = `(${codec} content)`;
  const bytes = await budgetedRead(ctx, label, (max) => decompressBounded(codec, input, max), out);
  await scanInto(ctx, bytes, label, out);
  return out;
}

export const compressedStreamHandler: FormatHandler = {
  formats: ['gzip', 'bzip2', 'xz', 'zstd'],
  async scan(source, ctx) {
    const head = await source.read(0, 6);
    const codec: CompressionCodec = head[0] === 0x1f ? 'gzip' : head[0] === 0x42 ? 'bzip2' : head[0] === 0x28 ? 'zstd' : 'xz';
    return scanCompressedStream(source, ctx, codec);
  },
};

/** Kept for the handler table: gzip is one of the compressed streams. */
export const gzipHandler: FormatHandler = compressedStreamHandler;

/** Containers modelsec cannot open: always an incomplete finding, never passed. */
export const uninspectableHandler: FormatHandler = {
  formats: ['7z', 'rar'],
  async scan(_source, ctx) {
    return {
      findings: [
        makeFinding('MS-ENG-004', 'container or format that modelsec cannot inspect yet; its content was not scanned', {
          members: [...ctx.members],
        }),
      ],
      errors: [],
    };
  },
};

/** Largest JSON document parsed for Jinja templates (tokenizer_config.json is at most a few MB). */
export const MAX_JSON_SCAN_BYTES = 64 * 1024 * 1024;

function templateStrings(value: unknown, path: string, out: Array<[string, string]>, depth = 0): void {
  if (depth > 256) return;
  if (typeof value === 'string') {
    if (/template/i.test(path) || looksLikeJinja(value)) out.push([path, value]);
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) templateStrings(v, `${path}/${i}`, out, depth + 1);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) templateStrings(v, `${path}/${k}`, out, depth + 1);
  }
}

/** JSON (tokenizer_config.json chat templates...) and Jinja-looking text are checked for SSTI; other text is clean. */
export const textHandler: FormatHandler = {
  formats: ['json', 'text'],
  async scan(source, ctx) {
    if (source.size > MAX_JSON_SCAN_BYTES) return { findings: [], errors: [] };
    const text = new TextDecoder('utf-8').decode(await source.read(0, source.size));
    const strings: Array<[string, string]> = [];
    try {
      templateStrings(JSON.parse(text) as unknown, '', strings);
    } catch {
      // Not JSON (a .jinja/.template file, YAML config): the whole text is checked when it looks like Jinja.
      if (looksLikeJinja(text)) strings.push(['', text]);
    }
    const findings: Finding[] = [];
    for (const [path, value] of strings) {
      const hits = findSstiPatterns(value);
      if (hits.length === 0) continue;
      findings.push(
        makeFinding(
          'MS-GGUF-001',
          `Jinja template at ${path || '/'} reaches Python internals (${hits.map((h) => h.token).join(', ')})`,
          { members: [...ctx.members], path },
          { indicators: hits.map((h) => `${h.token} (${h.how})`) },
        ),
      );
    }
    return { findings, errors: [] };
  },
};
