/**
 * Generic archives: zip and tar members and gzip content are scanned recursively through ctx.scanNested (full
 * detection), with entry-count and decompressed-byte limits; 7z, rar, zstd are reported as uninspectable.
 */
import { gunzipSync } from 'node:zlib';
import { readZipEntries, readZipEntry } from '../../formats/zip/index.js';
import { makeFinding } from '../pickle/findings.js';
import { listTar } from '../tar-listing.js';
import type { Finding, FormatHandler, ScanIssue } from '../types.js';
import { findSstiPatterns, looksLikeJinja } from './jinja-ssti.js';

/** Members of one archive scanned; more is reported (a zip with millions of entries is a DoS). */
export const MAX_ARCHIVE_ENTRIES = 10_000;
/** Decompressed bytes read from one archive in total (zip-bomb guard). */
export const MAX_ARCHIVE_DECOMPRESSED_BYTES = 1024 * 1024 * 1024;
/** Largest single member decompressed into memory for scanning. */
export const MAX_ARCHIVE_MEMBER_BYTES = 512 * 1024 * 1024;

export const zipArchiveHandler: FormatHandler = {
  formats: ['zip'],
  async scan(source, ctx) {
    const findings: Finding[] = [];
    const errors: ScanIssue[] = [];
    const listing = await readZipEntries(source);
    let total = 0;
    const entries = listing.entries.filter((e) => !e.name.endsWith('/'));
    if (entries.length > MAX_ARCHIVE_ENTRIES) {
      findings.push(
        makeFinding(
          'MS-ARC-001',
          `archive has ${entries.length} entries; only MAX_ARCHIVE_ENTRIES were scanned`,
          { members: [...ctx.members] },
          { limit: 'MAX_ARCHIVE_ENTRIES', entries: entries.length },
        ),
      );
    }
    for (const entry of entries.slice(0, MAX_ARCHIVE_ENTRIES)) {
      const at = { members: [...ctx.members, entry.name] };
      if (total + entry.uncompressedSize > MAX_ARCHIVE_DECOMPRESSED_BYTES || entry.uncompressedSize > MAX_ARCHIVE_MEMBER_BYTES) {
        findings.push(
          makeFinding('MS-ARC-001', `member ${entry.name} exceeds the decompressed-bytes limit (zip bomb?)`, at, {
            limit: 'MAX_ARCHIVE_DECOMPRESSED_BYTES',
            uncompressedSize: entry.uncompressedSize,
          }),
        );
        continue;
      }
      try {
        const { bytes } = await readZipEntry(source, entry, {
          maxBytes: Math.min(MAX_ARCHIVE_MEMBER_BYTES, MAX_ARCHIVE_DECOMPRESSED_BYTES - total),
        });
        total += bytes.length;
        const nested = await ctx.scanNested(bytes, entry.name);
        findings.push(...nested.findings);
        errors.push(...nested.errors);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        findings.push(makeFinding('MS-ENG-002', `member ${entry.name} could not be read: ${message}`, at, { error: message }));
        errors.push({ code: 'SCAN_ARCHIVE_MEMBER', message, location: at });
      }
    }
    return { findings, errors };
  },
};

export const tarArchiveHandler: FormatHandler = {
  formats: ['tar'],
  async scan(source, ctx) {
    const findings: Finding[] = [];
    const errors: ScanIssue[] = [];
    const members = (await listTar(source, MAX_ARCHIVE_ENTRIES)).filter((m) => m.type === '0' || m.type === '\0');
    if (members.length > MAX_ARCHIVE_ENTRIES) {
      findings.push(
        makeFinding(
          'MS-ARC-001',
          'archive has more than MAX_ARCHIVE_ENTRIES entries',
          { members: [...ctx.members] },
          { limit: 'MAX_ARCHIVE_ENTRIES' },
        ),
      );
    }
    let total = 0;
    for (const m of members.slice(0, MAX_ARCHIVE_ENTRIES)) {
      const at = { members: [...ctx.members, m.name] };
      if (m.size > MAX_ARCHIVE_MEMBER_BYTES || total + m.size > MAX_ARCHIVE_DECOMPRESSED_BYTES) {
        findings.push(
          makeFinding('MS-ARC-001', `member ${m.name} exceeds the archive byte limit`, at, {
            limit: 'MAX_ARCHIVE_MEMBER_BYTES',
            size: m.size,
          }),
        );
        continue;
      }
      total += m.size;
      const nested = await ctx.scanNested(await source.read(m.dataOffset, m.size), m.name);
      findings.push(...nested.findings);
      errors.push(...nested.errors);
    }
    return { findings, errors };
  },
};

export const gzipHandler: FormatHandler = {
  formats: ['gzip'],
  async scan(source, ctx) {
    const raw = await source.read(0, source.size);
    let bytes: Uint8Array;
    try {
      bytes = gunzipSync(raw, { maxOutputLength: MAX_ARCHIVE_MEMBER_BYTES });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return {
        findings: [
          makeFinding(
            'MS-ARC-001',
            `gzip stream could not be fully decompressed: ${message}`,
            { members: [...ctx.members] },
            { limit: 'MAX_ARCHIVE_MEMBER_BYTES', error: message },
          ),
        ],
        errors: [{ code: 'SCAN_GZIP', message }],
      };
    }
    const nested = await ctx.scanNested(bytes, '(gzip content)');
    return { findings: nested.findings, errors: nested.errors };
  },
};

/** Containers modelsec cannot open: always a medium finding, never passed. */
export const uninspectableHandler: FormatHandler = {
  formats: ['7z', 'rar', 'zstd', 'xz', 'bzip2'],
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
