/**
 * Writes a stream of buffers to a file at increasing offsets while the caller keeps receiving: batches go out with
 * writev (no concatenation), several at once at their own offsets, so the disk works while the next bytes arrive.
 * Memory is bounded by PIPELINED_WRITE_BATCH_BYTES x PIPELINED_WRITES_IN_FLIGHT. `onWritten` reports how far the
 * file is written without holes (writes may complete out of order).
 */
import type { FileHandle } from 'node:fs/promises';

/** Bytes gathered before one writev (network chunks are 64 KB; fewer, larger writes save syscalls). */
export const PIPELINED_WRITE_BATCH_BYTES = 4 * 1024 * 1024;
/** Batches being written at once: bounds memory per upload (4 x 4 MB) while keeping the disk busy. */
export const PIPELINED_WRITES_IN_FLIGHT = 4;

interface InFlightWrite {
  end: number;
  done: boolean;
  promise: Promise<void>;
}

export class PipelinedFileWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Writes in offset order; the head's completion advances the contiguous watermark. */
  private readonly inFlight: InFlightWrite[] = [];
  private error: unknown;

  constructor(
    private readonly handle: FileHandle,
    private position: number,
    private readonly onWritten?: (contiguousEnd: number) => void,
  ) {}

  /** Queues `chunk`; resolves once memory use is back under the bound. Throws the first write error. */
  async write(chunk: Buffer): Promise<void> {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= PIPELINED_WRITE_BATCH_BYTES) await this.flushBatch();
  }

  /** Writes what is pending, waits for every write and fsyncs the file. Returns the end offset. */
  async finish(): Promise<number> {
    await this.flushBatch();
    await this.settle();
    this.throwIfFailed();
    await this.handle.sync();
    return this.position;
  }

  /** Waits for every write to end (after an error too), without throwing. */
  async settle(): Promise<void> {
    await Promise.all(this.inFlight.map((w) => w.promise));
  }

  private throwIfFailed(): void {
    if (this.error !== undefined) throw this.error;
  }

  private async flushBatch(): Promise<void> {
    this.throwIfFailed();
    if (this.pendingBytes === 0) return;
    const buffers = this.pending;
    const length = this.pendingBytes;
    const at = this.position;
    this.pending = [];
    this.pendingBytes = 0;
    this.position += length;
    const entry: InFlightWrite = { end: at + length, done: false, promise: Promise.resolve() };
    entry.promise = this.writeAll(buffers, at, length).then(
      () => {
        entry.done = true;
        this.advanceWatermark();
      },
      (error: unknown) => {
        entry.done = true;
        this.error ??= error;
      },
    );
    this.inFlight.push(entry);
    // Completed writes behind a slower one stay listed until the watermark passes them; only running ones count.
    for (;;) {
      const running = this.inFlight.filter((w) => !w.done);
      if (running.length < PIPELINED_WRITES_IN_FLIGHT) break;
      await Promise.race(running.map((w) => w.promise));
    }
    this.throwIfFailed();
  }

  private advanceWatermark(): void {
    if (this.error !== undefined) return;
    let end: number | undefined;
    while (this.inFlight[0]?.done) end = (this.inFlight.shift() as InFlightWrite).end;
    if (end !== undefined) this.onWritten?.(end);
  }

  private async writeAll(buffers: Buffer[], at: number, length: number): Promise<void> {
    let written = (await this.handle.writev(buffers, at)).bytesWritten;
    if (written === length) return;
    // A short write (rare on regular files): write the rest from one buffer.
    const all = Buffer.concat(buffers, length);
    while (written < length) written += (await this.handle.write(all, written, length - written, at + written)).bytesWritten;
  }
}
