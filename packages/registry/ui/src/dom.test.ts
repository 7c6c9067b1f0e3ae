import { describe, expect, it } from 'vitest';
import { safeHttpsUrl } from './dom.js';

describe('external links', () => {
  it('only https: URLs without credentials become links; everything else stays text', () => {
    expect(safeHttpsUrl('https://cwe.mitre.org/data/definitions/502.html')).toBe(
      'https://cwe.mitre.org/data/definitions/502.html',
    );
    for (const bad of [
      'javascript:alert(1)',
      ' javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'http://example.com/',
      '//example.com/',
      '/ui/acme',
      'https://user:pw@example.com/',
      'vbscript:msgbox(1)',
      42,
      undefined,
    ])
      expect(safeHttpsUrl(bad), String(bad)).toBeUndefined();
  });
});
