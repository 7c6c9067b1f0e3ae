import { describe, expect, it } from 'vitest';
import { safetensorsBytes as safetensors } from '#test-support/fixture-builders';
import { memorySource } from '../byte-source.js';
import { readSafetensorsHeader, safetensorsParameterCounts, validateSafetensors } from './index.js';

describe('safetensorsParameterCounts', () => {
  it('sums elements per dtype (sorted), sub-byte dtypes and scalars included', async () => {
    const header = await readSafetensorsHeader(
      memorySource(
        safetensors(
          {
            __metadata__: { format: 'pt' },
            w: { dtype: 'F4', shape: [2, 4], data_offsets: [0, 4] },
            b: { dtype: 'BF16', shape: [3], data_offsets: [4, 10] },
            s: { dtype: 'BF16', shape: [], data_offsets: [10, 12] },
          },
          12,
        ),
      ),
    );
    expect(validateSafetensors(header)).toEqual([]);
    const counts = safetensorsParameterCounts(header);
    expect(counts).toEqual({ parameterCount: 12, dtypes: { BF16: 4, F4: 8 } });
    expect(Object.keys(counts.dtypes)).toEqual(['BF16', 'F4']);
  });
});

describe('validateSafetensors', () => {
  it('names both offsets and the data section size when a tensor lies outside it', async () => {
    const header = await readSafetensorsHeader(
      memorySource(safetensors({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8)),
    );
    expect(validateSafetensors(header)).toContainEqual({
      kind: 'offsets-past-eof',
      tensor: 'w',
      message: "tensor 'w' data_offsets [0, 16] lie outside the 8-byte data section",
    });
  });

  it('reports a dtype named like an Object.prototype member as unknown', async () => {
    const header = await readSafetensorsHeader(
      memorySource(safetensors({ w: { dtype: 'toString', shape: [1], data_offsets: [0, 4] } }, 4)),
    );
    expect(validateSafetensors(header).map((p) => p.kind)).toEqual(['unknown-dtype']);
  });
});
