/**
 * The per-top-level-file scan budget (ScanBudget): one instance per file on disk (or bytes given to scanBytes),
 * shared by every nesting level. When a charge is refused the budget remembers it, and the engine adds MS-ENG-008
 * (incomplete) to the file's report: a spent budget never ends in silence, even when a handler stops without saying so.
 */
import type { ScanBudget } from './types.js';

/**
 * Bytes all decompressions of one top-level file may produce together: far above any real checkpoint's pickles and
 * configs (tensor data is never decompressed for the scan), far below what a bomb needs to exhaust memory or time.
 */
export const MAX_DECOMPRESSED_BYTES_PER_FILE = 4 * 1024 * 1024 * 1024;
/** Archive entries (zip entries, tar members) walked per top-level file, over all nesting levels. */
export const MAX_ENTRIES_PER_FILE = 200_000;

export interface ScanBudgetLimits {
  decompressedBytes?: number;
  entries?: number;
}

export function createScanBudget(limits: ScanBudgetLimits = {}): ScanBudget {
  let decompressed = Math.min(limits.decompressedBytes ?? MAX_DECOMPRESSED_BYTES_PER_FILE, MAX_DECOMPRESSED_BYTES_PER_FILE);
  let entries = Math.min(limits.entries ?? MAX_ENTRIES_PER_FILE, MAX_ENTRIES_PER_FILE);
  const exhausted = new Set<'decompressed' | 'entries'>();
  return {
    chargeDecompressed(bytes: number): boolean {
      if (bytes < 0 || !Number.isFinite(bytes) || bytes > decompressed) {
        decompressed = 0;
        exhausted.add('decompressed');
        return false;
      }
      decompressed -= bytes;
      return true;
    },
    chargeEntries(count: number): boolean {
      if (count < 0 || !Number.isFinite(count) || count > entries) {
        entries = 0;
        exhausted.add('entries');
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
    get exhausted() {
      return [...exhausted].sort();
    },
  };
}
