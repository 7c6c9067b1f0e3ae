import { describe, expect, it } from 'vitest';
import { HANDLERS, handlerFor } from './index.js';
import { LAZY_HANDLER_FORMATS, loadHandler } from './lazy.js';

describe('loadHandler (handlers imported on first use)', () => {
  it('answers with the handler object handlerFor answers with, for every format', async () => {
    for (const format of LAZY_HANDLER_FORMATS) expect(await loadHandler(format), format).toBe(handlerFor(format));
  });

  it('knows every format some handler claims, and nothing else', async () => {
    const claimed = new Set(HANDLERS.flatMap((h) => h.formats));
    for (const format of claimed) expect(LAZY_HANDLER_FORMATS, format).toContain(format);
    for (const format of LAZY_HANDLER_FORMATS)
      if (!claimed.has(format)) expect(await loadHandler(format), format).toBeUndefined();
    expect(await loadHandler('no-such-format' as never)).toBeUndefined();
    expect(await loadHandler('toString' as never)).toBeUndefined();
  });
});
