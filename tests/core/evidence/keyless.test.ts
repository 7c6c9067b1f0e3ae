/**
 * Issue 15 with keyless signing: `sign sigstore` and `scan --attest sigstore` against a private Sigstore on 127.0.0.1
 * (@sigstore/mock), then `check --offline` trusting exactly the identity and issuer with the trusted_root.json: the
 * honest model passes; another identity, or a substring of it, does not.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SCAN_PREDICATE_TYPE, validateScanPredicate } from '@modelsec/core';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { freezeDateOnWholeSecond, type PrivateSigstore, startPrivateSigstore } from '../../helpers/private-sigstore.js';

const ISSUER = 'https://issuer.mock.test';
const IDENTITY = 'release@example.com';
const work = mkdtempSync(path.join(tmpdir(), 'modelsec-evidence-keyless-'));
let sigstore: PrivateSigstore;
let trustedRoot = '';
let urls: string[] = [];

beforeAll(async () => {
  freezeDateOnWholeSecond();
  sigstore = await startPrivateSigstore();
  const base = sigstore.fulcioUrl.replace(/\/fulcio$/, '');
  urls = ['--fulcio-url', `${base}/fulcio`, '--rekor-url', `${base}/rekor`, '--tsa-url', `${base}/tsa`];
  trustedRoot = path.join(work, 'trusted_root.json');
  writeFileSync(trustedRoot, JSON.stringify(sigstore.trustedRootJson));
});

afterAll(async () => {
  vi.useRealTimers();
  await sigstore.close();
  rmSync(work, { recursive: true, force: true });
});

describe('keyless evidence, checked offline', () => {
  it('sign sigstore + scan --attest sigstore → check --offline with the exact identity exits 0; another identity exits 1', async () => {
    const model = path.join(work, 'model');
    mkdirSync(model);
    writeFileSync(path.join(model, 'config.json'), '{"model_type":"llama"}');
    writeFileSync(path.join(model, 'README.md'), '# a tiny model\n');
    const env = { SIGSTORE_ID_TOKEN: sigstore.token(IDENTITY, ISSUER) };
    const sign = await runCli(['sign', 'sigstore', model, ...urls], { env });
    expect(sign.code, sign.stderr).toBe(0);
    const scan = await runCli(['scan', model, '--attest', 'sigstore', ...urls], { env });
    expect(scan.code, scan.stderr).toBe(0);
    const file = path.join(model, 'model.scan.att.sig');

    // The attestation is a keyless Sigstore bundle sigstore-js verifies on its own (Fulcio chain, Rekor, TSA).
    const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(sigstore.trustedRootJson)), {
      tlogThreshold: 1,
      ctlogThreshold: 1,
      timestampThreshold: 1,
    });
    const signer = verifier.verify(toSignedEntity(bundleFromJSON(JSON.parse(readFileSync(file, 'utf8')))));
    expect(signer.identity?.subjectAlternativeName).toBe(IDENTITY);
    const payload = JSON.parse(
      Buffer.from(
        (JSON.parse(readFileSync(file, 'utf8')) as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload,
        'base64',
      ).toString(),
    ) as { predicateType: string; predicate: unknown };
    expect(payload.predicateType).toBe(SCAN_PREDICATE_TYPE);
    expect(validateScanPredicate(payload.predicate).summary).toMatchObject({ files: 2 });

    const policy = path.join(work, 'policy.json');
    writeFileSync(policy, JSON.stringify({ attestations: { required: [SCAN_PREDICATE_TYPE] } }));
    const check = (identity: string) =>
      runCli(
        [
          'check',
          model,
          '--offline',
          '--policy',
          policy,
          '--identity',
          identity,
          '--issuer',
          ISSUER,
          '--trusted-root',
          trustedRoot,
          '--json',
        ],
        { env: { MODELSEC_REGISTRY: 'http://127.0.0.1:9', MODELSEC_CONFIG_DIR: mkdtempSync(path.join(work, 'cfg-')) } },
      );
    const honest = await check(IDENTITY);
    expect(honest.code, honest.stdout).toBe(0);
    expect(honest.json()).toMatchObject({
      verified: true,
      signer: { kind: 'sigstore', identity: IDENTITY, issuer: ISSUER },
      attestations: [{ predicateType: SCAN_PREDICATE_TYPE, path: 'model.scan.att.sig' }],
    });
    for (const identity of ['other@example.com', 'release@example']) {
      const refused = await check(identity);
      expect(refused.code).toBe(1);
      expect(
        refused
          .json<{ failed: { rule: string; code: string }[] }>()
          .failed.map((f) => `${f.rule}:${f.code}`)
          .slice(0, 1),
      ).toEqual(['signature:SIGNING_IDENTITY_MISMATCH']);
    }

    // Incremental keyless re-sign: OLD.sig must verify against the exact identity before its digests are reused.
    writeFileSync(path.join(model, 'README.md'), '# a tiny model\n\nUsage.\n');
    const reuse = [
      '--reuse-from',
      path.join(model, 'model.sig'),
      '--reuse-issuer',
      ISSUER,
      '--trusted-root',
      trustedRoot,
      '--json',
    ];
    const wrong = await runCli(['sign', 'sigstore', model, ...urls, ...reuse, '--reuse-identity', 'other@example.com'], { env });
    expect(wrong.code).toBe(1);
    expect(wrong.json()).toMatchObject({ error: { code: 'SIGNING_IDENTITY_MISMATCH' } });
    const resigned = await runCli(['sign', 'sigstore', model, ...urls, ...reuse, '--reuse-identity', IDENTITY], { env });
    expect(resigned.code, resigned.stdout + resigned.stderr).toBe(0);
    expect(resigned.json()).toMatchObject({ resources: 2, reused: { files: 1 } });
  }, 180_000);
});
