import { createHash, createPrivateKey, sign as cryptoSign, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  attestModel,
  type BundleJson,
  type BundleVerifier,
  type Curve,
  compareResources,
  generateSigningKey,
  hashFiles,
  hashModelDirectory,
  keyHint,
  loadPrivateKey,
  type ModelSigner,
  pae,
  signModel,
  signStatement,
  verifyAttestation,
  verifyModel,
  verifyModelBundle,
} from '@modelsec/core';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/cli.js';

const work = mkdtempSync(path.join(tmpdir(), 'modelsec-sign-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
function makeModel(): string {
  const dir = path.join(work, `model-${counter++}`);
  mkdirSync(path.join(dir, 'tokenizer'), { recursive: true });
  mkdirSync(path.join(dir, '.git'), { recursive: true });
  writeFileSync(path.join(dir, 'weights.bin'), Buffer.alloc(100, 7));
  writeFileSync(path.join(dir, 'config.json'), '{"a":1}');
  writeFileSync(path.join(dir, 'tokenizer.json'), '{}');
  writeFileSync(path.join(dir, 'tokenizer', 'vocab.json'), '{"x":0}');
  writeFileSync(path.join(dir, 'empty.txt'), '');
  writeFileSync(path.join(dir, '.git', 'HEAD'), 'ref: x');
  return dir;
}

/** model-transparency's test CA and leaf, vendored (fixtures/oms-vectors/SOURCE.md): the certificate cases always run. */
const CERT_KEYS = path.join(REPO_ROOT, 'fixtures/oms-vectors/model-transparency/scripts/tests/keys/certificate');

interface Method {
  label: string;
  signer: () => ModelSigner;
  verifier: () => BundleVerifier;
}

function keyMethod(curve: Curve): Method {
  const pair = generateSigningKey(curve, 'secret');
  return {
    label: `key ${curve}`,
    signer: () => ({ kind: 'key', privateKeyPem: pair.privateKeyPem, password: 'secret' }),
    verifier: () => ({ kind: 'key', publicKeyPem: pair.publicKeyPem }),
  };
}

const readCertKey = (f: string) => readFileSync(path.join(CERT_KEYS, f), 'utf8');
const methods: Method[] = [
  keyMethod('p256'),
  keyMethod('p384'),
  keyMethod('p521'),
  {
    label: 'certificate (model-transparency test CA)',
    signer: () => ({
      kind: 'certificate',
      privateKeyPem: readCertKey('signing-key.pem'),
      signingCertificatePem: readCertKey('signing-key-cert.pem'),
      certificateChainPem: [readCertKey('int-ca-cert.pem')],
    }),
    verifier: () => ({ kind: 'certificate', rootCertificatesPem: [readCertKey('ca-cert.pem')] }),
  },
];

function editPayload(bundle: BundleJson, edit: (statement: Record<string, unknown>) => void): BundleJson {
  const copy = structuredClone(bundle) as { dsseEnvelope: { payload: string } };
  const statement = JSON.parse(Buffer.from(copy.dsseEnvelope.payload, 'base64').toString('utf8'));
  edit(statement);
  copy.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
  return copy as unknown as BundleJson;
}

describe('sign → verify → tamper, every method and serialisation', () => {
  for (const method of methods) {
    for (const serialization of ['files', 'shards'] as const) {
      describe(`${method.label}, ${serialization}`, () => {
        const options = serialization === 'shards' ? { method: 'shards' as const, shardSize: 32 } : {};
        const signed = async () => {
          const model = makeModel();
          const { bundle, digest } = await signModel(model, method.signer(), options);
          writeFileSync(path.join(model, 'model.sig'), JSON.stringify(bundle));
          return { model, bundle, digest };
        };

        it('verifies the untouched model', async () => {
          const { model, bundle, digest } = await signed();
          const verified = await verifyModel(model, bundle, method.verifier());
          expect(verified.rootDigest).toBe(digest.rootDigest);
          expect(verified.method).toBe(serialization);
          // .git and the signature are ignored by default.
          expect(verified.resources.some((r) => r.name.startsWith('.git') || r.name.startsWith('model.sig'))).toBe(false);
        });

        it('a changed file fails with SIGNING_DIGEST_MISMATCH naming it', async () => {
          const { model, bundle } = await signed();
          writeFileSync(path.join(model, 'config.json'), '{"a":2}');
          await expect(verifyModel(model, bundle, method.verifier())).rejects.toMatchObject({
            code: 'SIGNING_DIGEST_MISMATCH',
            message: expect.stringContaining('config.json'),
          });
        });

        it('an added file fails with SIGNING_FILE_EXTRA (accepted with ignoreUnsignedFiles)', async () => {
          const { model, bundle, digest } = await signed();
          writeFileSync(path.join(model, 'extra.py'), 'import os');
          await expect(verifyModel(model, bundle, method.verifier())).rejects.toMatchObject({
            code: 'SIGNING_FILE_EXTRA',
            message: expect.stringContaining('extra.py'),
          });
          const accepted = await verifyModel(model, bundle, method.verifier(), { ignoreUnsignedFiles: true });
          // Accepted as what was signed: the same root digest, and the unsigned file not among the resources.
          expect(accepted.rootDigest).toBe(digest.rootDigest);
          expect(accepted.resources.some((r) => r.name.startsWith('extra.py'))).toBe(false);
        });

        it('a removed file fails with SIGNING_FILE_MISSING', async () => {
          const { model, bundle } = await signed();
          unlinkSync(path.join(model, 'tokenizer', 'vocab.json'));
          await expect(verifyModel(model, bundle, method.verifier(), { ignoreUnsignedFiles: true })).rejects.toMatchObject({
            code: 'SIGNING_FILE_MISSING',
            message: expect.stringContaining('tokenizer/vocab.json'),
          });
        });

        it('a renamed file fails (the signed name is missing, the new one extra)', async () => {
          const { model, bundle } = await signed();
          renameSync(path.join(model, 'weights.bin'), path.join(model, 'weights2.bin'));
          const error = await verifyModel(model, bundle, method.verifier()).catch((e) => e);
          expect(error.code).toBe('SIGNING_FILE_MISSING');
          const kinds = (error.details.mismatches as { kind: string; name: string }[]).map(
            (m) => `${m.kind}:${m.name.split(':')[0]}`,
          );
          expect(kinds).toContain('missing:weights.bin');
          expect(kinds).toContain('extra:weights2.bin');
        });

        it('an edited payload fails with SIGNING_PAE_MISMATCH', async () => {
          const { bundle } = await signed();
          const edited = editPayload(bundle, (s) => {
            (s.subject as { name: string }[])[0]!.name = 'other';
          });
          await expect(verifyModelBundle(edited, method.verifier())).rejects.toMatchObject({ code: 'SIGNING_PAE_MISMATCH' });
        });
      });
    }
  }
});

describe('hashing rules', () => {
  it('orders resources as PurePosixPath does (tokenizer/vocab.json before tokenizer.json) and ignores .git', async () => {
    const digest = await hashModelDirectory(makeModel());
    expect(digest.resources.map((r) => r.name)).toEqual([
      'config.json',
      'empty.txt',
      'tokenizer/vocab.json',
      'tokenizer.json',
      'weights.bin',
    ]);
    const root = createHash('sha256');
    for (const r of digest.resources) root.update(Buffer.from(r.digest, 'hex'));
    expect(digest.rootDigest).toBe(root.digest('hex'));
    expect(digest.resources[4]!.digest).toBe(createHash('sha256').update(Buffer.alloc(100, 7)).digest('hex'));
  });

  it('shards: path:start:end per shard, empty files omitted as the reference does', async () => {
    const digest = await hashModelDirectory(makeModel(), { method: 'shards', shardSize: 40 });
    const names = digest.resources.map((r) => r.name);
    expect(names).toContain('weights.bin:0:40');
    expect(names).toContain('weights.bin:80:100');
    expect(names.some((n) => n.startsWith('empty.txt'))).toBe(false);
    expect(digest.resources[0]!.algorithm).toBe('sha256-sharded-40');
  });

  it('a symlink is refused unless allowed, then hashed under its own name', async () => {
    const model = makeModel();
    symlinkSync(path.join(model, 'config.json'), path.join(model, 'link.json'));
    await expect(hashModelDirectory(model)).rejects.toMatchObject({ code: 'SIGNING_SYMLINK_REFUSED' });
    const digest = await hashModelDirectory(model, { allowSymlinks: true });
    const byName = Object.fromEntries(digest.resources.map((r) => [r.name, r.digest]));
    expect(byName['link.json']).toBe(byName['config.json']);
  });

  it('hashFiles on the worker pool equals sha256 of the bytes, ranges included, one onBytes call per job', async () => {
    const file = path.join(work, 'pool.bin');
    const bytes = Buffer.alloc(3_000_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
    writeFileSync(file, bytes);
    const calls: number[] = [];
    const digests = await hashFiles(
      [{ path: file }, { path: file, range: { start: 10, end: 2_000_000 } }, { path: file, range: { start: 5, end: 5 } }],
      { onBytes: (n) => calls.push(n) },
    );
    expect(digests[0]!.toString('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(digests[1]!.toString('hex')).toBe(createHash('sha256').update(bytes.subarray(10, 2_000_000)).digest('hex'));
    expect(digests[2]!.toString('hex')).toBe(createHash('sha256').digest('hex'));
    expect(calls.sort((a, b) => a - b)).toEqual([0, 1_999_990, 3_000_000]);
  });

  it('a file that cannot be read fails the whole hash with FILE_NOT_FOUND naming it (no partial result)', async () => {
    await expect(hashFiles([{ path: path.join(work, 'no-such-file.bin') }])).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
      message: expect.stringContaining('no-such-file.bin'),
    });
    await expect(hashFiles([{ path: path.join(work, 'x'), range: { start: 5, end: 1 } }])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('compareResources reports missing, extra and digest mismatches', () => {
    const signed = [
      { name: 'a', digest: '00' },
      { name: 'b', digest: '11' },
    ];
    expect(
      compareResources(signed, [
        { name: 'a', digest: '01' },
        { name: 'c', digest: '22' },
      ]),
    ).toEqual([
      { kind: 'digest', name: 'a', expected: '00', actual: '01' },
      { kind: 'missing', name: 'b', expected: '11' },
      { kind: 'extra', name: 'c', actual: '22' },
    ]);
    expect(compareResources(signed, [...signed, { name: 'c', digest: '22' }], { ignoreUnsigned: true })).toEqual([]);
  });
});

describe('fail closed on hostile statements (each with its own code)', () => {
  const pair = generateSigningKey('p256');
  const signer: ModelSigner = { kind: 'key', privateKeyPem: pair.privateKeyPem };
  const verifier: BundleVerifier = { kind: 'key', publicKeyPem: pair.publicKeyPem };
  const statementWith = (names: string[], rootDigest?: string) => {
    const resources = names.map((name) => ({
      name,
      algorithm: 'sha256',
      digest: createHash('sha256').update(name).digest('hex'),
    }));
    const root = createHash('sha256');
    for (const r of resources) root.update(Buffer.from(r.digest, 'hex'));
    return {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'm', digest: { sha256: rootDigest ?? root.digest('hex') } }],
      predicateType: 'https://model_signing/signature/v1.0',
      predicate: { serialization: { method: 'files', hash_type: 'sha256', allow_symlinks: false }, resources },
    };
  };

  for (const bad of ['../outside.bin', '/etc/passwd', 'a//b', './a', 'a/./b', 'a/../b', 'C:/x']) {
    it(`resource name '${bad}' → SIGNING_RESOURCE_NAME_INVALID`, async () => {
      const bundle = await signStatement(statementWith(['ok.bin', bad]), signer);
      await expect(verifyModelBundle(bundle, verifier)).rejects.toMatchObject({ code: 'SIGNING_RESOURCE_NAME_INVALID' });
    });
  }

  it('a subject digest that is not the digest of the resources → SIGNING_ROOT_DIGEST_MISMATCH', async () => {
    const bundle = await signStatement(statementWith(['a.bin'], 'ab'.repeat(32)), signer);
    await expect(verifyModelBundle(bundle, verifier)).rejects.toMatchObject({ code: 'SIGNING_ROOT_DIGEST_MISMATCH' });
  });

  it('a P-384 signature made with SHA-256 → SIGNING_CURVE_HASH_MISMATCH', async () => {
    const p384 = generateSigningKey('p384');
    const good = await signStatement(statementWith(['a.bin']), { kind: 'key', privateKeyPem: p384.privateKeyPem });
    const envelope = (good as { dsseEnvelope: { payload: string; payloadType: string; signatures: { sig: string }[] } })
      .dsseEnvelope;
    const payload = Buffer.from(envelope.payload, 'base64');
    envelope.signatures[0]!.sig = cryptoSign(
      'sha256',
      pae(envelope.payloadType, payload),
      createPrivateKey(p384.privateKeyPem),
    ).toString('base64');
    await expect(verifyModelBundle(good, { kind: 'key', publicKeyPem: p384.publicKeyPem })).rejects.toMatchObject({
      code: 'SIGNING_CURVE_HASH_MISMATCH',
    });
  });

  it('another key → SIGNING_KEY_MISMATCH', async () => {
    const bundle = await signStatement(statementWith(['a.bin']), signer);
    await expect(
      verifyModelBundle(bundle, { kind: 'key', publicKeyPem: generateSigningKey('p256').publicKeyPem }),
    ).rejects.toMatchObject({
      code: 'SIGNING_KEY_MISMATCH',
    });
    expect(keyHint(loadPrivateKey(pair.privateKeyPem))).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a wrong password is KEY_INVALID', () => {
    const encrypted = generateSigningKey('p256', 'right');
    expect(() => loadPrivateKey(encrypted.privateKeyPem, 'wrong')).toThrow(expect.objectContaining({ code: 'KEY_INVALID' }));
  });

  it('a CA certificate presented as the leaf → refused on its key usage (chain otherwise fine)', async () => {
    // The reference's intermediate CA chains to its root but is not a signing certificate: present it as the leaf of
    // a real certificate bundle. RFC 5280 path validation refuses it on key usage (keyCertSign, no digitalSignature)
    // before its EKU is looked at; a leaf lacking only the EKU is tests/core/signing/certificate.test.ts's case.
    const fixture = path.join(CERT_KEYS, '../../v1.1.0-certificate/model.sig');
    const bundle = JSON.parse(readFileSync(fixture, 'utf8'));
    const intermediate = new X509Certificate(readFileSync(path.join(CERT_KEYS, 'int-ca-cert.pem')));
    bundle.verificationMaterial.x509CertificateChain.certificates = [{ rawBytes: intermediate.raw.toString('base64') }];
    await expect(
      verifyModelBundle(bundle, {
        kind: 'certificate',
        rootCertificatesPem: [readFileSync(path.join(CERT_KEYS, 'ca-cert.pem'), 'utf8')],
      }),
    ).rejects.toMatchObject({ code: 'SIGNING_CERT_CONSTRAINT_VIOLATED', message: expect.stringContaining('digitalSignature') });
  });
});

describe('attestations', () => {
  it('attest → verifyAttestation about the same model digest; another digest fails', async () => {
    const pair = generateSigningKey('p256');
    const digest = await hashModelDirectory(makeModel());
    const { bundle } = await attestModel(
      digest,
      'https://cyclonedx.org/bom',
      { bomFormat: 'CycloneDX' },
      { kind: 'key', privateKeyPem: pair.privateKeyPem },
    );
    const verifier: BundleVerifier = { kind: 'key', publicKeyPem: pair.publicKeyPem };
    const verified = await verifyAttestation(bundle, verifier, { rootDigest: digest.rootDigest });
    expect(verified.predicateType).toBe('https://cyclonedx.org/bom');
    expect(verified.predicate).toEqual({ bomFormat: 'CycloneDX' });
    await expect(verifyAttestation(bundle, verifier, { rootDigest: 'cd'.repeat(32) })).rejects.toMatchObject({
      code: 'SIGNING_DIGEST_MISMATCH',
    });
    // An attestation is not a model signature.
    await expect(verifyModelBundle(bundle, verifier)).rejects.toMatchObject({ code: 'SIGNING_PREDICATE_UNSUPPORTED' });
  });
});

describe("the spec's forms are verified too", () => {
  const pair = generateSigningKey('p384');
  const signer: ModelSigner = { kind: 'key', privateKeyPem: pair.privateKeyPem };
  const verifier: BundleVerifier = { kind: 'key', publicKeyPem: pair.publicKeyPem };
  const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
  const rootOf = (digests: string[]) => {
    const h = createHash('sha256');
    for (const d of digests) h.update(Buffer.from(d, 'hex'));
    return h.digest('hex');
  };

  it('a single-file model whose resource is named by its basename (spec) or "." (reference)', async () => {
    const dir = mkdtempSync(path.join(work, 'single-'));
    const file = path.join(dir, 'model.gguf');
    writeFileSync(file, 'gguf bytes');
    for (const name of ['model.gguf', '.']) {
      const digest = sha('gguf bytes');
      const statement = {
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ name: 'model.gguf', digest: { sha256: rootOf([digest]) } }],
        predicateType: 'https://model_signing/signature/v1.0',
        predicate: {
          serialization: { method: 'files', hash_type: 'sha256', allow_symlinks: false },
          resources: [{ name, algorithm: 'sha256', digest }],
        },
      };
      const bundle = await signStatement(statement, signer);
      await expect(verifyModel(file, bundle, verifier)).resolves.toMatchObject({ resources: [{ name }] });
    }
  });

  it('shards with algorithm = hash_type and shard_size as a float (protobuf JSON)', async () => {
    const dir = mkdtempSync(path.join(work, 'spec-shards-'));
    const bytes = Buffer.alloc(25, 9);
    writeFileSync(path.join(dir, 'w.bin'), bytes);
    const digests = [sha(bytes.subarray(0, 10)), sha(bytes.subarray(10, 20)), sha(bytes.subarray(20, 25))];
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'm', digest: { sha256: rootOf(digests) } }],
      predicateType: 'https://model_signing/signature/v1.0',
      predicate: {
        serialization: { method: 'shards', hash_type: 'sha256', allow_symlinks: false, shard_size: 10.0 },
        resources: ['w.bin:0:10', 'w.bin:10:20', 'w.bin:20:25'].map((name, i) => ({
          name,
          algorithm: 'sha256',
          digest: digests[i],
        })),
      },
    };
    const bundle = await signStatement(statement, signer);
    await expect(verifyModel(dir, bundle, verifier)).resolves.toMatchObject({ method: 'shards', shardSize: 10 });
  });
});
