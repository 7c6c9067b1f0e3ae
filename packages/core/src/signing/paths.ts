import { basename, dirname, join } from 'node:path';

/**
 * Where an attestation lives beside the signature: `model.sig` + predicate type → `model.<slug>.att.sig`,
 * the slug made from the predicate type URI (so several attestations accumulate side by side).
 */
export function attestationPathFor(signaturePath: string, predicateType: string): string {
  const slug = predicateType
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/[^A-Za-z0-9.-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 80);
  const base = basename(signaturePath).replace(/\.sig$/, '');
  return join(dirname(signaturePath), `${base}.${slug}.att.sig`);
}
