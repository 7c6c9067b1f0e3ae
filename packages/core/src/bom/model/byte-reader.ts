import type { ByteSource } from '../../formats/byte-source.js';

/** Thrown by header readers when the bytes are not what the format says; the builder turns it into a warning. */
export class HeaderError extends Error {}

/** Read-ahead size: one request per chunk keeps HTTP range sources cheap while headers are walked sequentially. */
const READ_AHEAD_BYTES = 1024 * 1024;

/** Sequential little-endian reader over a ByteSource with read-ahead, for walking headers without loading files. */
export class ByteReader {
  private buffer: Uint8Array = new Uint8Array(0);
  private bufferStart = 0;
  offset: number;

  constructor(
    private readonly source: ByteSource,
    start = 0,
    private readonly limit = source.size,
  ) {
    this.offset = start;
  }

  async bytes(length: number): Promise<Uint8Array> {
    if (length < 0 || this.offset + length > Math.min(this.limit, this.source.size)) {
      throw new HeaderError(`truncated: wanted ${length} bytes at offset ${this.offset}, file has ${this.source.size}`);
    }
    const end = this.bufferStart + this.buffer.length;
    if (this.offset < this.bufferStart || this.offset + length > end) {
      const want = Math.max(length, READ_AHEAD_BYTES);
      this.buffer = await this.source.read(this.offset, Math.min(want, this.source.size - this.offset));
      this.bufferStart = this.offset;
      if (this.buffer.length < length) throw new HeaderError(`truncated at offset ${this.offset}`);
    }
    const at = this.offset - this.bufferStart;
    this.offset += length;
    return this.buffer.subarray(at, at + length);
  }

  skip(length: number): void {
    if (length < 0 || this.offset + length > this.source.size) throw new HeaderError(`truncated: cannot skip ${length} bytes`);
    this.offset += length;
  }

  private async view(length: number): Promise<DataView> {
    const b = await this.bytes(length);
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  async u8(): Promise<number> {
    return (await this.view(1)).getUint8(0);
  }
  async u16(): Promise<number> {
    return (await this.view(2)).getUint16(0, true);
  }
  async u32(): Promise<number> {
    return (await this.view(4)).getUint32(0, true);
  }
  async i32(): Promise<number> {
    return (await this.view(4)).getInt32(0, true);
  }
  /** A u64 as a number; throws above Number.MAX_SAFE_INTEGER (no real header field needs more). */
  async u64(): Promise<number> {
    const v = (await this.view(8)).getBigUint64(0, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new HeaderError(`64-bit value ${v} too large at offset ${this.offset - 8}`);
    return Number(v);
  }
  async i64(): Promise<number> {
    return Number((await this.view(8)).getBigInt64(0, true));
  }
  async f32(): Promise<number> {
    return (await this.view(4)).getFloat32(0, true);
  }
  async f64(): Promise<number> {
    return (await this.view(8)).getFloat64(0, true);
  }
}
