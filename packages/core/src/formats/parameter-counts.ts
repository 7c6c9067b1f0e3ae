import { ModelsecError } from '../errors/index.js';

/** Elements over all tensors of a weights file, in total and per dtype (e.g. { BF16: 1234 }). */
export interface ParameterCounts {
  parameterCount: number;
  /** Keys sorted by name. */
  dtypes: Record<string, number>;
}

/**
 * Sums tensor elements per dtype. Counts are kept as bigint while summing; FORMAT_INVALID (naming the format)
 * when a total does not fit a safe integer, which only a header lying about its shapes can reach.
 */
export function countParameters(tensors: Iterable<{ dtype: string; elements: bigint }>, format: string): ParameterCounts {
  let total = 0n;
  const byDtype = new Map<string, bigint>();
  for (const t of tensors) {
    total += t.elements;
    byDtype.set(t.dtype, (byDtype.get(t.dtype) ?? 0n) + t.elements);
  }
  const safe = (n: bigint): number => {
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new ModelsecError('FORMAT_INVALID', `${format}: parameter count ${n} is beyond Number.MAX_SAFE_INTEGER`, {
        details: { field: 'shape', value: n.toString() },
      });
    }
    return Number(n);
  };
  const dtypes: Record<string, number> = {};
  for (const dtype of [...byDtype.keys()].sort()) dtypes[dtype] = safe(byDtype.get(dtype) as bigint);
  return { parameterCount: safe(total), dtypes };
}
