/**
 * Reads the entries of an OSV zip export (osv.dev's per-ecosystem `all.zip`) one at a time, with bounded memory:
 * the central directory is parsed into typed arrays (offset, sizes, method per entry: ~25 bytes an entry), then
 * the entries are read in file order through one window of OSV_READ_WINDOW_BYTES and inflated one by one. The
 * whole archive is never held, and a record is dropped as soon as the caller has looked at it.
 *
 * Zip64 (an export with more than 65,535 records) is read. Anything that is not a well-formed zip of stored or
 * deflated entries is a ZipReadError naming the problem, never a crash.
 */
import type { FileHandle } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import { MAX_OSV_RECORD_BYTES, MAX_OSV_ZIP_ENTRIES, OSV_READ_WINDOW_BYTES } from './limits.js';

export class ZipReadError extends Error {
  constructor(
    message: string,
    readonly entry?: string,
    readonly limit?: string,
  ) {
    super(message);
  }
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
/** End record (22 bytes) plus the longest comment (65,535 bytes). */
const EOCD_SEARCH_BYTES = 22 + 65_535;

async function readAt(handle: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

/** Sequential reads through one window, refilled as the reader moves forward. */
class Window {
  private buffer: Buffer = Buffer.alloc(0);
  private start = 0;
  constructor(
    private readonly handle: FileHandle,
    private readonly size: number,
  ) {}

  async bytes(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || offset + length > this.size) throw new ZipReadError(`read past the end of the file at offset ${offset}`);
    if (offset >= this.start && offset + length <= this.start + this.buffer.length)
      return this.buffer.subarray(offset - this.start, offset - this.start + length);
    const want = Math.min(this.size - offset, Math.max(length, OSV_READ_WINDOW_BYTES));
    this.buffer = await readAt(this.handle, offset, want);
    this.start = offset;
    if (this.buffer.length < length) throw new ZipReadError(`file truncated at offset ${offset}`);
    return this.buffer.subarray(0, length);
  }
}

interface Directory {
  count: number;
  offset: number;
  size: number;
}

async function findDirectory(handle: FileHandle, size: number): Promise<Directory> {
  if (size < 22) throw new ZipReadError('too short to be a zip (no end of central directory record)');
  const tailLength = Math.min(size, EOCD_SEARCH_BYTES);
  const tail = await readAt(handle, size - tailLength, tailLength);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG && i + 22 + tail.readUInt16LE(i + 20) <= tail.length) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new ZipReadError('not a zip: no end of central directory record');
  let count = tail.readUInt16LE(at + 10);
  let dirSize = tail.readUInt32LE(at + 12);
  let dirOffset = tail.readUInt32LE(at + 16);
  const eocdOffset = size - tailLength + at;
  if ((count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) && eocdOffset >= 20) {
    const locator = await readAt(handle, eocdOffset - 20, 20);
    if (locator.readUInt32LE(0) === ZIP64_LOCATOR_SIG) {
      const z64Offset = Number(locator.readBigUInt64LE(8));
      if (z64Offset + 56 > size) throw new ZipReadError('zip64 end record points past the end of the file');
      const z64 = await readAt(handle, z64Offset, 56);
      if (z64.readUInt32LE(0) !== ZIP64_EOCD_SIG) throw new ZipReadError('zip64 end record signature missing');
      count = Number(z64.readBigUInt64LE(32));
      dirSize = Number(z64.readBigUInt64LE(40));
      dirOffset = Number(z64.readBigUInt64LE(48));
    }
  }
  if (dirOffset + dirSize > size) throw new ZipReadError('central directory points past the end of the file');
  if (count > MAX_OSV_ZIP_ENTRIES)
    throw new ZipReadError(
      `${count} entries, over MAX_OSV_ZIP_ENTRIES (${MAX_OSV_ZIP_ENTRIES})`,
      undefined,
      'MAX_OSV_ZIP_ENTRIES',
    );
  return { count, offset: dirOffset, size: dirSize };
}

/** One entry handed to the caller: its name and its inflated bytes. */
export interface ZipRecordEntry {
  name: string;
  data: Buffer;
}

/** The central directory as typed arrays (about 26 bytes an entry), entry indices sorted by file offset. */
export interface ZipDirectory {
  count: number;
  offsets: Float64Array;
  compressed: Float64Array;
  uncompressed: Float64Array;
  methods: Uint16Array;
  /** Entry indices in file order. */
  order: Uint32Array;
}

/** Reads and checks the central directory. */
export async function readZipDirectory(handle: FileHandle, size: number): Promise<ZipDirectory> {
  const dir = await findDirectory(handle, size);
  const window = new Window(handle, size);
  const offsets = new Float64Array(dir.count);
  const compressed = new Float64Array(dir.count);
  const uncompressed = new Float64Array(dir.count);
  const methods = new Uint16Array(dir.count);
  let pos = dir.offset;
  const end = dir.offset + dir.size;
  for (let i = 0; i < dir.count; i++) {
    if (pos + 46 > end) throw new ZipReadError(`central directory ends after ${i} of ${dir.count} entries`);
    const head = await window.bytes(pos, 46);
    if (head.readUInt32LE(0) !== CENTRAL_SIG) throw new ZipReadError(`central directory entry ${i} has a bad signature`);
    methods[i] = head.readUInt16LE(10);
    let csize = head.readUInt32LE(20);
    let usize = head.readUInt32LE(24);
    const nameLength = head.readUInt16LE(28);
    const extraLength = head.readUInt16LE(30);
    const commentLength = head.readUInt16LE(32);
    let offset = head.readUInt32LE(42);
    if (pos + 46 + nameLength + extraLength + commentLength > end)
      throw new ZipReadError(`central directory entry ${i} runs past the directory`);
    if (csize === 0xffffffff || usize === 0xffffffff || offset === 0xffffffff) {
      const extra = await window.bytes(pos + 46 + nameLength, extraLength);
      for (let e = 0; e + 4 <= extra.length; ) {
        const id = extra.readUInt16LE(e);
        const len = extra.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let f = e + 4;
          const field = (): number => {
            if (f + 8 > e + 4 + len) throw new ZipReadError(`central directory entry ${i} has a short zip64 field`);
            const v = Number(extra.readBigUInt64LE(f));
            f += 8;
            return v;
          };
          if (usize === 0xffffffff) usize = field();
          if (csize === 0xffffffff) csize = field();
          if (offset === 0xffffffff) offset = field();
          break;
        }
        e += 4 + len;
      }
    }
    offsets[i] = offset;
    compressed[i] = csize;
    uncompressed[i] = usize;
    pos += 46 + nameLength + extraLength + commentLength;
  }
  const order = Uint32Array.from({ length: dir.count }, (_, i) => i).sort((a, b) => (offsets[a] ?? 0) - (offsets[b] ?? 0));
  return { count: dir.count, offsets, compressed, uncompressed, methods, order };
}

/** The file entries whose positions in file order are in [from, to), inflated one at a time. */
export async function* readZipEntries(
  handle: FileHandle,
  size: number,
  dir: ZipDirectory,
  from = 0,
  to = dir.count,
): AsyncGenerator<ZipRecordEntry> {
  const window = new Window(handle, size);
  for (let k = from; k < to; k++) {
    const i = dir.order[k] as number;
    const offset = dir.offsets[i] as number;
    const local = await window.bytes(offset, 30);
    if (local.readUInt32LE(0) !== LOCAL_SIG) throw new ZipReadError(`no local header at offset ${offset}`);
    const nameLength = local.readUInt16LE(26);
    const extraLength = local.readUInt16LE(28);
    const name = (await window.bytes(offset + 30, nameLength)).toString('utf8');
    if (name.endsWith('/')) continue;
    const csize = dir.compressed[i] as number;
    const usize = dir.uncompressed[i] as number;
    if (csize > MAX_OSV_RECORD_BYTES || usize > MAX_OSV_RECORD_BYTES)
      throw new ZipReadError(
        `entry of ${Math.max(csize, usize)} bytes, over MAX_OSV_RECORD_BYTES (${MAX_OSV_RECORD_BYTES})`,
        name,
        'MAX_OSV_RECORD_BYTES',
      );
    const raw = await window.bytes(offset + 30 + nameLength + extraLength, csize);
    let data: Buffer;
    const method = dir.methods[i];
    if (method === 0) data = raw;
    else if (method === 8) {
      try {
        data = inflateRawSync(raw, { maxOutputLength: MAX_OSV_RECORD_BYTES });
      } catch (error) {
        throw new ZipReadError(`cannot inflate: ${(error as Error).message}`, name);
      }
    } else throw new ZipReadError(`compression method ${method} is not stored or deflate`, name);
    if (data.length !== usize) throw new ZipReadError(`inflated to ${data.length} bytes, the directory says ${usize}`, name);
    yield { name, data };
  }
}

export interface ZipEntryIteration {
  /** Number of entries in the archive (directories included). */
  total: number;
  entries: AsyncGenerator<ZipRecordEntry>;
}

/** Lists the archive and returns an iterator over all its file entries in file order. */
export async function iterateZipEntries(handle: FileHandle, size: number): Promise<ZipEntryIteration> {
  const dir = await readZipDirectory(handle, size);
  return { total: dir.count, entries: readZipEntries(handle, size, dir) };
}
