/**
 * A ScanContext for the pickle family alone (no engine): nested bytes are detected by content among the pickle
 * family's formats only (pickle, .npy, zip). Used by tests, benchmarks, and callers that scan one pickle.
 */
import { memorySource } from '../../formats/byte-source.js';
import { createScanBudget } from '../budget.js';
import { joblibCodec, joblibHandler } from '../handlers/joblib.js';
import { numpyHandler } from '../handlers/numpy.js';
import { pickleHandler } from '../handlers/pickle.js';
import { pytorchZipHandler } from '../handlers/pytorch-zip.js';
import type { DetectedFormat, FormatHandler, HandlerConfig, ScanContext } from '../types.js';
import { makeFinding } from './findings.js';
import { MAX_PICKLE_NESTING } from './limits.js';
import { looksLikePickle } from './looks-like-pickle.js';

export const DEFAULT_HANDLER_CONFIG: HandlerConfig = { allowedGlobals: [], strict: false };

function detectLite(bytes: Uint8Array): { format: DetectedFormat; handler?: FormatHandler } {
  if (bytes[0] === 0x93 && bytes[1] === 0x4e && bytes[2] === 0x55) return { format: 'numpy', handler: numpyHandler };
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return { format: 'zip', handler: pytorchZipHandler };
  if (looksLikePickle(bytes)) return { format: 'pickle', handler: pickleHandler };
  if (joblibCodec(bytes) !== 'none') return { format: 'joblib', handler: joblibHandler };
  return { format: 'unknown' };
}

export function standaloneScanContext(
  config: HandlerConfig = DEFAULT_HANDLER_CONFIG,
  depth = 0,
  members: readonly string[] = [],
): ScanContext {
  return {
    config,
    budget: createScanBudget(),
    hints: {},
    depth,
    members,
    async scanNested(bytes, member) {
      const inner = [...members, member];
      if (depth + 1 > MAX_PICKLE_NESTING) {
        return {
          findings: [
            makeFinding('MS-PKL-010', 'Limit MAX_PICKLE_NESTING reached', { members: inner }, { limit: 'MAX_PICKLE_NESTING' }),
          ],
          errors: [],
          format: 'unknown',
        };
      }
      const { format, handler } = detectLite(bytes);
      if (!handler) return { findings: [], errors: [], format };
      const result = await handler.scan(memorySource(bytes), standaloneScanContext(config, depth + 1, inner));
      return { findings: result.findings, errors: result.errors, format: result.format ?? format };
    },
  };
}
