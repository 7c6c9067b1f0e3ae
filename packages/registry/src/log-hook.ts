/**
 * The seam the transparency log (issue 7, `src/log/`) plugs into. The registry calls `onLogEvent(tx, event)`
 * INSIDE the same transaction as the change, so a log leaf (tx.appendLogLeaf) commits with it or not at all.
 * The default hook does nothing.
 */
import type { MetadataOps } from './store/metadata-store.js';

export type LogEvent =
  | {
      type: 'publish';
      namespace: string;
      model: string;
      version: string;
      rootDigest: string;
      bundleDigest: string;
      signer: { kind: string; identity?: string; issuer?: string; keyFingerprint?: string };
      attachments: { kind: string; digest: string; predicateType?: string }[];
      files: { path: string; digest: string }[];
      at: string;
    }
  | { type: 'yank'; namespace: string; model: string; version: string; reason: string; at: string }
  | { type: 'policy'; namespace: string; policyVersion: number; policyDigest: string; at: string }
  | { type: 'namespace'; namespace: string; public: boolean; at: string };

export interface LogHook {
  onLogEvent(tx: MetadataOps, event: LogEvent): Promise<{ logIndex?: number } | undefined>;
}

export const NO_LOG: LogHook = { onLogEvent: async () => undefined };
