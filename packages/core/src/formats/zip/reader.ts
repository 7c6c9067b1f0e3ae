/**
 * A zip reader that lists every entry any of the loaders a model meets could read, the way each reads it:
 *
 * - CPython's `zipfile` (numpy.load of .npz, Keras, joblib users, `zipfile.ZipFile`): the end-of-central-directory
 *   record at the very end, else the last one in the final 64 KiB; offsets corrected by `concat` (bytes prepended to
 *   the archive); the central directory walked for `size_cd` bytes; names decoded as UTF-8 (flag bit 11) or cp437
 *   and cut at the first NUL; a duplicate name resolves to the LAST entry (`NameToInfo`).
 * - PyTorch's miniz-based reader (`torch.load`, `torch.jit.load`): raw offsets (no `concat`); the entry count of the
 *   record; names compared byte-wise, ASCII case-insensitively, after the archive prefix taken from the first
 *   entry's name (`torchRecord`); a duplicate may resolve to either entry.
 *
 * An entry seen by either is listed once (its `readers` say who sees it). Local headers no central directory lists
 * are listed too (stream readers find them). CRC mismatches, odd flag bits, name disagreements, duplicates,
 * overlapping data and the other tricks are returned as anomalies, never fatal: the caller reports them and scans
 * every entry. Only headers are read here; member data is read on demand and decompressed within a byte budget.
 */
import { crc32 } from 'node:zlib';
import { type ErrorDetails, ModelsecError } from '../../errors/modelsec-error.js';
import type { ByteSource } from '../byte-source.js';
import {
  type BoundedDecompressor,
  type CompressionCodec,
  type Decompressed,
  inflateBounded,
  isZlibCodec,
} from '../compression/index.js';
import { decodeCp437 } from './cp437.js';
import { DEFAULT_MAX_MEMBER_BYTES, MAX_CENTRAL_DIRECTORY_BYTES, MAX_LOCAL_HEADER_SCAN_BYTES, MAX_ZIP_ENTRIES } from './limits.js';

export type ZipReader = 'zipfile' | 'miniz';

export interface ZipEntry {
  /** The name Python's zipfile gives it: decoded (UTF-8 when flag bit 11 is set, else cp437), cut at the first NUL. */
  name: string;
  /** The decoded name before the NUL cut (zipfile's `orig_filename`). */
  origName: string;
  /** The name bytes as stored in the central directory (what PyTorch's reader compares, case-insensitively). */
  rawName: Uint8Array;
  /** Local header name when it differs from the central directory name. */
  localName?: string;
  /** Compression method: 0 stored, 8 deflate, 12 bzip2, 14 lzma are read; others cannot be. */
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Offset of the local header this reading uses (zipfile's corrected by `concat`, miniz's raw). */
  localHeaderOffset: number;
  /** Offset of the member data (after the local header); -1 when no local header is there. */
  dataOffset: number;
  /** 'central' for listed entries, 'local-only' for entries found only by their local header. */
  foundBy: 'central' | 'local-only';
  /** Position in its central directory (-1 for local-only entries). */
  index: number;
  /** The loaders that list this entry (empty for local-only entries: only stream readers find those). */
  readers: ZipReader[];
}

export type ZipAnomalyKind =
  | 'name-mismatch'
  | 'flag-bits'
  | 'encrypted'
  | 'local-only-entry'
  | 'no-central-directory'
  | 'bad-local-header'
  | 'bad-central-directory'
  | 'entry-limit'
  | 'local-scan-limit'
  | 'overlap'
  | 'duplicate-name'
  | 'nul-in-name'
  | 'bad-name-encoding'
  | 'prepended-data'
  | 'readers-disagree'
  | 'unsupported-method';

export interface ZipAnomaly {
  kind: ZipAnomalyKind;
  message: string;
  entry?: string;
}

export interface ZipListing {
  entries: ZipEntry[];
  anomalies: ZipAnomaly[];
  /** Bytes before the archive proper as zipfile computes them (`concat`); 0 for an ordinary archive. */
  concat: number;
}

/** An archive (or member) the zip reader cannot follow: FORMAT_INVALID of the core error-code union. */
export class ZipFormatError extends ModelsecError {
  constructor(message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super('FORMAT_INVALID', message, options);
    this.name = 'ZipFormatError';
  }
}

/** A member past a named safety limit (zip bomb guard, entry count): LIMIT_EXCEEDED of the core error-code union. */
export class ZipLimitError extends ModelsecError {
  constructor(message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super('LIMIT_EXCEEDED', message, options);
    this.name = 'ZipLimitError';
  }
}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const EOCD_SIZE = 22;
const EOCD64_SIZE = 56;
const EOCD64_LOCATOR_SIZE = 20;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
/** zipfile searches the last 64 KiB (the longest archive comment) plus the record for the end record. */
const EOCD_SEARCH_BYTES = (1 << 16) + EOCD_SIZE;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lossy = new TextDecoder('utf-8');

/** True when the source starts like a zip (local header, or an empty archive's EOCD). */
export async function looksLikeZip(source: ByteSource): Promise<boolean> {
  const head = await source.read(0, 4);
  if (head.length < 4) return false;
  const sig = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true);
  return sig === LOCAL || sig === EOCD;
}

/**
 * True when Python's zipfile opens the source as a zip whatever its first bytes (is_zipfile looks at the end): an
 * end record whose central directory lists at least one entry with a local header where zipfile looks for it.
 * Catches archives behind prepended bytes (a script, an image) that a look at the first bytes misses.
 */
export async function zipfileOpens(source: ByteSource): Promise<boolean> {
  const tail = await source.read(Math.max(0, source.size - EOCD_SEARCH_BYTES), Math.min(source.size, EOCD_SEARCH_BYTES));
  if (Buffer.from(tail.buffer, tail.byteOffset, tail.byteLength).indexOf('PK\x05\x06', 0, 'latin1') < 0) return false;
  try {
    const listing = await readZipEntries(source, { requireCentralDirectory: true, centralOnly: true });
    return listing.entries.some((e) => e.readers.includes('zipfile') && e.dataOffset >= 0);
  } catch {
    return false;
  }
}

/** Options for listing an archive. */
export interface ReadZipEntriesOptions {
  /**
   * Throw ZipFormatError when there is no end-of-central-directory record instead of walking local headers
   * (PyTorch's loader refuses such files; this skips the scan of a large non-zip file).
   */
  requireCentralDirectory?: boolean;
  /** List the central directory only (no search for local headers it does not list): a cheap "is this a zip". */
  centralOnly?: boolean;
}

interface EndRecord {
  /** Offset of the EOCD record. */
  at: number;
  count: number;
  cdSize: number;
  cdOffset: number;
  zip64: boolean;
}

/** One central directory as one loader locates it. */
interface DirectoryReading {
  reader: ZipReader;
  start: number;
  /** Bytes to walk (zipfile) or undefined (miniz walks `count` headers). */
  size?: number;
  count?: number;
  /** Added to every local header offset. */
  shift: number;
}

function u16(b: Uint8Array, at: number): number {
  return (b[at] as number) | ((b[at + 1] as number) << 8);
}
function u32(b: Uint8Array, at: number): number {
  return ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)) >>> 0;
}
function u64(b: Uint8Array, at: number): number {
  return u32(b, at) + u32(b, at + 4) * 2 ** 32;
}

function parseEnd(tail: Uint8Array, i: number, tailStart: number): EndRecord | undefined {
  if (i < 0 || i + EOCD_SIZE > tail.length || u32(tail, i) !== EOCD) return undefined;
  return {
    at: tailStart + i,
    count: u16(tail, i + 10),
    cdSize: u32(tail, i + 12),
    cdOffset: u32(tail, i + 16),
    zip64: false,
  };
}

/** zipfile's _EndRecData64: the ZIP64 record is read right before the locator (no extensible data assumed). */
async function zip64ForZipfile(source: ByteSource, end: EndRecord): Promise<EndRecord> {
  if (end.at < EOCD64_LOCATOR_SIZE + EOCD64_SIZE) return end;
  const locator = await source.read(end.at - EOCD64_LOCATOR_SIZE, EOCD64_LOCATOR_SIZE);
  if (locator.length < EOCD64_LOCATOR_SIZE || u32(locator, 0) !== EOCD64_LOCATOR) return end;
  const record = await source.read(end.at - EOCD64_LOCATOR_SIZE - EOCD64_SIZE, EOCD64_SIZE);
  if (record.length < EOCD64_SIZE || u32(record, 0) !== EOCD64) return end;
  return { at: end.at, count: u64(record, 32), cdSize: u64(record, 40), cdOffset: u64(record, 48), zip64: true };
}

/** miniz reads the ZIP64 record at the offset the locator names. */
async function zip64ForMiniz(source: ByteSource, end: EndRecord): Promise<EndRecord> {
  if (end.at < EOCD64_LOCATOR_SIZE) return end;
  const locator = await source.read(end.at - EOCD64_LOCATOR_SIZE, EOCD64_LOCATOR_SIZE);
  if (locator.length < EOCD64_LOCATOR_SIZE || u32(locator, 0) !== EOCD64_LOCATOR) return end;
  const record = await source.read(u64(locator, 8), EOCD64_SIZE);
  if (record.length < EOCD64_SIZE || u32(record, 0) !== EOCD64) return end;
  return { at: end.at, count: u64(record, 32), cdSize: u64(record, 40), cdOffset: u64(record, 48), zip64: true };
}

async function locateDirectories(source: ByteSource, anomalies: ZipAnomaly[]): Promise<DirectoryReading[]> {
  const tailLength = Math.min(source.size, EOCD_SEARCH_BYTES);
  const tailStart = source.size - tailLength;
  const tail = await source.read(tailStart, tailLength);
  // zipfile: first the record at the very end with an empty comment, else the last signature in the tail.
  let zipfileEnd = parseEnd(tail, tail.length - EOCD_SIZE, tailStart);
  if (zipfileEnd && u16(tail, tail.length - 2) !== 0) zipfileEnd = undefined;
  let lastSignature: EndRecord | undefined;
  for (let i = tail.length - EOCD_SIZE; i >= 0 && !lastSignature; i--) lastSignature = parseEnd(tail, i, tailStart);
  zipfileEnd ??= lastSignature;
  const readings: DirectoryReading[] = [];
  if (zipfileEnd) {
    const end = await zip64ForZipfile(source, zipfileEnd);
    let concat = end.at - end.cdSize - end.cdOffset;
    if (end.zip64) concat -= EOCD64_SIZE + EOCD64_LOCATOR_SIZE;
    const start = end.cdOffset + concat;
    if (start >= 0 && end.cdSize <= MAX_CENTRAL_DIRECTORY_BYTES)
      readings.push({ reader: 'zipfile', start, size: end.cdSize, shift: concat });
    else
      anomalies.push({
        kind: 'bad-central-directory',
        message: `the central directory is out of range or larger than MAX_CENTRAL_DIRECTORY_BYTES (${MAX_CENTRAL_DIRECTORY_BYTES})`,
      });
  }
  if (lastSignature) {
    const end = await zip64ForMiniz(source, lastSignature);
    if (end.cdOffset + end.cdSize <= source.size && end.cdSize <= MAX_CENTRAL_DIRECTORY_BYTES)
      readings.push({ reader: 'miniz', start: end.cdOffset, count: end.count, shift: 0 });
  }
  return readings;
}

function decodeName(raw: Uint8Array, flags: number, anomalies: ZipAnomaly[]): string {
  if (flags & 0x800) {
    try {
      return utf8.decode(raw);
    } catch {
      const lossy = utf8Lossy.decode(raw);
      anomalies.push({
        kind: 'bad-name-encoding',
        message: `entry name ${JSON.stringify(lossy)} is flagged UTF-8 but is not (Python's zipfile refuses the archive)`,
        entry: lossy,
      });
      return lossy;
    }
  }
  return decodeCp437(raw);
}

/**
 * Lists the entries of a zip archive. Throws ZipFormatError only when nothing zip-like is found at all (or, with
 * requireCentralDirectory, when there is no central directory).
 */
export async function readZipEntries(source: ByteSource, options: ReadZipEntriesOptions = {}): Promise<ZipListing> {
  const anomalies: ZipAnomaly[] = [];
  const entries: ZipEntry[] = [];
  const readings = await locateDirectories(source, anomalies);
  if (readings.length === 0 && options.requireCentralDirectory) {
    throw new ZipFormatError('not a zip archive: no end-of-central-directory record');
  }
  const zipfileReading = readings.find((r) => r.reader === 'zipfile');
  const concat = zipfileReading?.shift ?? 0;
  if (concat > 0)
    anomalies.push({
      kind: 'prepended-data',
      message: `${concat} bytes precede the archive (Python's zipfile corrects its offsets by them; PyTorch does not)`,
    });
  const byKey = new Map<string, ZipEntry>();
  const listedBy = new Map<ZipReader, number>();
  let limited = false;
  for (const reading of readings) {
    let listed = 0;
    const dirBytes = reading.size ?? Math.min(source.size - reading.start, MAX_CENTRAL_DIRECTORY_BYTES);
    const dir = await source.read(reading.start, dirBytes);
    let pos = 0;
    for (let index = 0; ; index++) {
      if (reading.size !== undefined ? pos >= reading.size : index >= (reading.count ?? 0)) break;
      if (pos + CENTRAL_SIZE > dir.length || u32(dir, pos) !== CENTRAL) {
        anomalies.push({
          kind: 'bad-central-directory',
          message: `${reading.reader}: central directory header ${index} is missing or truncated (the loader refuses the archive)`,
        });
        break;
      }
      if (byKey.size >= MAX_ZIP_ENTRIES) {
        limited = true;
        break;
      }
      const flags = u16(dir, pos + 8);
      const method = u16(dir, pos + 10);
      const crc = u32(dir, pos + 16);
      let compressedSize = u32(dir, pos + 20);
      let uncompressedSize = u32(dir, pos + 24);
      const nameLength = u16(dir, pos + 28);
      const extraLength = u16(dir, pos + 30);
      const commentLength = u16(dir, pos + 32);
      let localHeaderOffset = u32(dir, pos + 42);
      const rawName = dir.slice(pos + CENTRAL_SIZE, pos + CENTRAL_SIZE + nameLength);
      const extra = dir.subarray(pos + CENTRAL_SIZE + nameLength, pos + CENTRAL_SIZE + nameLength + extraLength);
      const z64 = zip64Extra(
        extra,
        uncompressedSize === 0xffffffff,
        compressedSize === 0xffffffff,
        localHeaderOffset === 0xffffffff,
      );
      if (z64.uncompressed !== undefined) uncompressedSize = z64.uncompressed;
      if (z64.compressed !== undefined) compressedSize = z64.compressed;
      if (z64.offset !== undefined) localHeaderOffset = z64.offset;
      pos += CENTRAL_SIZE + nameLength + extraLength + commentLength;
      const origName = decodeName(rawName, flags, anomalies);
      const nul = origName.indexOf('\0');
      const entry: ZipEntry = {
        name: nul >= 0 ? origName.slice(0, nul) : origName,
        origName,
        rawName,
        method,
        flags,
        crc32: crc,
        compressedSize,
        uncompressedSize,
        localHeaderOffset: localHeaderOffset + reading.shift,
        dataOffset: -1,
        foundBy: 'central',
        index,
        readers: [reading.reader],
      };
      const key = `${entry.localHeaderOffset}/${compressedSize}/${method}/${Buffer.from(rawName).toString('latin1')}/${index}`;
      const known = byKey.get(key);
      listed++;
      if (known) {
        if (!known.readers.includes(reading.reader)) known.readers.push(reading.reader);
        continue;
      }
      byKey.set(key, entry);
      if (nul >= 0)
        anomalies.push({
          kind: 'nul-in-name',
          message: `entry name ${JSON.stringify(origName)} holds a NUL: Python's zipfile names it ${JSON.stringify(entry.name)}, PyTorch compares the whole name`,
          entry: entry.name,
        });
      await readLocalHeader(source, entry, anomalies);
      if (flags & 0x1)
        anomalies.push({
          kind: 'encrypted',
          message: `entry ${entry.name} is flagged encrypted (zipfile needs a password; PyTorch reads the bytes as they are)`,
          entry: entry.name,
        });
      if (flags & 0x60)
        anomalies.push({
          kind: 'flag-bits',
          message: `entry ${entry.name} has flag bits 0x${flags.toString(16)} (zipfile refuses it, PyTorch ignores them)`,
          entry: entry.name,
        });
      if (!READABLE_METHODS.has(method))
        anomalies.push({
          kind: 'unsupported-method',
          message: `entry ${entry.name} uses compression method ${method}, which neither zipfile nor PyTorch reads`,
          entry: entry.name,
        });
      entries.push(entry);
    }
    listedBy.set(reading.reader, listed);
  }
  if (limited)
    anomalies.push({
      kind: 'entry-limit',
      message: `more than MAX_ZIP_ENTRIES (${MAX_ZIP_ENTRIES}) entries; the rest were not listed`,
    });
  const zipfileCount = listedBy.get('zipfile');
  const minizCount = listedBy.get('miniz');
  if (zipfileCount !== undefined && minizCount !== undefined && entries.some((e) => e.readers.length === 1))
    anomalies.push({
      kind: 'readers-disagree',
      message: `Python's zipfile and PyTorch's reader see different entries (${zipfileCount} and ${minizCount} listed)`,
    });
  if (readings.length === 0)
    anomalies.push({
      kind: 'no-central-directory',
      message: 'no end-of-central-directory record: entries were found by walking local headers',
    });
  const scanLimited = options.centralOnly ? false : await findLocalOnlyEntries(source, entries, anomalies);
  if (scanLimited)
    anomalies.push({
      kind: 'local-scan-limit',
      message: `more than MAX_LOCAL_HEADER_SCAN_BYTES (${MAX_LOCAL_HEADER_SCAN_BYTES}) bytes lie outside the listed entries; they were not searched for local headers`,
    });
  if (readings.length === 0 && entries.length === 0)
    throw new ZipFormatError('not a zip archive: no central directory and no local headers');
  findDuplicates(entries, anomalies);
  findOverlaps(entries, anomalies);
  return { entries, anomalies, concat };
}

const READABLE_METHODS = new Set([0, 8, 12, 14]);

/** Names that resolve to more than one entry in a loader: zipfile takes the last, miniz's lookup any of them. */
function findDuplicates(entries: readonly ZipEntry[], anomalies: ZipAnomaly[]): void {
  const exact = new Map<string, number>();
  const folded = new Map<string, Set<string>>();
  for (const entry of entries) {
    if (entry.foundBy !== 'central') continue;
    exact.set(entry.name, (exact.get(entry.name) ?? 0) + 1);
    const key = asciiLower(entry.rawName);
    const names = folded.get(key) ?? new Set<string>();
    names.add(entry.origName);
    folded.set(key, names);
  }
  for (const [name, count] of exact)
    if (count > 1)
      anomalies.push({
        kind: 'duplicate-name',
        message: `${count} entries are named ${JSON.stringify(name)} (zipfile reads the last, PyTorch may read any)`,
        entry: name,
      });
  for (const names of folded.values())
    if (names.size > 1)
      anomalies.push({
        kind: 'duplicate-name',
        message: `entries ${[...names].map((n) => JSON.stringify(n)).join(', ')} differ only in case (PyTorch's lookup treats them as one name)`,
        entry: [...names][0] as string,
      });
}

/** Entries whose bytes (local header through data) overlap another's: zip bombs and parser confusion. */
function findOverlaps(entries: readonly ZipEntry[], anomalies: ZipAnomaly[]): void {
  const spans = entries
    .filter((e) => e.dataOffset >= 0)
    .map((e) => ({ e, from: e.localHeaderOffset, to: e.dataOffset + e.compressedSize }))
    .sort((a, b) => a.from - b.from || a.to - b.to);
  let overlapping = 0;
  let first: ZipEntry | undefined;
  let reach = -1;
  let reachEntry: ZipEntry | undefined;
  for (const span of spans) {
    if (span.from < reach && reachEntry && reachEntry !== span.e) {
      overlapping++;
      first ??= span.e;
    }
    if (span.to > reach) {
      reach = span.to;
      reachEntry = span.e;
    }
  }
  if (overlapping > 0)
    anomalies.push({
      kind: 'overlap',
      message: `${overlapping} entr${overlapping === 1 ? 'y' : 'ies'} share bytes with another entry (a zip bomb and parser-confusion technique; Python's zipfile refuses them)`,
      entry: first?.name as string,
    });
}

function asciiLower(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += String.fromCharCode(b >= 0x41 && b <= 0x5a ? b + 0x20 : b);
  return out;
}

/**
 * The entries `torch.load`/`torch.jit.load` may read for record `name` (e.g. 'data.pkl'): PyTorchStreamReader
 * prefixes it with the archive name (the first entry's name up to its first '/') and miniz compares names byte-wise,
 * ASCII case-insensitively; with duplicates its binary search may land on any of them, so all are returned.
 */
export function torchRecord(listing: ZipListing, name: string): ZipEntry[] {
  const prefix = torchArchivePrefix(listing);
  if (prefix === undefined) return [];
  const wanted = asciiLower(new Uint8Array([...prefix, ...new TextEncoder().encode(name)]));
  return listing.entries.filter((e) => e.readers.includes('miniz') && asciiLower(e.rawName) === wanted);
}

/** PyTorch's archive prefix (bytes of the first miniz-listed entry's name through its first '/'), if any. */
export function torchArchivePrefix(listing: ZipListing): Uint8Array | undefined {
  const first = listing.entries.filter((e) => e.readers.includes('miniz')).sort((a, b) => a.index - b.index)[0];
  if (!first) return undefined;
  const slash = first.rawName.indexOf(0x2f);
  return slash < 0 ? undefined : first.rawName.subarray(0, slash + 1);
}

/** Options for reading one member. */
export interface ReadZipEntryOptions {
  /** Decompressed-size cap (zip bomb guard); ZipLimitError when exceeded. */
  maxBytes?: number;
  /** Decoder for methods node:zlib cannot read (12 bzip2, 14 lzma); default: stored and deflate only. */
  decompress?: BoundedDecompressor;
}

export interface ZipMemberData {
  bytes: Uint8Array;
  /** False when the data's CRC-32 disagrees with the directory (PyTorch ignores it; worth an anomaly). */
  crcOk: boolean;
}

/** A member read for scanning: what its decompressor produced and how the stream ended. */
export interface ZipMemberRead extends Decompressed {
  crcOk: boolean;
}

const CODECS: Readonly<Record<number, CompressionCodec>> = { 8: 'deflate-raw', 12: 'bzip2', 14: 'lzma-zip' };

/**
 * The decoder used when the caller passes none: node:zlib's deflate. bzip2 and lzma members need a decoder from an
 * npm package, which formats does not load; the scanner passes `decompressBounded` (core's compression module).
 */
const nodeOnlyDecompressor: BoundedDecompressor = async (codec, input, maxBytes) => {
  if (isZlibCodec(codec)) return inflateBounded(codec, input, maxBytes);
  throw new ZipFormatError(`${codec} members need a decoder beyond node:zlib (pass one as \`decompress\`)`);
};

/**
 * Reads a member for scanning without throwing on bad data: stored, deflate, bzip2 or lzma, capped at maxBytes
 * (the caller's budget). Declared sizes are not trusted: an entry declaring 0 bytes is decompressed all the same
 * (stream readers use the data, not the directory). An entry flagged encrypted is read as plain bytes, as PyTorch
 * reads it (`crcOk` tells whether that reading is the real content). Throws ZipFormatError only when the member
 * cannot be read at all (no local header, an unknown method, a bzip2 or lzma member and no `decompress` for it).
 */
export async function readZipMember(
  source: ByteSource,
  entry: ZipEntry,
  maxBytes: number,
  decompress: BoundedDecompressor = nodeOnlyDecompressor,
): Promise<ZipMemberRead> {
  if (entry.dataOffset < 0)
    throw new ZipFormatError(`entry ${entry.name}: local header unreadable`, { details: { entry: entry.name } });
  const available = Math.max(0, Math.min(entry.compressedSize, source.size - entry.dataOffset));
  let result: Decompressed;
  if (entry.method === 0) {
    const take = Math.min(available, maxBytes);
    const bytes = await source.read(entry.dataOffset, take);
    result =
      available > maxBytes
        ? { bytes, status: 'limit', prefixExact: true, error: `${available} bytes exceed the limit of ${maxBytes}` }
        : available < entry.compressedSize
          ? { bytes, status: 'truncated', prefixExact: true, error: 'the archive ends inside the member' }
          : { bytes, status: 'complete', prefixExact: true };
  } else {
    const codec = CODECS[entry.method];
    if (!codec)
      throw new ZipFormatError(`entry ${entry.name}: unsupported compression method ${entry.method}`, {
        details: { entry: entry.name, method: entry.method },
      });
    try {
      result = await decompress(codec, await source.read(entry.dataOffset, available), maxBytes);
    } catch (error) {
      if (error instanceof ZipFormatError)
        throw new ZipFormatError(`entry ${entry.name}: ${error.message}`, { details: { entry: entry.name }, cause: error });
      throw error;
    }
    if (result.status === 'complete' && available < entry.compressedSize) result = { ...result, status: 'truncated' };
  }
  return { ...result, crcOk: crc32(result.bytes) >>> 0 === entry.crc32 >>> 0 };
}

/** Reads and decompresses one member. Throws ZipLimitError / ZipFormatError (for callers that want all or nothing). */
export async function readZipEntry(
  source: ByteSource,
  entry: ZipEntry,
  options: ReadZipEntryOptions = {},
): Promise<ZipMemberData> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MEMBER_BYTES;
  const read = await readZipMember(source, entry, maxBytes, options.decompress);
  if (read.status === 'limit') {
    throw new ZipLimitError(`entry ${entry.name}: decompresses to more than ${maxBytes} bytes`, {
      details: { entry: entry.name, limit: maxBytes },
    });
  }
  if (read.status !== 'complete') {
    throw new ZipFormatError(`entry ${entry.name}: ${read.error ?? read.status}`, { details: { entry: entry.name } });
  }
  return { bytes: read.bytes, crcOk: read.crcOk };
}

function zip64Extra(
  extra: Uint8Array,
  needU: boolean,
  needC: boolean,
  needO: boolean,
): { uncompressed?: number; compressed?: number; offset?: number } {
  let pos = 0;
  while (pos + 4 <= extra.length) {
    const id = u16(extra, pos);
    const len = u16(extra, pos + 2);
    if (id === 0x0001) {
      const out: { uncompressed?: number; compressed?: number; offset?: number } = {};
      let p = pos + 4;
      const end = Math.min(extra.length, pos + 4 + len);
      if (needU && p + 8 <= end) {
        out.uncompressed = u64(extra, p);
        p += 8;
      }
      if (needC && p + 8 <= end) {
        out.compressed = u64(extra, p);
        p += 8;
      }
      if (needO && p + 8 <= end) out.offset = u64(extra, p);
      return out;
    }
    pos += 4 + len;
  }
  return {};
}

async function readLocalHeader(source: ByteSource, entry: ZipEntry, anomalies: ZipAnomaly[]): Promise<void> {
  const head = await source.read(entry.localHeaderOffset, LOCAL_SIZE);
  if (head.length < LOCAL_SIZE || u32(head, 0) !== LOCAL) {
    anomalies.push({
      kind: 'bad-local-header',
      message: `entry ${entry.name}: no local header at offset ${entry.localHeaderOffset} (${entry.readers.join('/')} reading)`,
      entry: entry.name,
    });
    return;
  }
  const nameLength = u16(head, 26);
  const extraLength = u16(head, 28);
  const localRaw = await source.read(entry.localHeaderOffset + LOCAL_SIZE, nameLength);
  entry.dataOffset = entry.localHeaderOffset + LOCAL_SIZE + nameLength + extraLength;
  const localName = decodeName(localRaw, u16(head, 6), []);
  if (localName !== entry.origName) {
    entry.localName = localName;
    anomalies.push({
      kind: 'name-mismatch',
      message: `local header names ${JSON.stringify(localName)}, central directory ${JSON.stringify(entry.origName)} (zipfile refuses the member, PyTorch reads it)`,
      entry: entry.name,
    });
  }
}

/**
 * Walks local headers in regions no listed entry covers (bounded by MAX_LOCAL_HEADER_SCAN_BYTES): entries a stream
 * reader finds that the central directory hides. Returns true when the bound cut the search short.
 */
async function findLocalOnlyEntries(source: ByteSource, entries: ZipEntry[], anomalies: ZipAnomaly[]): Promise<boolean> {
  const covered = entries
    .filter((e) => e.dataOffset >= 0)
    .map((e) => [e.localHeaderOffset, Math.min(source.size, e.dataOffset + e.compressedSize)] as const)
    .sort((a, b) => a[0] - b[0]);
  const gaps: [number, number][] = [];
  let cursor = 0;
  for (const [from, to] of covered) {
    if (from > cursor) gaps.push([cursor, from]);
    cursor = Math.max(cursor, to);
  }
  if (source.size > cursor) gaps.push([cursor, source.size]);
  let budget = MAX_LOCAL_HEADER_SCAN_BYTES;
  const known = new Set(entries.map((e) => e.localHeaderOffset));
  for (const [from, to] of gaps) {
    let pos = from;
    while (pos + LOCAL_SIZE <= to) {
      if (budget <= 0) return true;
      if (entries.length >= MAX_ZIP_ENTRIES) {
        anomalies.push({
          kind: 'entry-limit',
          message: `more than MAX_ZIP_ENTRIES (${MAX_ZIP_ENTRIES}) entries; the rest were not listed`,
        });
        return false;
      }
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
      const entry = known.has(next) ? undefined : await localEntryAt(source, next);
      if (entry) {
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
  return false;
}

async function localEntryAt(source: ByteSource, offset: number): Promise<ZipEntry | undefined> {
  const head = await source.read(offset, LOCAL_SIZE);
  if (head.length < LOCAL_SIZE) return undefined;
  const flags = u16(head, 6);
  const method = u16(head, 8);
  const crc = u32(head, 14);
  let compressedSize = u32(head, 18);
  const uncompressedSize = u32(head, 22);
  const nameLength = u16(head, 26);
  const extraLength = u16(head, 28);
  const rawName = await source.read(offset + LOCAL_SIZE, nameLength);
  const origName = decodeName(rawName, flags, []);
  const nul = origName.indexOf('\0');
  const dataOffset = offset + LOCAL_SIZE + nameLength + extraLength;
  if (dataOffset > source.size) return undefined;
  // A data descriptor (bit 3) leaves the sizes to after the data: a stream reader decompresses until the stream ends.
  if (flags & 0x08 && compressedSize === 0) compressedSize = source.size - dataOffset;
  compressedSize = Math.min(compressedSize, source.size - dataOffset);
  return {
    name: nul >= 0 ? origName.slice(0, nul) : origName,
    origName,
    rawName: Uint8Array.from(rawName),
    method,
    flags,
    crc32: crc,
    compressedSize,
    uncompressedSize,
    localHeaderOffset: offset,
    dataOffset,
    foundBy: 'local-only',
    index: -1,
    readers: [],
  };
}
