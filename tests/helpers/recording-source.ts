/** A ByteSource over bytes in memory that counts what is read, for tests that a reader skips what it should. */
import { type ByteSource, memorySource } from '../../packages/core/src/formats/byte-source.js';

export function recordingSource(bytes: Uint8Array): { source: ByteSource; bytesRead: () => number } {
  const inner = memorySource(bytes);
  let total = 0;
  return {
    bytesRead: () => total,
    source: {
      size: inner.size,
      read: async (offset, length) => {
        const got = await inner.read(offset, length);
        total += got.length;
        return got;
      },
      close: inner.close,
    },
  };
}
