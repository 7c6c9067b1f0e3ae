/**
 * Tar archives listed the way CPython's `tarfile` (Lib/tarfile.py, 3.11) reads them, which is how `torch.load`'s
 * legacy path and every Python consumer of a `.tar` see them:
 *
 * - a header is any 512-byte block whose checksum (`nti` of bytes 148-156) matches the unsigned or signed sum:
 *   ustar, GNU and v7 headers without any magic alike;
 * - numeric fields are base-256 when their first byte is 0x80/0xff, else `int(nts(field).strip() or "0", 8)` with
 *   Python's `int()` rules (sign, `0o` prefix, underscores), never `parseInt`;
 * - names: the ustar prefix is joined for every non-GNU type, GNU longname/longlink blocks and pax `path`/`linkpath`
 *   records replace them, pax `size` replaces the size (a global header's size applies to the content but not to
 *   where the next header starts, as in tarfile);
 * - content: regular types (`0`, `\0`, `7`, GNU sparse `S`) AND every type tarfile does not know are extracted as
 *   file content; links, directories and devices carry none and the next header follows their header directly;
 * - the end: an all-zero block or an invalid header after the first ends the archive; members a reader with
 *   `ignore_zeros=True` would still find after that point are listed too (`afterEnd`).
 *
 * Limits end in an anomaly, never in silence: the caller turns them into incomplete findings.
 */
import type { ByteSource } from '../formats/byte-source.js';
import { pythonInt, pythonStrip } from '../formats/python/int.js';

/** Tar members listed (a bound on hostile archives; hitting it is an anomaly the archive handler reports). */
export const MAX_TAR_ENTRIES = 100_000;
/** Bytes of one pax extended header or GNU longname/longlink block read into memory (real ones hold a few names). */
export const MAX_TAR_EXTENDED_HEADER_BYTES = 16 * 1024 * 1024;
/** Headers chained before a member (pax, longname...): tarfile recurses per link and stops near Python's limit. */
export const MAX_TAR_HEADER_CHAIN = 900;
/** Bytes walked after the end of the archive for members an `ignore_zeros` reader would still find. */
export const MAX_TAR_AFTER_END_SCAN_BYTES = 64 * 1024 * 1024;
/** Longest number line of a sparse 1.0 map read (CPython's int() refuses more than 4300 digits by default). */
const MAX_SPARSE_NUMBER_CHARS = 4300 + 64;
/** GNU sparse extension blocks followed for one member. */
export const MAX_TAR_SPARSE_BLOCKS = 10_000;

const BLOCK = 512;

export interface TarMember {
  /** The member name as tarfile gives it (prefix, longname and pax path applied). */
  name: string;
  linkname: string;
  /** The type flag (one character; '\0' for the old AREGTYPE, turned into '5' for a v7 directory). */
  type: string;
  /** Bytes of content tarfile reads for it (pax and sparse sizes applied). */
  size: number;
  /** Where the member's data starts. */
  dataOffset: number;
  headerOffset: number;
  /** tarfile extracts it as file content (a regular type, or a type it does not know). */
  hasContent: boolean;
  /** GNU sparse map (offset, length) pairs: the data area holds these chunks back to back. */
  sparse?: Array<[number, number]>;
  /** Only a reader with `ignore_zeros=True` reaches it (after the end marker or an invalid header). */
  afterEnd?: true;
}

export type TarAnomalyKind =
  | 'limit'
  | 'after-end-limit'
  | 'extended-header-limit'
  | 'header-chain-limit'
  | 'negative-size'
  | 'loops'
  | 'read-error';

export interface TarAnomaly {
  kind: TarAnomalyKind;
  message: string;
  member?: string;
}

export interface TarListing {
  members: TarMember[];
  anomalies: TarAnomaly[];
}

class HeaderError extends Error {
  constructor(
    readonly kind: 'empty' | 'truncated' | 'eof' | 'invalid' | 'subsequent' | 'fatal',
    message: string,
  ) {
    super(message);
  }
}

/** Cached windowed reads (headers are read one block at a time). */
class Blocks {
  private start = -1;
  private window: Uint8Array = new Uint8Array();
  constructor(private readonly source: ByteSource) {}
  get size(): number {
    return this.source.size;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset < 0 || length <= 0) return new Uint8Array();
    if (this.start >= 0 && offset >= this.start && offset + length <= this.start + this.window.length)
      return this.window.subarray(offset - this.start, offset - this.start + length);
    if (length > 1 << 20) return this.source.read(offset, length);
    this.start = offset;
    this.window = await this.source.read(offset, 1 << 20);
    return this.window.subarray(0, Math.min(length, this.window.length));
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Python's bytes.decode('utf-8', 'surrogateescape') (tarfile's default encoding and errors on Linux). */
function decodeName(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    let out = '';
    let i = 0;
    while (i < bytes.length) {
      // Decode the longest valid sequence at i, else escape the byte as U+DC80+byte.
      let done = false;
      for (let n = Math.min(4, bytes.length - i); n >= 1; n--) {
        try {
          out += utf8.decode(bytes.subarray(i, i + n));
          i += n;
          done = true;
          break;
        } catch {
          // try shorter
        }
      }
      if (!done) {
        out += String.fromCharCode(0xdc00 + (bytes[i] as number));
        i++;
      }
    }
    return out;
  }
}

/** tarfile's nts(): cut at the first NUL. */
/**
 * `name.rstrip("/")`, in linear time. The regular expression `/\/+$/` is quadratic on a run of slashes that does
 * not end the string (it retries the run from every slash): a 200 KB pax `path` of slashes hung the scan.
 */
export function stripTrailingSlashes(name: string): string {
  let end = name.length;
  while (end > 0 && name.charCodeAt(end - 1) === 0x2f) end--;
  return end === name.length ? name : name.slice(0, end);
}

function nts(bytes: Uint8Array): Uint8Array {
  const nul = bytes.indexOf(0);
  return nul >= 0 ? bytes.subarray(0, nul) : bytes;
}

/** tarfile's nti(): base-256 when the first byte is 0o200/0o377, else `int(nts(s, 'ascii').strip() or '0', 8)`. */
export function tarNumber(field: Uint8Array): bigint {
  const first = field[0] as number;
  if (first === 0o200 || first === 0o377) {
    let n = 0n;
    for (let i = 1; i < field.length; i++) n = (n << 8n) | BigInt(field[i] as number);
    if (first === 0o377) n = -(256n ** BigInt(field.length - 1) - n);
    return n;
  }
  const text = nts(field);
  if (text.some((b) => b >= 0x80)) throw new HeaderError('invalid', 'invalid header');
  const value = pythonInt(pythonStrip(String.fromCharCode(...text)) || '0', 8);
  if (value === undefined) throw new HeaderError('invalid', 'invalid header');
  return value;
}

/** tarfile's calc_chksums(): 256 + the sum of all bytes but the checksum field, unsigned and signed. */
function checksums(buf: Uint8Array): [bigint, bigint] {
  let unsigned = 256;
  let signed = 256;
  for (let i = 0; i < BLOCK; i++) {
    if (i >= 148 && i < 156) continue;
    const b = buf[i] as number;
    unsigned += b;
    signed += b >= 128 ? b - 256 : b;
  }
  return [BigInt(unsigned), BigInt(signed)];
}

/** True when `block` is a header tarfile accepts (what `tarfile.open` needs at offset 0). */
export function isTarHeader(block: Uint8Array): boolean {
  if (block.length < BLOCK || block.subarray(0, BLOCK).every((b) => b === 0)) return false;
  try {
    const sum = tarNumber(block.subarray(148, 156));
    const [unsigned, signed] = checksums(block);
    return sum === unsigned || sum === signed;
  } catch {
    return false;
  }
}

const REGULAR = new Set(['0', '\0', '7', 'S']);
const SUPPORTED = new Set(['0', '\0', '1', '2', '5', '6', '7', '3', '4', 'L', 'K', 'S']);
const GNU_TYPES = new Set(['L', 'K', 'S']);

function blockOf(count: number): number {
  // divmod rounding as tarfile's _block(): works for negative counts too (-1 -> 0, -512 -> -512).
  const blocks = Math.floor(count / BLOCK) + (count % BLOCK !== 0 ? 1 : 0);
  return blocks * BLOCK;
}

interface Info {
  name: string;
  linkname: string;
  type: string;
  size: number;
  headerOffset: number;
  dataOffset: number;
  /** tarfile.offset after this member (where the next header is read). */
  next: number;
  sparse?: Array<[number, number]>;
  pax?: Map<string, string>;
}

function safeSize(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER)
    ? Number.MAX_SAFE_INTEGER
    : value < -BigInt(Number.MAX_SAFE_INTEGER)
      ? -Number.MAX_SAFE_INTEGER
      : Number(value);
}

function isReg(info: Info): boolean {
  return REGULAR.has(info.type);
}
function hasContent(info: Info): boolean {
  return isReg(info) || !SUPPORTED.has(info.type);
}

class Reader {
  readonly anomalies: TarAnomaly[] = [];
  globalPax = new Map<string, string>();
  constructor(private readonly blocks: Blocks) {}

  /** TarInfo.fromtarfile(): the member whose first header is at `pos`. */
  async fromTarfile(pos: number, depth: number): Promise<Info> {
    if (depth > MAX_TAR_HEADER_CHAIN) {
      this.anomalies.push({
        kind: 'header-chain-limit',
        message: `more than MAX_TAR_HEADER_CHAIN (${MAX_TAR_HEADER_CHAIN}) extended headers chained before one member`,
      });
      throw new HeaderError('fatal', 'header chain too long');
    }
    const buf = await this.blocks.read(pos, BLOCK);
    if (buf.length === 0) throw new HeaderError('empty', 'empty header');
    if (buf.length !== BLOCK) throw new HeaderError('truncated', 'truncated header');
    if (buf.every((b) => b === 0)) throw new HeaderError('eof', 'end of file header');
    const sum = tarNumber(buf.subarray(148, 156));
    const [unsigned, signed] = checksums(buf);
    if (sum !== unsigned && sum !== signed) throw new HeaderError('invalid', 'bad checksum');
    const info: Info = {
      name: decodeName(nts(buf.subarray(0, 100))),
      linkname: decodeName(nts(buf.subarray(157, 257))),
      type: String.fromCharCode(buf[156] as number),
      size: safeSize(tarNumber(buf.subarray(124, 136))),
      headerOffset: pos,
      dataOffset: pos + BLOCK,
      next: pos + BLOCK,
    };
    for (const [from, to] of [
      [100, 108],
      [108, 116],
      [116, 124],
      [136, 148],
      [329, 337],
      [337, 345],
    ] as const)
      tarNumber(buf.subarray(from, to)); // tarfile parses mode, uid, gid, mtime, devmajor, devminor: errors count
    const prefix = decodeName(nts(buf.subarray(345, 500)));
    if (info.type === '\0' && info.name.endsWith('/')) info.type = '5';
    let sparseHead: { structs: Array<[number, number]>; extended: boolean; origsize: number } | undefined;
    if (info.type === 'S') {
      const structs: Array<[number, number]> = [];
      let at = 386;
      for (let i = 0; i < 4; i++) {
        structs.push([safeSize(tarNumber(buf.subarray(at, at + 12))), safeSize(tarNumber(buf.subarray(at + 12, at + 24)))]);
        at += 24;
      }
      sparseHead = { structs, extended: buf[482] !== 0, origsize: safeSize(tarNumber(buf.subarray(483, 495))) };
    }
    if (info.type === '5') info.name = stripTrailingSlashes(info.name);
    if (prefix && !GNU_TYPES.has(info.type)) info.name = `${prefix}/${info.name}`;
    return this.procMember(info, depth, sparseHead);
  }

  private async procMember(
    info: Info,
    depth: number,
    sparseHead?: { structs: Array<[number, number]>; extended: boolean; origsize: number },
  ): Promise<Info> {
    if (info.type === 'L' || info.type === 'K') return this.procGnuLong(info, depth);
    if (info.type === 'S' && sparseHead) return this.procSparse(info, sparseHead);
    if (info.type === 'x' || info.type === 'g' || info.type === 'X') return this.procPax(info, depth);
    // _proc_builtin
    info.next = info.dataOffset + (hasContent(info) ? blockOf(info.size) : 0);
    this.applyPax(info, this.globalPax);
    if (info.type === '5') info.name = stripTrailingSlashes(info.name);
    return info;
  }

  private async readExtended(info: Info): Promise<Uint8Array> {
    const length = blockOf(info.size);
    if (length < 0) throw new HeaderError('fatal', 'negative extended header size');
    if (length > MAX_TAR_EXTENDED_HEADER_BYTES) {
      this.anomalies.push({
        kind: 'extended-header-limit',
        message: `an extended header of ${info.size} bytes exceeds MAX_TAR_EXTENDED_HEADER_BYTES (${MAX_TAR_EXTENDED_HEADER_BYTES})`,
        member: info.name,
      });
      throw new HeaderError('fatal', 'extended header too large');
    }
    return this.blocks.read(info.dataOffset, length);
  }

  private async next(pos: number, depth: number): Promise<Info> {
    try {
      return await this.fromTarfile(pos, depth + 1);
    } catch (error) {
      if (error instanceof HeaderError && error.kind !== 'fatal') throw new HeaderError('subsequent', error.message);
      throw error;
    }
  }

  private async procGnuLong(info: Info, depth: number): Promise<Info> {
    const buf = await this.readExtended(info);
    const next = await this.next(info.dataOffset + blockOf(info.size), depth);
    next.headerOffset = info.headerOffset;
    if (info.type === 'L') next.name = decodeName(nts(buf));
    else next.linkname = decodeName(nts(buf));
    if (next.type === '5' && next.name.endsWith('/')) next.name = next.name.slice(0, -1);
    return next;
  }

  private async procSparse(
    info: Info,
    head: { structs: Array<[number, number]>; extended: boolean; origsize: number },
  ): Promise<Info> {
    const structs = [...head.structs];
    let extended = head.extended;
    let at = info.dataOffset;
    for (let n = 0; extended; n++) {
      if (n >= MAX_TAR_SPARSE_BLOCKS) throw new HeaderError('fatal', 'too many sparse extension blocks');
      const buf = await this.blocks.read(at, BLOCK);
      at += BLOCK;
      let pos = 0;
      for (let i = 0; i < 21; i++) {
        // tarfile's `except ValueError: break` does not catch nti's InvalidHeaderError: a bad field ends the archive.
        const offset = safeSize(tarNumber(buf.subarray(pos, pos + 12)));
        const count = safeSize(tarNumber(buf.subarray(pos + 12, pos + 24)));
        if (offset && count) structs.push([offset, count]);
        pos += 24;
      }
      extended = buf[504] !== undefined && buf[504] !== 0;
    }
    info.sparse = structs;
    info.dataOffset = at;
    info.next = at + blockOf(info.size);
    info.size = head.origsize;
    return info;
  }

  private async procPax(info: Info, depth: number): Promise<Info> {
    const buf = await this.readExtended(info);
    const pax = info.type === 'g' ? this.globalPax : new Map(this.globalPax);
    const raw: Array<[Uint8Array, Uint8Array]> = [];
    let pos = 0;
    let binary: boolean | undefined;
    while (buf.length > pos && buf[pos] !== 0) {
      // _header_length_prefix_re = rb"([0-9]{1,20}) " matched at pos.
      let digits = 0;
      while (
        digits < 21 &&
        pos + digits < buf.length &&
        (buf[pos + digits] as number) >= 0x30 &&
        (buf[pos + digits] as number) <= 0x39
      )
        digits++;
      if (digits === 0 || digits > 20 || buf[pos + digits] !== 0x20) throw new HeaderError('invalid', 'invalid header');
      const length = Number(String.fromCharCode(...buf.subarray(pos, pos + digits)));
      if (length < 5 || pos + length > buf.length) throw new HeaderError('invalid', 'invalid header');
      const valueEnd = pos + length - 1;
      const record = buf.subarray(pos + digits + 1, valueEnd);
      const eq = record.indexOf(0x3d);
      if (eq <= 0 || buf[valueEnd] !== 0x0a) throw new HeaderError('invalid', 'invalid header');
      const keyword = record.subarray(0, eq);
      const value = record.subarray(eq + 1);
      raw.push([keyword, value]);
      if (binary === undefined && String.fromCharCode(...keyword) === 'hdrcharset')
        binary = String.fromCharCode(...value) === 'BINARY';
      pos += length;
    }
    for (const [keyword, value] of raw) pax.set(decodeName(keyword), decodeName(value));
    const next = await this.next(info.dataOffset + blockOf(info.size), depth);
    if (pax.has('GNU.sparse.map')) {
      const numbers = (pax.get('GNU.sparse.map') as string).split(',').map((x) => pythonInt(x, 10));
      if (numbers.some((n) => n === undefined)) throw new HeaderError('fatal', 'invalid GNU.sparse.map');
      const values = numbers.map((n) => safeSize(n as bigint));
      next.sparse = [];
      for (let i = 0; i + 1 < values.length; i += 2) next.sparse.push([values[i] as number, values[i + 1] as number]);
    } else if (pax.has('GNU.sparse.size')) {
      const offsets: number[] = [];
      const counts: number[] = [];
      for (const [keyword, value] of raw) {
        const key = String.fromCharCode(...keyword);
        if (key !== 'GNU.sparse.offset' && key !== 'GNU.sparse.numbytes') continue;
        const n = pythonInt(decodeName(value), 10);
        if (n === undefined) throw new HeaderError('invalid', 'invalid header');
        (key === 'GNU.sparse.offset' ? offsets : counts).push(safeSize(n));
      }
      next.sparse = offsets.slice(0, counts.length).map((o, i) => [o, counts[i] as number]);
    } else if (pax.get('GNU.sparse.major') === '1' && pax.get('GNU.sparse.minor') === '0') {
      // Version 1.0: the map is at the start of the data area, newline-separated numbers.
      let at = next.dataOffset;
      let text = String.fromCharCode(...(await this.blocks.read(at, BLOCK)));
      at += BLOCK;
      const take = async (): Promise<bigint> => {
        // Only the newly read block is searched for the newline (searching the whole line again per block was
        // quadratic), and a line longer than CPython's int() accepts by default (4300 digits) is refused.
        let nl = text.indexOf('\n');
        for (let guard = 0; nl < 0; guard++) {
          if (guard > MAX_TAR_SPARSE_BLOCKS || text.length > MAX_SPARSE_NUMBER_CHARS)
            throw new HeaderError('fatal', 'sparse map too long');
          const more = await this.blocks.read(at, BLOCK);
          if (more.length === 0) throw new HeaderError('fatal', 'sparse map truncated');
          const from = text.length;
          text += String.fromCharCode(...more);
          at += BLOCK;
          nl = text.indexOf('\n', from);
        }
        if (nl > MAX_SPARSE_NUMBER_CHARS) throw new HeaderError('fatal', 'sparse map number too long');
        const n = pythonInt(text.slice(0, nl), 10);
        text = text.slice(nl + 1);
        if (n === undefined) throw new HeaderError('fatal', 'invalid sparse map');
        return n;
      };
      const fields = safeSize(await take());
      const sparse: Array<[number, number]> = [];
      for (let i = 0; i < fields && i < MAX_TAR_SPARSE_BLOCKS * 21; i++)
        sparse.push([safeSize(await take()), safeSize(await take())]);
      next.dataOffset = at;
      next.sparse = sparse;
    }
    if (info.type === 'x' || info.type === 'X') {
      this.applyPax(next, pax);
      next.headerOffset = info.headerOffset;
      if (pax.has('size')) next.next = next.dataOffset + (hasContent(next) ? blockOf(next.size) : 0);
    }
    return next;
  }

  /** TarInfo._apply_pax_info(). */
  private applyPax(info: Info, pax: Map<string, string>): void {
    for (const [keyword, value] of pax) {
      if (keyword === 'GNU.sparse.name') info.name = value;
      else if (keyword === 'GNU.sparse.size' || keyword === 'GNU.sparse.realsize') {
        const n = pythonInt(value, 10);
        if (n === undefined) throw new HeaderError('fatal', `invalid ${keyword}`);
        info.size = safeSize(n);
      } else if (keyword === 'path') info.name = stripTrailingSlashes(value);
      else if (keyword === 'linkpath') info.linkname = value;
      else if (keyword === 'size') info.size = safeSize(pythonInt(value, 10) ?? 0n);
    }
    info.pax = new Map(pax);
  }
}

function toMember(info: Info, afterEnd: boolean): TarMember {
  return {
    name: info.name,
    linkname: info.linkname,
    type: info.type,
    size: info.size,
    dataOffset: info.dataOffset,
    headerOffset: info.headerOffset,
    hasContent: hasContent(info),
    ...(info.sparse ? { sparse: info.sparse } : {}),
    ...(afterEnd ? { afterEnd: true as const } : {}),
  };
}

/**
 * Lists the members of a tar archive as tarfile reads them (see the module comment), then the members a reader
 * with ignore_zeros would find after tarfile's end. More than `limit` members: the listing stops at `limit` with a
 * `limit` anomaly (found by reading one member past it: never a silent cut).
 */
export async function readTarListing(source: ByteSource, limit = MAX_TAR_ENTRIES): Promise<TarListing> {
  const blocks = new Blocks(source);
  const reader = new Reader(blocks);
  const members: TarMember[] = [];
  let offset = 0;
  let ignoreZeros = false;
  let afterEndFrom = -1;
  while (true) {
    if (ignoreZeros && offset - afterEndFrom > MAX_TAR_AFTER_END_SCAN_BYTES) {
      if (offset < source.size)
        reader.anomalies.push({
          kind: 'after-end-limit',
          message: `more than MAX_TAR_AFTER_END_SCAN_BYTES (${MAX_TAR_AFTER_END_SCAN_BYTES}) bytes follow the end of the archive; they were not searched for members`,
        });
      break;
    }
    let info: Info;
    try {
      info = await reader.fromTarfile(offset, 0);
    } catch (error) {
      if (!(error instanceof HeaderError)) throw error;
      if (error.kind === 'empty' || error.kind === 'truncated') break;
      if (error.kind === 'eof' || error.kind === 'invalid') {
        if (!ignoreZeros) {
          if (error.kind === 'invalid' && offset === 0) break; // not a tar at all
          ignoreZeros = true;
          afterEndFrom = offset;
        }
        offset += BLOCK;
        continue;
      }
      // A subsequent header error or a limit: tarfile raises ReadError; what follows is not read by it.
      reader.anomalies.push({ kind: 'read-error', message: `tarfile stops with an error at offset ${offset}: ${error.message}` });
      break;
    }
    if (members.length >= limit) {
      reader.anomalies.push({ kind: 'limit', message: `more than ${limit} members; the rest were not listed` });
      break;
    }
    members.push(toMember(info, ignoreZeros));
    if (info.size < 0)
      reader.anomalies.push({
        kind: 'negative-size',
        message: `member ${info.name} declares a negative size (${info.size})`,
        member: info.name,
      });
    if (info.next <= info.headerOffset) {
      reader.anomalies.push({
        kind: 'loops',
        message: `member ${info.name} sends tarfile back to offset ${info.next}: it would read the same headers forever`,
        member: info.name,
      });
      break;
    }
    offset = info.next;
  }
  return { members, anomalies: reader.anomalies };
}

/** The members' names and data (kept for callers that only need the listing). */
export async function listTar(source: ByteSource, limit = MAX_TAR_ENTRIES): Promise<TarMember[]> {
  return (await readTarListing(source, limit)).members;
}
