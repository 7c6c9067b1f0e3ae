/**
 * The per-top-level-file scan budget (ScanBudget): one instance per file on disk, shared by every nesting level.
 */
import type { ScanBudget } from './types.js';

/**
 * Bytes all decompressions of one top-level file may produce together: far above any real checkpoint's pickles and
 * configs (tensor data is never decompressed for the scan), far below what a bomb needs to exhaust memory or time.
 */
export const MAX_DECOMPRESSED_BYTES_PER_FILE = 4 * 1024 * 1024 * 1024;
/** Archive entries (zip entries, tar members) walked per top-level file, over all nesting levels. */
export const MAX_ENTRIES_PER_FILE = 200_000;

export function createScanBudget(limits: { decompressedBytes?: number; entries?: number } = {}): ScanBudget {
  let decompressed = limits.decompressedBytes ?? MAX_DECOMPRESSED_BYTES_PER_FILE;
  let entries = limits.entries ?? MAX_ENTRIES_PER_FILE;
  return {
    chargeDecompressed(bytes: number): boolean {
      if (bytes < 0 || !Number.isFinite(bytes)) return false;
      if (bytes > decompressed) {
        decompressed = 0;
        return false;
      }
      decompressed -= bytes;
      return true;
    },
    chargeEntries(count: number): boolean {
      if (count < 0 || !Number.isFinite(count)) return false;
      if (count > entries) {
        entries = 0;
        return false;
      }
      entries -= count;
      return true;
    },
    get remainingDecompressed() {
      return decompressed;
    },
    get remainingEntries() {
      return entries;
    },
  };
}
