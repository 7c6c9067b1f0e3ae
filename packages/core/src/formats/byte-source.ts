import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { toModelsecError } from '../errors/index.js';

/**
 * Random access to the bytes of a file or an in-memory buffer. Parsers read only what they need (a zip's central
 * directory, a pickle member, a safetensors header), so a multi-GB checkpoint costs the size of its metadata.
 */
export interface ByteSource {
  readonly size: number;
  /** The file on disk, when the bytes come from one (libraries that only open paths, such as HDF5, use it). */
  readonly path?: string;
  /** Reads up to `length` bytes at `offset` (fewer only at the end of the source). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Reads up to `length` bytes at `offset` into `target` at `targetOffset`; resolves to the count read (0 at the end).
   * Only sources that can fill a caller's buffer have it (a file): a whole-file read then fills one buffer in steps.
   */
  readInto?(target: Uint8Array, targetOffset: number, offset: number, length: number): Promise<number>;
  close(): Promise<void>;
}

export function memorySource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(Math.max(0, offset), Math.min(bytes.length, offset + Math.max(0, length))),
    close: async () => {},
  };
}

export async function fileSource(path: string): Promise<ByteSource> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw toModelsecError(error);
  }
  const { size } = await handle.stat();
  return {
    size,
    path,
    async read(offset, length) {
      const start = Math.max(0, offset);
      const want = Math.max(0, Math.min(length, size - start));
      const buffer = Buffer.allocUnsafe(want);
      let filled = 0;
      while (filled < want) {
        const { bytesRead } = await handle.read(buffer, filled, want - filled, start + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return filled === want ? buffer : buffer.subarray(0, filled);
    },
    async readInto(target, targetOffset, offset, length) {
      const want = Math.max(0, Math.min(length, size - offset, target.length - targetOffset));
      if (want === 0 || offset < 0) return 0;
      return (await handle.read(target, targetOffset, want, offset)).bytesRead;
    },
    close: () => handle.close(),
  };
}
