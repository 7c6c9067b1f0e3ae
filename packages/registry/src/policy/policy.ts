import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Severity } from '@modelsec/core/scan';

/** A namespace policy document (schemas/policy.schema.json). */
export interface Policy {
  signers?: PolicySigner[];
  scan?: { maxSeverity?: Severity; required?: boolean; allowIncomplete?: boolean };
  mlbom?: { required?: boolean };
  licenses?: { allowed?: string[] };
  attestations?: { required?: string[] };
  dependencies?: { maxSeverity?: Severity; refuseMalicious?: boolean };
}

export type PolicySigner = { publicKey: string } | { certificateRoots: string[] } | { identity: string; issuer: string };

/** The policy of a namespace that has none: any valid signature, refuse findings at high or above and incomplete files. */
export const DEFAULT_POLICY: Policy = Object.freeze({ scan: { maxSeverity: 'medium', required: true } }) as Policy;

/** Effective values with defaults filled in. */
export function effectivePolicy(policy: Policy | undefined): Required<Pick<Policy, 'signers'>> & {
  scan: { maxSeverity: Severity; required: boolean; allowIncomplete: boolean };
  mlbomRequired: boolean;
  allowedLicenses: string[] | undefined;
  requiredAttestations: string[];
  /** The `dependencies` rule with defaults (maxSeverity medium, refuseMalicious true); undefined: not checked. */
  dependencies: { maxSeverity: Severity; refuseMalicious: boolean } | undefined;
} {
  const p = policy ?? DEFAULT_POLICY;
  return {
    signers: p.signers ?? [],
    scan: {
      maxSeverity: p.scan?.maxSeverity ?? 'medium',
      required: p.scan?.required ?? true,
      allowIncomplete: p.scan?.allowIncomplete ?? false,
    },
    mlbomRequired: p.mlbom?.required ?? false,
    allowedLicenses: p.licenses?.allowed,
    requiredAttestations: p.attestations?.required ?? [],
    dependencies: p.dependencies
      ? { maxSeverity: p.dependencies.maxSeverity ?? 'medium', refuseMalicious: p.dependencies.refuseMalicious ?? true }
      : undefined,
  };
}

let cachedSchema: object | undefined;

/** The policy JSON schema (schemas/policy.schema.json, the one source of truth). */
export function policySchema(): object {
  if (!cachedSchema) {
    const candidates = ['../../../../schemas/policy.schema.json'];
    for (const rel of candidates) {
      try {
        cachedSchema = JSON.parse(readFileSync(fileURLToPath(new URL(rel, import.meta.url)), 'utf8')) as object;
        break;
      } catch {
        // try the next layout (src/ vs dist/)
      }
    }
    if (!cachedSchema) throw new Error('schemas/policy.schema.json not found next to the registry package');
  }
  return cachedSchema;
}
