import { X509Certificate } from 'node:crypto';
import { ModelsecError } from '../errors/index.js';

/** OID of the code-signing extended key usage (RFC 5280 id-kp-codeSigning). */
export const CODE_SIGNING_EKU = '1.3.6.1.5.5.7.3.3';

/** Longest certificate chain walked: real chains have 2-4 links; more is hostile input. */
export const MAX_CHAIN_LENGTH = 10;

/** Splits a PEM file holding one or more certificates. */
export function parseCertificatesPem(pem: string, source = 'certificate file'): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new ModelsecError('KEY_INVALID', `${source} holds no PEM certificate`, { details: { source } });
  return blocks.map((b) => {
    try {
      return new X509Certificate(b);
    } catch (error) {
      throw new ModelsecError('KEY_INVALID', `${source}: ${(error as Error).message}`, { details: { source }, cause: error });
    }
  });
}

function validAt(cert: X509Certificate, at: Date): boolean {
  return new Date(cert.validFrom).getTime() <= at.getTime() && at.getTime() <= new Date(cert.validTo).getTime();
}

function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  return child.checkIssued(parent) && child.verify(parent.publicKey);
}

/**
 * Checks that `leaf` chains through `intermediates` to one of `roots`, every link valid at `at` (the signing
 * time; the reference uses the leaf's notBefore), intermediates being CAs, and the leaf carrying the
 * code-signing EKU. Returns the chain, leaf first, root last.
 */
export function verifyCertificateChain(
  leaf: X509Certificate,
  intermediates: readonly X509Certificate[],
  roots: readonly X509Certificate[],
  at: Date,
): X509Certificate[] {
  const chain = [leaf];
  let current = leaf;
  for (let depth = 0; depth < MAX_CHAIN_LENGTH; depth++) {
    if (!validAt(current, at)) {
      throw new ModelsecError(
        'SIGNING_CHAIN_UNTRUSTED',
        `certificate '${current.subject}' is not valid at the signing time ${at.toISOString()}`,
        {
          details: { subject: current.subject, validFrom: current.validFrom, validTo: current.validTo, at: at.toISOString() },
        },
      );
    }
    const root = roots.find((r) => issuedBy(current, r) || (current.fingerprint256 === r.fingerprint256 && depth > 0));
    if (root) {
      if (!validAt(root, at)) {
        throw new ModelsecError('SIGNING_CHAIN_UNTRUSTED', `root '${root.subject}' is not valid at the signing time`, {
          details: { subject: root.subject, at: at.toISOString() },
        });
      }
      if (root.fingerprint256 !== current.fingerprint256) chain.push(root);
      const eku = leaf.keyUsage ?? [];
      if (!eku.includes(CODE_SIGNING_EKU)) {
        throw new ModelsecError(
          'SIGNING_EKU_MISSING',
          `signing certificate '${leaf.subject}' lacks the code-signing extended key usage`,
          {
            details: { subject: leaf.subject, extendedKeyUsage: eku },
          },
        );
      }
      return chain;
    }
    const parent = intermediates.find((c) => c.ca && issuedBy(current, c) && !chain.includes(c));
    if (!parent) break;
    chain.push(parent);
    current = parent;
  }
  throw new ModelsecError('SIGNING_CHAIN_UNTRUSTED', `certificate chain of '${leaf.subject}' does not reach a trusted root`, {
    details: { subject: leaf.subject, issuer: current.issuer, at: at.toISOString() },
  });
}
