/** The manifest a client pushes for a version: its files (the OMS resources) and attachments, by blob digest. */
import { DIGEST_PATTERN } from '../routes/schemas.js';

/** Most files one version may have (a sharded checkpoint has hundreds; this bounds request and row counts). */
export const MAX_MANIFEST_FILES = 10_000;
/** Most attestations one version may carry. */
export const MAX_MANIFEST_ATTESTATIONS = 32;
/** Longest file path in a manifest. */
export const MAX_MANIFEST_PATH_CHARS = 1024;

export interface PushManifest {
  files: { path: string; digest: string; size: number }[];
  /** Digest of the OMS signature bundle blob (required). */
  bundle: string;
  /** The signer's public key (PEM), used when the namespace policy names no signers. */
  publicKey?: string;
  mlbom?: string;
  scanReport?: string;
  attestations?: string[];
}

const DIGEST = { type: 'string', pattern: DIGEST_PATTERN } as const;

export const PUSH_MANIFEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['files', 'bundle'],
  properties: {
    files: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_MANIFEST_FILES,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'digest', 'size'],
        properties: {
          path: { type: 'string', minLength: 1, maxLength: MAX_MANIFEST_PATH_CHARS },
          digest: DIGEST,
          size: { type: 'integer', minimum: 0 },
        },
      },
    },
    bundle: DIGEST,
    publicKey: { type: 'string', minLength: 1, maxLength: 16384 },
    mlbom: DIGEST,
    scanReport: DIGEST,
    attestations: { type: 'array', maxItems: MAX_MANIFEST_ATTESTATIONS, items: DIGEST },
  },
} as const;
