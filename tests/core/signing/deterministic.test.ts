/**
 * Key and certificate signatures are deterministic ECDSA (RFC 6979): the same key and statement give the same
 * signature bytes, so a model.sig can be reproduced (issue 15: an incremental re-sign is byte-identical to a full
 * re-sign with the same clock).
 */
import { createPrivateKey, generateKeyPairSync, verify } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { p256 } from '@noble/curves/nist';
import { afterAll, describe, expect, it } from 'vitest';
import { signDeterministic } from '../../../packages/core/src/signing/deterministic-ecdsa.js';
import { runCli } from '../../helpers/cli.js';

const work = mkdtempSync(path.join(tmpdir(), 'modelsec-det-ecdsa-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** DER ECDSA-Sig-Value → (r, s) as hex, for comparison with the RFC's figures. */
function rs(der: Buffer): { r: string; s: string } {
  const sig = p256.Signature.fromDER(Uint8Array.from(der));
  return { r: sig.r.toString(16).padStart(64, '0'), s: sig.s.toString(16).padStart(64, '0') };
}

describe('deterministic ECDSA', () => {
  it('reproduces RFC 6979 appendix A.2.5 (P-256, SHA-256, message "sample")', () => {
    const d = Buffer.from('C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721', 'hex');
    const point = Buffer.from(p256.getPublicKey(Uint8Array.from(d), false));
    const key = createPrivateKey({
      format: 'jwk',
      key: {
        kty: 'EC',
        crv: 'P-256',
        d: d.toString('base64url'),
        x: point.subarray(1, 33).toString('base64url'),
        y: point.subarray(33).toString('base64url'),
      },
    });
    expect(rs(signDeterministic(Buffer.from('sample'), key))).toEqual({
      r: 'efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716',
      s: 'f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8',
    });
  });

  for (const namedCurve of ['P-256', 'P-384', 'P-521']) {
    it(`${namedCurve}: the same message signs to the same bytes, which Node verifies; another message differs`, () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve });
      const hash = { 'P-256': 'sha256', 'P-384': 'sha384', 'P-521': 'sha512' }[namedCurve] as string;
      const a = signDeterministic(Buffer.from('statement'), privateKey);
      expect(signDeterministic(Buffer.from('statement'), privateKey).equals(a)).toBe(true);
      expect(verify(hash, Buffer.from('statement'), publicKey, a)).toBe(true);
      expect(signDeterministic(Buffer.from('statement!'), privateKey).equals(a)).toBe(false);
    });
  }

  it('refuses a key that is not an EC private key', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    expect(() => signDeterministic(Buffer.from('x'), privateKey)).toThrow(/P-256, P-384, P-521/);
  });

  it('`modelsec sign key` twice with the same clock writes byte-identical model.sig files (key signing reads no clock)', async () => {
    const model = path.join(work, 'model');
    mkdirSync(model);
    writeFileSync(path.join(model, 'weights.bin'), Buffer.alloc(4096, 7));
    writeFileSync(path.join(model, 'config.json'), '{"a": 1}\n');
    const signer = path.join(work, 'signer');
    expect((await runCli(['keygen', '--out', signer])).code).toBe(0);
    const signs: Buffer[] = [];
    for (let i = 0; i < 2; i++) {
      const run = await runCli(['sign', 'key', model, '--private-key', `${signer}.key`]);
      expect(run.code, run.stderr).toBe(0);
      signs.push(readFileSync(path.join(model, 'model.sig')));
    }
    expect((signs[1] as Buffer).equals(signs[0] as Buffer)).toBe(true);
    const verified = await runCli(['verify', 'key', model, '--public-key', `${signer}.pub`]);
    expect(verified.code, verified.stderr).toBe(0);
  });
});
