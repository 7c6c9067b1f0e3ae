import type { PackageHash } from '../dependency-types.js';

/** Python lockfile hash names (pip `--hash`, poetry/uv/Pipfile locks) to CycloneDX algorithm names, with hex length. */
const PYTHON_HASH_ALGS: Record<string, { alg: string; hexLength: number }> = {
  md5: { alg: 'MD5', hexLength: 32 },
  sha1: { alg: 'SHA-1', hexLength: 40 },
  sha256: { alg: 'SHA-256', hexLength: 64 },
  sha384: { alg: 'SHA-384', hexLength: 96 },
  sha512: { alg: 'SHA-512', hexLength: 128 },
};

/** Parses `sha256:<hex>`; undefined when the algorithm is unknown or the digest is not hex of the right length. */
export function parseAlgColonHex(value: string): PackageHash | undefined {
  const colon = value.indexOf(':');
  if (colon < 0) return undefined;
  const spec = PYTHON_HASH_ALGS[value.slice(0, colon).toLowerCase()];
  const hex = value.slice(colon + 1).toLowerCase();
  if (!spec || hex.length !== spec.hexLength || !/^[0-9a-f]+$/.test(hex)) return undefined;
  return { alg: spec.alg, content: hex };
}

/** npm Subresource Integrity names to CycloneDX names, with the digest length in bytes. */
const SRI_ALGS: Record<string, { alg: string; bytes: number }> = {
  sha1: { alg: 'SHA-1', bytes: 20 },
  sha256: { alg: 'SHA-256', bytes: 32 },
  sha384: { alg: 'SHA-384', bytes: 48 },
  sha512: { alg: 'SHA-512', bytes: 64 },
};

/**
 * Parses an SRI `integrity` string (`sha512-<base64> sha1-<base64>`) into hex hashes. Returns the hashes and the
 * tokens it could not read.
 */
export function parseIntegrity(value: string): { hashes: PackageHash[]; invalid: string[] } {
  const hashes: PackageHash[] = [];
  const invalid: string[] = [];
  for (const token of value.split(/\s+/).filter((t) => t.length > 0)) {
    const dash = token.indexOf('-');
    const spec = dash > 0 ? SRI_ALGS[token.slice(0, dash).toLowerCase()] : undefined;
    const b64 = dash > 0 ? token.slice(dash + 1).replace(/\?.*$/, '') : '';
    const bytes = spec && /^[A-Za-z0-9+/]+={0,2}$/.test(b64) ? Buffer.from(b64, 'base64') : undefined;
    if (!spec || !bytes || bytes.length !== spec.bytes) {
      invalid.push(token.slice(0, 40));
      continue;
    }
    hashes.push({ alg: spec.alg, content: bytes.toString('hex') });
  }
  return { hashes, invalid };
}

/** Deduplicated hashes sorted by algorithm then content. */
export function sortHashes(hashes: PackageHash[]): PackageHash[] {
  const seen = new Map<string, PackageHash>();
  for (const h of hashes) seen.set(`${h.alg}:${h.content}`, h);
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, h]) => h);
}
