/** The check report as SARIF 2.1.0: one result per failed rule, located at the file it names (else the signature). */
import type { FailedCheck } from '@modelsec/registry/client';

const RULE_HELP: Record<string, string> = {
  log: 'The transparency log proof verifies under the pinned log key (and, with log.required, is present).',
  entry: 'The log entry is the publication of the expected model, version and content.',
  trust: 'A signer is trusted locally (command line or local policy).',
  signature: 'model.sig verifies against a trusted signer and equals what the log entry binds.',
  files: 'The files the log entry lists are exactly the signed ones.',
  'local-files': 'The model on disk is exactly the signed file set: no byte changed, no file added or removed.',
  yank: 'The log records no yank of this version or its content.',
  scan: "The scan verdicts (logged, or signed in the scan attestation) pass the policy's scan rules.",
  attestations: 'Every attestation verifies (trusted signer, subject = the signed file set); the required ones are present.',
  mlbom: 'The ML-BOM (logged, or the ML-BOM attestation) is schema-valid with the required fields.',
  licenses: "Every licence of the ML-BOM is in the policy's allowed list.",
};

export function checkSarif(
  failed: readonly FailedCheck[],
  options: { version: string; signature: string },
): Record<string, unknown> {
  const ruleIds = [...new Set(failed.map((f) => f.rule))].sort();
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'modelsec check',
            version: options.version,
            informationUri: 'https://modelsec.dev',
            rules: ruleIds.map((id) => ({
              id: `check/${id}`,
              name: id,
              shortDescription: { text: RULE_HELP[id] ?? id },
            })),
          },
        },
        results: failed.map((f) => {
          const path = typeof f.details?.path === 'string' ? f.details.path : options.signature;
          return {
            ruleId: `check/${f.rule}`,
            ruleIndex: ruleIds.indexOf(f.rule),
            level: 'error',
            message: { text: `${f.code}: ${f.message}` },
            properties: { code: f.code },
            locations: [{ physicalLocation: { artifactLocation: { uri: path } } }],
          };
        }),
      },
    ],
  };
}
