import type { ByteSource } from '../../formats/byte-source.js';
import { makeFinding } from '../pickle/findings.js';
import { MAX_PICKLE_BYTES } from '../pickle/limits.js';
import { type PickleScanResult, scanPickleStream } from '../pickle/scan-pickle.js';
import type { Finding, ScanContext, ScanIssue } from '../types.js';

/** Reads a whole source for pickle scanning, capped at MAX_PICKLE_BYTES (a finding when the cap cuts it). */
export async function readCapped(source: ByteSource, findings: Finding[], members: readonly string[]): Promise<Uint8Array> {
  if (source.size > MAX_PICKLE_BYTES) {
    findings.push(
      makeFinding(
        'MS-PKL-010',
        `Only the first ${MAX_PICKLE_BYTES} bytes were scanned (MAX_PICKLE_BYTES)`,
        { ...(members.length ? { members: [...members] } : {}) },
        { limit: 'MAX_PICKLE_BYTES' },
      ),
    );
  }
  return source.read(0, Math.min(source.size, MAX_PICKLE_BYTES));
}

/** Runs the pickle scanner on bytes with the context's config, nesting through ctx.scanNested. */
export async function scanPickleBytes(
  bytes: Uint8Array,
  ctx: ScanContext,
  members: readonly string[],
  maxPickles?: number,
): Promise<PickleScanResult> {
  return scanPickleStream(bytes, {
    config: ctx.config,
    members,
    depth: ctx.depth,
    budget: ctx.budget,
    nested: async (inner, member) => {
      const result = await ctx.scanNested(inner, member);
      return { findings: result.findings, errors: result.errors };
    },
    ...(maxPickles !== undefined ? { maxPickles } : {}),
  });
}

export interface Collected {
  findings: Finding[];
  errors: ScanIssue[];
}

export function memberPath(ctx: ScanContext, member?: string): string[] {
  return member === undefined ? [...ctx.members] : [...ctx.members, member];
}
