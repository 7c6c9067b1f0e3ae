/**
 * The seam the transparency log (`src/log/`) plugs into. The registry calls `onLogEvent(tx, event)` INSIDE the same
 * transaction as the change, so a log leaf (tx.appendLogLeaf) commits with it or not at all.
 * Events are log entries of format v2 (`@modelsec/core` tlog/entries.ts: the contract with every client); the
 * transparency log seals the entries of private namespaces. The default hook does nothing.
 */
import type { OpenEntry } from '@modelsec/core/tlog';
import type { MetadataOps } from './store/metadata-store.js';

export type LogEvent = OpenEntry;

export interface LogHook {
  onLogEvent(tx: MetadataOps, event: LogEvent): Promise<{ logIndex?: number } | undefined>;
}

export const NO_LOG: LogHook = { onLogEvent: async () => undefined };
