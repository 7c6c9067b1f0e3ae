/**
 * Windowed random access over a ByteSource for the structural readers of formats/structures: a read is served
 * from the current window when it lies inside it, else one read of at least WINDOW_BYTES refills it. Walking a
 * multi-GB file record by record costs its metadata, not its size.
 */
import { ModelsecError } from '../../errors/index.js';
import type { ByteSource } from '../byte-source.js';

/** Bytes fetched per refill: one read covers many small records. */
export const WINDOW_BYTES = 1024 * 1024;

export class Window {
  private buf: Uint8Array = new Uint8Array(0);
  private start = 0;
  constructor(
    readonly source: ByteSource,
    /** Named in errors ("parquet: truncated at ..."). */
    private readonly what: string,
  ) {}

  get size(): number {
    return this.source.size;
  }

  /** The `n` bytes at `pos`; FORMAT_INVALID when they run past the end. */
  async bytes(pos: number, n: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(pos) || !Number.isSafeInteger(n) || pos < 0 || n < 0 || pos + n > this.source.size)
      throw new ModelsecError('FORMAT_INVALID', `${this.what}: truncated at offset ${pos}`, { details: { offset: pos } });
    if (pos < this.start || pos + n > this.start + this.buf.length) {
      this.buf = await this.source.read(pos, Math.max(n, WINDOW_BYTES));
      this.start = pos;
    }
    return this.buf.subarray(pos - this.start, pos - this.start + n);
  }

  async view(pos: number, n: number): Promise<DataView> {
    const b = await this.bytes(pos, n);
    return new DataView(b.buffer, b.byteOffset, b.length);
  }

  async u8(pos: number): Promise<number> {
    return (await this.bytes(pos, 1))[0] as number;
  }
}

export function invalid(what: string, message: string, details: Record<string, unknown> = {}): ModelsecError {
  return new ModelsecError('FORMAT_INVALID', `${what}: ${message}`, { details });
}

export function limit(what: string, message: string, name: string): ModelsecError {
  return new ModelsecError('LIMIT_EXCEEDED', `${what}: ${message} (${name})`, { details: { limit: name } });
}
