import { describe, expect, it } from 'vitest';
import { addressKey, checkRefusalLimits, DEFAULT_TOKEN_REFUSAL_LIMITS, RefusalLimiter } from './refusal-limiter.js';

describe('addressKey', () => {
  it('counts IPv4 (and IPv4-mapped IPv6) as is, and IPv6 by its /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
  });
});

describe('RefusalLimiter', () => {
  let ms = 0;
  const clock = { now: () => new Date(ms) };

  it('audits perWindow refusals, then one tripped row, then nothing; blocks until the window ends', () => {
    ms = 0;
    const limiter = new RefusalLimiter(clock, { perWindow: 3, windowMs: 1000, auditPerWindow: 100 });
    const decisions = Array.from({ length: 3 }, () => limiter.record('198.51.100.1'));
    expect(decisions).toEqual(['audit', 'audit', 'audit']);
    expect(limiter.blocked('198.51.100.1')).toEqual({ blocked: true, retryAfterSeconds: 1 });
    expect(limiter.blocked('198.51.100.2').blocked).toBe(false);
    expect([limiter.record('198.51.100.1'), limiter.record('198.51.100.1')]).toEqual(['tripped', 'silent']);
    // Another host of the same IPv6 /64 shares a window.
    for (let i = 0; i < 3; i++) limiter.record(`2001:db8::${i + 1}`);
    expect(limiter.blocked('2001:db8::ffff').blocked).toBe(true);
    ms = 1000;
    expect(limiter.blocked('198.51.100.1').blocked).toBe(false);
    expect(limiter.record('198.51.100.1')).toBe('audit');
  });

  it('audits at most auditPerWindow anonymous refusals across addresses, with one budget row', () => {
    ms = 0;
    const limiter = new RefusalLimiter(clock, { perWindow: 10, windowMs: 1000, auditPerWindow: 4 });
    const decisions = Array.from({ length: 7 }, (_, i) => limiter.record(`192.0.2.${i}`));
    expect(decisions).toEqual(['audit', 'audit', 'audit', 'audit', 'budget', 'silent', 'silent']);
    ms = 1500;
    expect(limiter.record('192.0.2.50')).toBe('audit');
  });

  it('counts by the key it is given (a token id as is: no address folding), and bounds the keys it remembers', () => {
    ms = 0;
    const limiter = new RefusalLimiter(clock, { perWindow: 2, windowMs: 1000, auditPerWindow: 100 }, (id) => id, 3);
    expect([limiter.record('tok-a'), limiter.record('tok-a'), limiter.record('tok-a')]).toEqual(['audit', 'audit', 'tripped']);
    expect(limiter.blocked('tok-a').blocked).toBe(true);
    expect(limiter.blocked('tok-b').blocked).toBe(false);
    // Two IPv6 hosts of one /64 are two keys here (no addressKey).
    limiter.record('2001:db8::1');
    limiter.record('2001:db8::1');
    expect(limiter.blocked('2001:db8::2').blocked).toBe(false);
    // Past maxTracked keys the oldest window is forgotten.
    limiter.record('tok-c');
    limiter.record('tok-d');
    expect(limiter.blocked('tok-a').blocked).toBe(false);
  });
});

describe('checkRefusalLimits', () => {
  it('accepts positive integers and names the limit it refuses', () => {
    expect(checkRefusalLimits(DEFAULT_TOKEN_REFUSAL_LIMITS, 'token')).toBe(DEFAULT_TOKEN_REFUSAL_LIMITS);
    expect(() => checkRefusalLimits({ ...DEFAULT_TOKEN_REFUSAL_LIMITS, auditPerWindow: 0 }, 'token')).toThrow(/auditPerWindow/);
  });
});
