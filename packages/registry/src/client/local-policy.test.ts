import { describe, expect, it } from 'vitest';
import { MAX_CHECKPOINT_AGE_SECONDS, parseLocalPolicy } from './local-policy.js';

describe('local policy log.maxCheckpointAgeSeconds', () => {
  it('accepts a whole number of seconds from 0 (no bound) to MAX_CHECKPOINT_AGE_SECONDS', () => {
    for (const n of [0, 3600, MAX_CHECKPOINT_AGE_SECONDS])
      expect(parseLocalPolicy(JSON.stringify({ log: { maxCheckpointAgeSeconds: n } }), 'p.json').log).toEqual({
        maxCheckpointAgeSeconds: n,
      });
  });
  it('refuses a negative, fractional, textual or too large bound (INVALID_CONFIG naming the file)', () => {
    for (const v of [-1, 1.5, '24h', MAX_CHECKPOINT_AGE_SECONDS + 1])
      expect(() => parseLocalPolicy(JSON.stringify({ log: { maxCheckpointAgeSeconds: v } }), 'p.json')).toThrow(
        expect.objectContaining({ code: 'INVALID_CONFIG' }),
      );
  });
});
