import { describe, expect, it } from 'vitest';
import { forEachConcurrent } from './concurrency.js';

describe('forEachConcurrent', () => {
  it('runs every item with at most `limit` in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachConcurrent([...Array(20).keys()], 3, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, (i * 7) % 5));
      seen.push(i);
      inFlight--;
    });
    expect(peak).toBe(3);
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
  });

  it('throws the first failure and starts nothing after it', async () => {
    const started: number[] = [];
    await expect(
      forEachConcurrent([...Array(50).keys()], 2, async (i) => {
        started.push(i);
        await new Promise((r) => setTimeout(r, 1));
        if (i === 3) throw new Error('item 3 failed');
      }),
    ).rejects.toThrow('item 3 failed');
    expect(started.length).toBeLessThanOrEqual(6);
  });

  it('handles an empty list', async () => {
    await expect(forEachConcurrent([], 4, async () => {})).resolves.toBeUndefined();
  });
});
