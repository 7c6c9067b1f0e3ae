/**
 * A zip reader that reads archives the way PyTorch's (miniz-based) loader does: it trusts the central directory
 * for names, but CRC-32 mismatches, general-purpose flag bits and local/central name disagreements never stop it;
 * those are returned as anomalies. Entries that appear only as local headers (in gaps between listed entries, or in
 * an archive without a central directory) are listed too. Only headers are read: member data is read on demand.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import type { ByteSource } from '../byte-source.js';
import { DEFAULT_MAX_MEMBER_BYTES, MAX_CENTRAL_DIRECTORY_BYTES, MAX_LOCAL_HEADER_SCAN_BYTES, MAX_ZIP_ENTRIES } from './limits.js';

export interface ZipEntry {
  /** Name from the central directory (or from the local header for local-only entries). */
  name: string;
  /** Local header name when it differs from the central directory name. */
  localName?: string;
  /** 0 = stored, 8 = deflate; others cannot be read. */
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  /** Offset of the member data (after the local header). */
  dataOffset: number;
  /** 'central' for listed entries, 'local-only' for entries found only by their local header. */
  foundBy: 'central' | 'local-only';
}

export interface ZipAnomaly {
  kind:
    | 'name-mismatch'
    | 'flag-bits'
    | 'local-only-entry'
    | 'no-central-directory'
    | 'bad-local-header'
    | 'entry-limit'
    | 'overlap';
  message: string;
  entry?: string;
}

export interface ZipListing {
  entries: ZipEntry[];
  anomalies: ZipAnomaly[];
}

export class ZipFormatError extends Error {}
export class ZipLimitError extends Error {}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const utf8 = new TextDecoder('utf-8');

/** True when the source starts like a zip (local header, or an empty archive's EOCD). */
export async function looksLikeZip(source: ByteSource): Promise<boolean> {
  const head = await source.read(0, 4);
  if (head.length < 4) return false;
  const sig = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true);
  return sig === LOCAL || sig === EOCD;
}

/** Options for listing an archive. */
export interface ReadZipEntriesOptions {
  /**
   * Throw ZipFormatError when there is no end-of-central-directory record instead of walking local headers
   * (PyTorch's loader refuses such files; this skips the scan of a large non-zip file).
   */
  requireCentralDirectory?: boolean;
}

/**
 * Lists the entries of a zip archive. Throws ZipFormatError only when nothing zip-like is found at all (or, with
 * requireCentralDirectory, when there is no central directory).
 */
export async function readZipEntries(source: ByteSource, options: ReadZipEntriesOptions = {}): Promise<ZipListing> {
  const anomalies: ZipAnomaly[] = [];
  const entries: ZipEntry[] = [];
  const central = await findCentralDirectory(source);
  if (!central && options.requireCentralDirectory) {
    throw new ZipFormatError('not a zip archive: no end-of-central-directory record');
  }
  if (central) {
    const dir = await source.read(central.offset, central.size);
    const view = new DataView(dir.buffer, dir.byteOffset, dir.byteLength);
    let pos = 0;
    while (pos + 46 <= dir.length && view.getUint32(pos, true) === CENTRAL) {
      if (entries.length >= MAX_ZIP_ENTRIES) {
        anomalies.push({
          kind: 'entry-limit',
          message: `more than MAX_ZIP_ENTRIES (${MAX_ZIP_ENTRIES}) entries; the rest were not listed`,
        });
        break;
      }
      const flags = view.getUint16(pos + 8, true);
      const method = view.getUint16(pos + 10, true);
      const crc = view.getUint32(pos + 16, true);
      let compressedSize = view.getUint32(pos + 20, true);
      let uncompressedSize = view.getUint32(pos + 24, true);
      const nameLength = view.getUint16(pos + 28, true);
      const extraLength = view.getUint16(pos + 30, true);
      const commentLength = view.getUint16(pos + 32, true);
      let localHeaderOffset = view.getUint32(pos + 42, true);
      const name = utf8.decode(dir.subarray(pos + 46, pos + 46 + nameLength));
      const extra = dir.subarray(pos + 46 + nameLength, pos + 46 + nameLength + extraLength);
      const z64 = zip64Extra(
        extra,
        uncompressedSize === 0xffffffff,
        compressedSize === 0xffffffff,
        localHeaderOffset === 0xffffffff,
      );
      if (z64.uncompressed !== undefined) uncompressedSize = z64.uncompressed;
      if (z64.compressed !== undefined) compressedSize = z64.compressed;
      if (z64.offset !== undefined) localHeaderOffset = z64.offset;
      pos += 46 + nameLength + extraLength + commentLength;
      const entry: ZipEntry = {
        name,
        method,
        flags,
        crc32: crc,
        compressedSize,
        uncompressedSize,
        localHeaderOffset,
        dataOffset: -1,
        foundBy: 'central',
      };
      await readLocalHeader(source, entry, anomalies);
      if (flags & 0x61)
        anomalies.push({
          kind: 'flag-bits',
          message: `entry ${name} has flag bits 0x${flags.toString(16)} (ignored by PyTorch)`,
          entry: name,
        });
      entries.push(entry);
    }
    await findLocalOnlyEntries(source, entries, central.offset, anomalies);
  } else {
    anomalies.push({
      kind: 'no-central-directory',
      message: 'no end-of-central-directory record: entries were found by walking local headers',
    });
    await findLocalOnlyEntries(source, entries, source.size, anomalies);
    if (entries.length === 0) throw new ZipFormatError('not a zip archive: no central directory and no local headers');
  }
  return { entries, anomalies };
}

/** Options for reading one member. */
export interface ReadZipEntryOptions {
  /** Decompressed-size cap (zip bomb guard); ZipLimitError when exceeded. */
  maxBytes?: number;
}

export interface ZipMemberData {
  bytes: Uint8Array;
  /** False when the data's CRC-32 disagrees with the directory (PyTorch ignores it; worth an anomaly). */
  crcOk: boolean;
}

/** Reads and decompresses one member (stored or deflate). Throws ZipLimitError / ZipFormatError. */
export async function readZipEntry(
  source: ByteSource,
  entry: ZipEntry,
  options: ReadZipEntryOptions = {},
): Promise<ZipMemberData> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MEMBER_BYTES;
  if (entry.dataOffset < 0) throw new ZipFormatError(`entry ${entry.name}: local header unreadable`);
  let bytes: Uint8Array;
  if (entry.method === 0) {
    if (entry.compressedSize > maxBytes)
      throw new ZipLimitError(`entry ${entry.name}: ${entry.compressedSize} bytes exceed the limit of ${maxBytes}`);
    bytes = await source.read(entry.dataOffset, entry.compressedSize);
  } else if (entry.method === 8) {
    const compressed = await source.read(entry.dataOffset, Math.min(entry.compressedSize, source.size - entry.dataOffset));
    try {
      bytes = inflateRawSync(compressed, { maxOutputLength: maxBytes });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (
        /maxOutputLength|buffer|ERR_BUFFER_TOO_LARGE/i.test(message) ||
        (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
      ) {
        throw new ZipLimitError(`entry ${entry.name}: decompresses to more than ${maxBytes} bytes`);
      }
      throw new ZipFormatError(`entry ${entry.name}: deflate data corrupt (${message})`);
    }
  } else {
    throw new ZipFormatError(`entry ${entry.name}: unsupported compression method ${entry.method}`);
  }
  return { bytes, crcOk: crc32(bytes) >>> 0 === entry.crc32 >>> 0 };
}

async function findCentralDirectory(source: ByteSource): Promise<{ offset: number; size: number } | undefined> {
  const tailLength = Math.min(source.size, 22 + 65_535 + 20);
  const tailStart = source.size - tailLength;
  const tail = await source.read(tailStart, tailLength);
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  for (let i = tail.length - 22; i >= 0; i--) {
    if (view.getUint32(i, true) !== EOCD) continue;
    let size = view.getUint32(i + 12, true);
    let offset = view.getUint32(i + 16, true);
    if (i >= 20 && view.getUint32(i - 20, true) === EOCD64_LOCATOR) {
      const eocd64Offset = Number(view.getBigUint64(i - 12, true));
      const rec = await source.read(eocd64Offset, 56);
      if (rec.length === 56) {
        const rv = new DataView(rec.buffer, rec.byteOffset, 56);
        if (rv.getUint32(0, true) === 0x06064b50) {
          size = Number(rv.getBigUint64(40, true));
          offset = Number(rv.getBigUint64(48, true));
        }
      }
    }
    if (offset + size > source.size || size > MAX_CENTRAL_DIRECTORY_BYTES) continue;
    return { offset, size };
  }
  return undefined;
}

function zip64Extra(
  extra: Uint8Array,
  needU: boolean,
  needC: boolean,
  needO: boolean,
): { uncompressed?: number; compressed?: number; offset?: number } {
  const view = new DataView(extra.buffer, extra.byteOffset, extra.byteLength);
  let pos = 0;
  while (pos + 4 <= extra.length) {
    const id = view.getUint16(pos, true);
    const len = view.getUint16(pos + 2, true);
    if (id === 0x0001) {
      const out: { uncompressed?: number; compressed?: number; offset?: number } = {};
      let p = pos + 4;
      const end = Math.min(extra.length, pos + 4 + len);
      if (needU && p + 8 <= end) {
        out.uncompressed = Number(view.getBigUint64(p, true));
        p += 8;
      }
      if (needC && p + 8 <= end) {
        out.compressed = Number(view.getBigUint64(p, true));
        p += 8;
      }
      if (needO && p + 8 <= end) out.offset = Number(view.getBigUint64(p, true));
      return out;
    }
    pos += 4 + len;
  }
  return {};
}

async function readLocalHeader(source: ByteSource, entry: ZipEntry, anomalies: ZipAnomaly[]): Promise<void> {
  const head = await source.read(entry.localHeaderOffset, 30);
  if (head.length < 30 || new DataView(head.buffer, head.byteOffset, 30).getUint32(0, true) !== LOCAL) {
    anomalies.push({
      kind: 'bad-local-header',
      message: `entry ${entry.name}: no local header at offset ${entry.localHeaderOffset}`,
      entry: entry.name,
    });
    return;
  }
  const view = new DataView(head.buffer, head.byteOffset, 30);
  const nameLength = view.getUint16(26, true);
  const extraLength = view.getUint16(28, true);
  const localName = utf8.decode(await source.read(entry.localHeaderOffset + 30, nameLength));
  entry.dataOffset = entry.localHeaderOffset + 30 + nameLength + extraLength;
  if (localName !== entry.name) {
    entry.localName = localName;
    anomalies.push({
      kind: 'name-mismatch',
      message: `local header names ${JSON.stringify(localName)}, central directory ${JSON.stringify(entry.name)}`,
      entry: entry.name,
    });
  }
}

/** Walks local headers in regions no listed entry covers (bounded by MAX_LOCAL_HEADER_SCAN_BYTES). */
async function findLocalOnlyEntries(
  source: ByteSource,
  entries: ZipEntry[],
  end: number,
  anomalies: ZipAnomaly[],
): Promise<void> {
  const covered = entries
    .filter((e) => e.dataOffset >= 0)
    .map((e) => [e.localHeaderOffset, e.dataOffset + e.compressedSize] as const)
    .sort((a, b) => a[0] - b[0]);
  const gaps: [number, number][] = [];
  let cursor = 0;
  for (const [from, to] of covered) {
    if (from > cursor) gaps.push([cursor, from]);
    cursor = Math.max(cursor, to);
  }
  if (end > cursor) gaps.push([cursor, end]);
  let budget = MAX_LOCAL_HEADER_SCAN_BYTES;
  const known = new Set(entries.map((e) => e.localHeaderOffset));
  for (const [from, to] of gaps) {
    let pos = from;
    while (pos + 30 <= to && budget > 0 && entries.length < MAX_ZIP_ENTRIES) {
      const chunkLength = Math.min(to - pos, budget, 4 * 1024 * 1024);
      const chunk = await source.read(pos, chunkLength);
      budget -= chunk.length;
      let next = -1;
      for (let i = 0; i + 4 <= chunk.length; i++) {
        if (chunk[i] === 0x50 && chunk[i + 1] === 0x4b && chunk[i + 2] === 0x03 && chunk[i + 3] === 0x04) {
          next = pos + i;
          break;
        }
      }
      if (next < 0) {
        pos += Math.max(1, chunk.length - 3);
        continue;
      }
      const entry = await localEntryAt(source, next);
      if (entry && !known.has(next)) {
        known.add(next);
        entries.push(entry);
        anomalies.push({
          kind: 'local-only-entry',
          message: `entry ${entry.name} at offset ${next} is not in the central directory`,
          entry: entry.name,
        });
        pos = entry.dataOffset + Math.max(entry.compressedSize, 0);
        if (pos <= next) pos = next + 4;
      } else pos = next + 4;
    }
  }
}

async function localEntryAt(source: ByteSource, offset: number): Promise<ZipEntry | undefined> {
  const head = await source.read(offset, 30);
  if (head.length < 30) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, 30);
  const flags = view.getUint16(6, true);
  const method = view.getUint16(8, true);
  const crc = view.getUint32(14, true);
  let compressedSize = view.getUint32(18, true);
  const uncompressedSize = view.getUint32(22, true);
  const nameLength = view.getUint16(26, true);
  const extraLength = view.getUint16(28, true);
  const name = utf8.decode(await source.read(offset + 30, nameLength));
  const dataOffset = offset + 30 + nameLength + extraLength;
  if (dataOffset > source.size) return undefined;
  if (flags & 0x08 && compressedSize === 0) compressedSize = source.size - dataOffset; // data descriptor: size unknown
  compressedSize = Math.min(compressedSize, source.size - dataOffset);
  return {
    name,
    method,
    flags,
    crc32: crc,
    compressedSize,
    uncompressedSize,
    localHeaderOffset: offset,
    dataOffset,
    foundBy: 'local-only',
  };
}
