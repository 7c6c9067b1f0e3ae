/**
 * Rate limit on refused requests that carry no valid token (issue 12: 1,100 anonymous refusals pushed a real push
 * out of the audit view). Per remote address (an IPv6 address counts by its /64, which one host can rotate within):
 * past `perWindow` refusals in a window, the address's unauthenticated requests are answered 429 RATE_LIMITED
 * until the window ends, without an audit row each; one row records that the limit tripped. Across all addresses,
 * at most `auditPerWindow` anonymous refusals are audited per window (many addresses cannot flood the log either).
 * Windows follow the injected clock, so tests are deterministic.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ModelsecError } from '@modelsec/core/errors';
import type { Clock } from '@modelsec/core/util';

/** Unauthenticated refusals one address may cause per window before it is answered 429 (a CI job's typos fit). */
export const ANONYMOUS_REFUSALS_PER_WINDOW = 30;
/** The window of ANONYMOUS_REFUSALS_PER_WINDOW. */
export const ANONYMOUS_REFUSAL_WINDOW_MS = 60_000;
/** Anonymous refusals audited per window across every address (the rest are counted in one row per address). */
export const ANONYMOUS_REFUSAL_AUDITS_PER_WINDOW = 300;
/** Addresses remembered at once (memory bound under a spoofed-source flood); the oldest window is dropped first. */
export const MAX_TRACKED_ADDRESSES = 10_000;

/**
 * Refusals one valid token may cause per window before its requests are answered 429 (issue 12: a push token of
 * namespace A hammering 403s on namespace B, or probing, was neither limited nor bounded in the audit log). Higher
 * than the anonymous limit: a CI job with a token retries and resolves more than a stranger types.
 */
export const TOKEN_REFUSALS_PER_WINDOW = 120;
/** The window of TOKEN_REFUSALS_PER_WINDOW. */
export const TOKEN_REFUSAL_WINDOW_MS = 60_000;
/**
 * Token refusals audited per window per namespace, across the namespace's tokens (the rest are counted in one row per
 * token and one per namespace): tokens are issued by admins, so this is high; it bounds audit growth when many tokens
 * misbehave at once. Per namespace, not registry-wide: one tenant's admin minting tokens to spend a shared budget
 * would silence the audit of every other tenant's refusals (issue 12); namespaces are made by the registry admin only.
 */
export const TOKEN_REFUSAL_AUDITS_PER_WINDOW = 3000;
/** Tokens remembered at once (memory bound); the oldest window is dropped first. */
export const MAX_TRACKED_TOKENS = 10_000;

export interface RefusalLimits {
  perWindow: number;
  windowMs: number;
  auditPerWindow: number;
}

export const DEFAULT_REFUSAL_LIMITS: RefusalLimits = {
  perWindow: ANONYMOUS_REFUSALS_PER_WINDOW,
  windowMs: ANONYMOUS_REFUSAL_WINDOW_MS,
  auditPerWindow: ANONYMOUS_REFUSAL_AUDITS_PER_WINDOW,
};

export const DEFAULT_TOKEN_REFUSAL_LIMITS: RefusalLimits = {
  perWindow: TOKEN_REFUSALS_PER_WINDOW,
  windowMs: TOKEN_REFUSAL_WINDOW_MS,
  auditPerWindow: TOKEN_REFUSAL_AUDITS_PER_WINDOW,
};

/** Validates a set of refusal limits (INVALID_CONFIG naming the limit). */
export function checkRefusalLimits(limits: RefusalLimits, which: string): RefusalLimits {
  for (const key of ['perWindow', 'windowMs', 'auditPerWindow'] as const)
    if (!Number.isSafeInteger(limits[key]) || limits[key] < 1)
      throw new ModelsecError('INVALID_CONFIG', `${which} refusal limit ${key} must be a positive integer`, {
        details: { limit: key, value: limits[key] },
      });
  return limits;
}

/**
 * What to do with one anonymous refusal: audit it; audit once that this address tripped its limit (`tripped`) or
 * that the audit budget of the window is spent (`budget`); or audit nothing.
 */
export type RefusalDecision = 'audit' | 'tripped' | 'budget' | 'silent';

/** The key an address is counted under: IPv4 as is (IPv4-mapped IPv6 too), IPv6 by its first 64 bits. */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (isIPv4(address) || !isIPv6(address)) return address;
  const [head = '', tail] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export class RefusalLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  /** Audit budget per group (the anonymous limiter has one group; the token limiter one per namespace). */
  private readonly budgets = new Map<string, { start: number; audited: number; spent: boolean }>();

  /**
   * `keyOf` names what is counted: an address (addressKey, the default) for requests without a valid token, the token
   * id for requests with one; `maxTracked` bounds the keys remembered.
   */
  constructor(
    private readonly clock: Clock,
    private readonly limits: RefusalLimits = DEFAULT_REFUSAL_LIMITS,
    private readonly keyOf: (subject: string) => string = addressKey,
    private readonly maxTracked: number = MAX_TRACKED_ADDRESSES,
  ) {}

  private current(key: string, now: number): { start: number; count: number } | undefined {
    const w = this.windows.get(key);
    if (w && now - w.start >= this.limits.windowMs) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }

  /** Whether unauthenticated requests from `address` are to be answered 429 now; the seconds until they are not. */
  blocked(address: string): { blocked: boolean; retryAfterSeconds: number } {
    const now = this.clock.now().getTime();
    const w = this.current(this.keyOf(address), now);
    if (!w || w.count < this.limits.perWindow) return { blocked: false, retryAfterSeconds: 0 };
    return { blocked: true, retryAfterSeconds: Math.max(1, Math.ceil((w.start + this.limits.windowMs - now) / 1000)) };
  }

  /**
   * Counts one refusal of an unauthenticated request from `address` (a 429 included), and says whether to audit it:
   * the first `perWindow` are audited, the first 429 after them is audited as `tripped`, the rest are not. The
   * audit budget (`auditPerWindow`) is counted per `group`: one for every address, a namespace for tokens.
   */
  record(address: string, group = ''): RefusalDecision {
    const now = this.clock.now().getTime();
    const key = this.keyOf(address);
    let w = this.current(key, now);
    if (!w) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
      while (this.windows.size > this.maxTracked) {
        const oldest = this.windows.keys().next().value as string;
        this.windows.delete(oldest);
      }
    }
    w.count += 1;
    let budget = this.budgets.get(group);
    if (!budget || now - budget.start >= this.limits.windowMs) {
      this.budgets.delete(group);
      budget = { start: now, audited: 0, spent: false };
      this.budgets.set(group, budget);
      while (this.budgets.size > this.maxTracked) this.budgets.delete(this.budgets.keys().next().value as string);
    }
    if (w.count === this.limits.perWindow + 1) return 'tripped';
    if (w.count > this.limits.perWindow) return 'silent';
    if (budget.audited >= this.limits.auditPerWindow) {
      if (budget.spent) return 'silent';
      budget.spent = true;
      return 'budget';
    }
    budget.audited += 1;
    return 'audit';
  }
}
