/**
 * X.509 certification path validation for the `certificate` signing method, after RFC 5280 section 6.1: the
 * certificates are parsed by pkijs (ASN.1: basic constraints with their path length, key usage bits, extended key
 * usage, the critical flag of every extension), signatures and name chaining are checked by Node's OpenSSL, and
 * the path rules are applied here, one by one, each failure with its own code:
 * - every certificate of the path, the trust anchor included, is valid at the trusted signing time (a verified
 *   timestamp such as the registry log's integrated time; without one the caller passes now) - never the leaf's own
 *   notBefore, which an attacker picks: SIGNING_CERT_EXPIRED;
 * - each issuer (intermediates and the trust anchor) is a CA (basicConstraints cA), may sign certificates (keyUsage
 *   keyCertSign when keyUsage is present), and the number of non-self-issued intermediates below it stays within its
 *   pathLenConstraint: SIGNING_CERT_CONSTRAINT_VIOLATED;
 * - the leaf may sign (keyUsage digitalSignature when present) and carries the code-signing EKU
 *   (SIGNING_EKU_MISSING); an issuer whose EKU is restricted excludes code signing for the path below it;
 * - an extension marked critical that this validator does not process (name constraints, policy constraints,
 *   anything unknown) fails the path (RFC 5280 6.1.4(o), fail closed);
 * - the trust anchor is a certificate the caller trusts (local policy or command line) and is not the leaf itself.
 * The trust anchor's own constraints are enforced (RFC 5937 style), so a root with pathLenConstraint 0 cannot
 * vouch for a leaf below an intermediate.
 */
import { X509Certificate } from 'node:crypto';
import * as pkijs from 'pkijs';
import { type ErrorCode, ModelsecError } from '../errors/index.js';

/** OID of the code-signing extended key usage (RFC 5280 id-kp-codeSigning). */
export const CODE_SIGNING_EKU = '1.3.6.1.5.5.7.3.3';
/** anyExtendedKeyUsage (RFC 5280 4.2.1.12): on an issuer, it does not restrict the path below. */
export const ANY_EKU = '2.5.29.37.0';

/** Longest certificate chain walked: real chains have 2-4 links; more is hostile input. */
export const MAX_CHAIN_LENGTH = 10;
/** Most candidate paths tried while building: bounds the search over hostile bundles of look-alike certificates. */
export const MAX_PATH_CANDIDATES = 64;
/** Most certificates accepted in one bundle or trust file: a signer sends a leaf and a few intermediates. */
export const MAX_CERTIFICATES = 32;

const OID = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  certificatePolicies: '2.5.29.32',
  crlDistributionPoints: '2.5.29.31',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
} as const;

/**
 * Extensions this validator processes (or that carry no path constraint: identifiers, alternative names, where to
 * find CRLs), so a critical one does not fail the path. Certificate policies are accepted because validation runs
 * with any-policy and no explicit-policy requirement (RFC 5280 6.1.1 (c)-(f) defaults); policy constraints, policy
 * mappings, inhibit-any-policy and name constraints are NOT processed, so a critical one fails the path.
 */
const PROCESSED_EXTENSIONS: ReadonlySet<string> = new Set(Object.values(OID));

/** keyUsage bits (RFC 5280 4.2.1.3), numbered from the most significant bit of the first byte. */
const KEY_USAGE_DIGITAL_SIGNATURE = 0;
const KEY_USAGE_KEY_CERT_SIGN = 5;

/** What the path rules read of one certificate. */
export interface CertificateFacts {
  cert: X509Certificate;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** basicConstraints: undefined when absent. */
  ca?: { isCA: boolean; pathLen: number | undefined };
  /** keyUsage bits set, undefined when the extension is absent. */
  keyUsage?: ReadonlySet<number>;
  /** Extended key usage OIDs, undefined when absent. */
  extKeyUsage?: readonly string[];
  /** Extensions marked critical that are not processed (or did not parse). */
  unprocessedCritical: string[];
  selfIssued: boolean;
}

function bitsOf(bytes: Uint8Array): Set<number> {
  const out = new Set<number>();
  bytes.forEach((byte, i) => {
    for (let b = 0; b < 8; b++) if (byte & (0x80 >> b)) out.add(i * 8 + b);
  });
  return out;
}

/** Parses the extensions the path rules need (pkijs), failing with KEY_INVALID on a certificate it cannot read. */
export function certificateFacts(cert: X509Certificate): CertificateFacts {
  let parsed: pkijs.Certificate;
  try {
    parsed = pkijs.Certificate.fromBER(new Uint8Array(cert.raw));
  } catch (error) {
    throw new ModelsecError('KEY_INVALID', `certificate '${cert.subject}' does not parse: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const facts: CertificateFacts = {
    cert,
    subject: cert.subject,
    notBefore: parsed.notBefore.value,
    notAfter: parsed.notAfter.value,
    unprocessedCritical: [],
    selfIssued: cert.subject === cert.issuer,
  };
  const seen = new Set<string>();
  for (const ext of parsed.extensions ?? []) {
    // RFC 5280 4.2: a certificate must not include more than one instance of an extension.
    if (seen.has(ext.extnID)) facts.unprocessedCritical.push(`${ext.extnID} (repeated)`);
    seen.add(ext.extnID);
    const value = ext.parsedValue as unknown;
    if (ext.critical && (!PROCESSED_EXTENSIONS.has(ext.extnID) || value === undefined))
      facts.unprocessedCritical.push(ext.extnID);
    if (value === undefined) continue;
    if (ext.extnID === OID.basicConstraints && value instanceof pkijs.BasicConstraints) {
      const len = value.pathLenConstraint as unknown;
      // A length too large for a JS number (pkijs keeps it as an Integer) constrains nothing a real path reaches.
      facts.ca = { isCA: value.cA === true, pathLen: typeof len === 'number' ? len : undefined };
    } else if (ext.extnID === OID.keyUsage) {
      const view = (value as { valueBlock?: { valueHexView?: Uint8Array } }).valueBlock?.valueHexView;
      facts.keyUsage = view ? bitsOf(view) : new Set();
    } else if (ext.extnID === OID.extKeyUsage && value instanceof pkijs.ExtKeyUsage) {
      facts.extKeyUsage = [...value.keyPurposes];
    }
  }
  return facts;
}

/** Splits a PEM file holding one or more certificates. */
export function parseCertificatesPem(pem: string, source = 'certificate file'): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new ModelsecError('KEY_INVALID', `${source} holds no PEM certificate`, { details: { source } });
  if (blocks.length > MAX_CERTIFICATES)
    throw new ModelsecError('LIMIT_EXCEEDED', `${source} holds more than ${MAX_CERTIFICATES} certificates`, {
      details: { source, limit: MAX_CERTIFICATES },
    });
  return blocks.map((b) => {
    try {
      return new X509Certificate(b);
    } catch (error) {
      throw new ModelsecError('KEY_INVALID', `${source}: ${(error as Error).message}`, { details: { source }, cause: error });
    }
  });
}

/**
 * Name chaining (the child's issuer name is the parent's subject name) and the child's signature by the parent's key
 * (OpenSSL). Not X509Certificate.checkIssued: it also refuses a parent without keyCertSign, which must fail as the
 * key-usage rule with its own message, not as "no path".
 */
function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.issuer === parent.subject && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

function fail(code: ErrorCode, message: string, details: Record<string, unknown>): ModelsecError {
  return new ModelsecError(code, message, { details });
}

/**
 * Applies the RFC 5280 path rules to `path` (leaf first, trust anchor last; each link already checked for name
 * chaining and signature). Throws the first violated rule.
 */
export function validateCertificatePath(path: readonly CertificateFacts[], at: Date): void {
  const leaf = path[0] as CertificateFacts;
  const when = at.toISOString();
  for (const c of path) {
    if (c.notBefore.getTime() > at.getTime() || at.getTime() > c.notAfter.getTime())
      throw fail(
        'SIGNING_CERT_EXPIRED',
        `certificate '${c.subject}' is not valid at the signing time ${when} (valid ${c.notBefore.toISOString()} to ${c.notAfter.toISOString()})`,
        { subject: c.subject, notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString(), at: when },
      );
    if (c.unprocessedCritical.length > 0)
      throw fail(
        'SIGNING_CERT_CONSTRAINT_VIOLATED',
        `certificate '${c.subject}' has critical extension(s) this verifier does not process: ${c.unprocessedCritical.join(', ')}`,
        { subject: c.subject, rule: 'critical-extension', extensions: c.unprocessedCritical },
      );
  }
  // Issuers, from the trust anchor down (RFC 5280 6.1.4 (k)-(n), anchor included).
  let remaining = Number.POSITIVE_INFINITY;
  let codeSigningAllowed = true;
  for (let i = path.length - 1; i >= 1; i--) {
    const c = path[i] as CertificateFacts;
    const isAnchor = i === path.length - 1;
    if (!c.ca?.isCA)
      throw fail(
        'SIGNING_CERT_CONSTRAINT_VIOLATED',
        `certificate '${c.subject}' issues certificates but is not a CA (basicConstraints cA is ${c.ca ? 'false' : 'absent'})`,
        { subject: c.subject, rule: 'basic-constraints' },
      );
    if (c.keyUsage && !c.keyUsage.has(KEY_USAGE_KEY_CERT_SIGN))
      throw fail('SIGNING_CERT_CONSTRAINT_VIOLATED', `CA certificate '${c.subject}' lacks the keyCertSign key usage`, {
        subject: c.subject,
        rule: 'key-usage',
      });
    if (!isAnchor && !c.selfIssued) {
      if (remaining <= 0)
        throw fail(
          'SIGNING_CERT_CONSTRAINT_VIOLATED',
          `CA certificate '${c.subject}' is below a CA whose pathLenConstraint allows no further intermediate`,
          { subject: c.subject, rule: 'path-length' },
        );
      remaining--;
    }
    if (c.ca.pathLen !== undefined) remaining = Math.min(remaining, c.ca.pathLen);
    if (c.extKeyUsage && !c.extKeyUsage.includes(CODE_SIGNING_EKU) && !c.extKeyUsage.includes(ANY_EKU))
      codeSigningAllowed = false;
  }
  if (leaf.keyUsage && !leaf.keyUsage.has(KEY_USAGE_DIGITAL_SIGNATURE))
    throw fail('SIGNING_CERT_CONSTRAINT_VIOLATED', `signing certificate '${leaf.subject}' lacks the digitalSignature key usage`, {
      subject: leaf.subject,
      rule: 'key-usage',
    });
  const eku = leaf.extKeyUsage ?? [];
  if (!eku.includes(CODE_SIGNING_EKU))
    throw fail('SIGNING_EKU_MISSING', `signing certificate '${leaf.subject}' lacks the code-signing extended key usage`, {
      subject: leaf.subject,
      extendedKeyUsage: eku,
    });
  if (!codeSigningAllowed)
    throw fail('SIGNING_EKU_MISSING', `a CA above '${leaf.subject}' restricts its extended key usage to exclude code signing`, {
      subject: leaf.subject,
    });
}

/**
 * Builds a path from `leaf` through `intermediates` to one of `roots` (name chaining and signatures) and validates
 * it at `at` (the trusted signing time). Several candidate paths may exist (cross-signed CAs): each is tried, the
 * first valid one is returned (leaf first, anchor last); when none is, the first path's violation is thrown, and
 * SIGNING_CHAIN_UNTRUSTED when no path reaches a trusted root at all.
 */
export function verifyCertificateChain(
  leaf: X509Certificate,
  intermediates: readonly X509Certificate[],
  roots: readonly X509Certificate[],
  at: Date,
): X509Certificate[] {
  if (intermediates.length + 1 > MAX_CERTIFICATES || roots.length > MAX_CERTIFICATES)
    throw new ModelsecError('LIMIT_EXCEEDED', `more than ${MAX_CERTIFICATES} certificates to build a path from`, {
      details: { limit: MAX_CERTIFICATES },
    });
  const factsCache = new Map<X509Certificate, CertificateFacts>();
  const facts = (c: X509Certificate) => {
    const known = factsCache.get(c);
    if (known) return known;
    const f = certificateFacts(c);
    factsCache.set(c, f);
    return f;
  };
  const isRoot = (c: X509Certificate) => roots.some((r) => r.fingerprint256 === c.fingerprint256);
  const paths: X509Certificate[][] = [];
  let tried = 0;
  const walk = (chain: X509Certificate[]): void => {
    if (paths.length >= MAX_PATH_CANDIDATES || tried++ > MAX_PATH_CANDIDATES * MAX_CHAIN_LENGTH) return;
    const current = chain[chain.length - 1] as X509Certificate;
    for (const r of roots) {
      // The leaf itself is never its own anchor: trusting a signing certificate is not trusting a CA.
      if (r.fingerprint256 === leaf.fingerprint256) continue;
      if (chain.some((c) => c.fingerprint256 === r.fingerprint256)) continue;
      if (issuedBy(current, r)) paths.push([...chain, r]);
    }
    if (chain.length >= MAX_CHAIN_LENGTH) return;
    for (const c of intermediates) {
      if (isRoot(c) || chain.some((x) => x.fingerprint256 === c.fingerprint256)) continue;
      if (issuedBy(current, c)) walk([...chain, c]);
    }
  };
  walk([leaf]);
  if (paths.length === 0)
    throw new ModelsecError('SIGNING_CHAIN_UNTRUSTED', `certificate chain of '${leaf.subject}' does not reach a trusted root`, {
      details: { subject: leaf.subject, issuer: leaf.issuer, at: at.toISOString() },
    });
  // Shortest paths first: the usual chain, before any detour through cross-signed CAs.
  paths.sort((a, b) => a.length - b.length);
  let first: unknown;
  for (const path of paths) {
    try {
      validateCertificatePath(path.map(facts), at);
      return path;
    } catch (error) {
      first ??= error;
    }
  }
  throw first;
}
