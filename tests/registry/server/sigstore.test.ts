/**
 * A registry whose policy names Sigstore identities, verifying against a private Sigstore's trusted_root.json
 * (what an air-gapped registry or a private Sigstore deployment configures with `registry serve --trusted-root`):
 * the right identity is accepted, another identity is refused, and `check --trusted-root` verifies it too.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signModel } from '@modelsec/core';
import { checkModel, parseExpectation, parseModelRef, pushModel, RegistryClient } from '@modelsec/registry';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ADMIN, testRegistry } from '../../../packages/registry/src/test-support.js';
import { runCli } from '../../helpers/cli.js';
import { freezeDateOnWholeSecond, type PrivateSigstore, startPrivateSigstore } from '../../helpers/private-sigstore.js';

const ISSUER = 'https://issuer.mock.test';
const ALICE = 'alice@example.com';
const work = mkdtempSync(path.join(os.tmpdir(), 'modelsec-registry-sigstore-'));
let sigstore: PrivateSigstore;
let registry: Awaited<ReturnType<typeof testRegistry>>;
let url: string;
let admin: RegistryClient;

async function keylessModel(name: string, identity: string): Promise<string> {
  const dir = path.join(work, name);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'weights.bin'), `weights of ${name}`);
  writeFileSync(path.join(dir, 'config.json'), '{}');
  const { bundle } = await signModel(dir, {
    kind: 'sigstore',
    identityToken: sigstore.token(identity, ISSUER),
    fulcioUrl: sigstore.fulcioUrl,
    rekorUrl: sigstore.rekorUrl,
    tsaUrl: sigstore.tsaUrl,
  });
  writeFileSync(path.join(dir, 'model.sig'), JSON.stringify(bundle));
  return dir;
}

beforeAll(async () => {
  freezeDateOnWholeSecond();
  sigstore = await startPrivateSigstore();
  registry = await testRegistry({ sigstoreTrustedRoot: sigstore.trustedRootJson });
  url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
  admin = new RegistryClient({ baseUrl: url, token: ADMIN });
  await admin.json('POST', '/v1/namespaces', { json: { name: 'acme' } });
  await admin.json('PUT', '/v1/namespaces/acme/policy', {
    json: { signers: [{ identity: ALICE, issuer: ISSUER }], scan: { required: false } },
  });
});

afterAll(async () => {
  vi.useRealTimers();
  await registry.app.close();
  await sigstore.close();
  rmSync(work, { recursive: true, force: true });
});

describe('registry with a Sigstore trusted root', () => {
  it('accepts a model signed keyless by the identity the policy names', async () => {
    const dir = await keylessModel('alice-model', ALICE);
    const pushed = await pushModel(admin, dir, parseModelRef('acme/alice@1.0.0'), { signaturePath: path.join(dir, 'model.sig') });
    expect(pushed.signer).toMatchObject({ kind: 'sigstore', identity: ALICE, issuer: ISSUER });

    // The identity comes from the namespace policy as logged, trusted through the pinned log key.
    const logKey = (await (await fetch(`${url}/v1/log/key`)).text()).trim();
    const checked = await checkModel(admin, dir, {
      configDir: path.join(work, 'cfg-lib'),
      logKey,
      sigstoreTrustedRoot: sigstore.trustedRootJson,
      expectations: [parseExpectation('acme/alice')],
    });
    expect(checked).toMatchObject({ ok: true, failed: [], signerSource: 'log-policy', signer: { identity: ALICE } });

    const trustedRoot = path.join(work, 'trusted_root.json');
    writeFileSync(trustedRoot, JSON.stringify(sigstore.trustedRootJson));
    const cli = await runCli(
      ['check', dir, '--name', 'acme/alice', '--identity', ALICE, '--issuer', ISSUER, '--trusted-root', trustedRoot, '--json'],
      { env: { MODELSEC_REGISTRY: url, MODELSEC_TOKEN: ADMIN, MODELSEC_CONFIG_DIR: path.join(work, 'cfg-cli') } },
    );
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.json()).toMatchObject({ verified: true, signerSource: 'command-line', signer: { identity: ALICE } });

    const notRoot = path.join(work, 'not-a-root.json');
    writeFileSync(notRoot, JSON.stringify({ mediaType: 'nope' }));
    const bad = await runCli(['check', dir, '--name', 'acme/alice', '--trusted-root', notRoot, '--json'], {
      env: { MODELSEC_REGISTRY: url, MODELSEC_TOKEN: ADMIN },
    });
    expect(bad.code).toBe(2);
    expect(bad.json()).toMatchObject({ error: { code: 'INVALID_CONFIG' } });
  });

  it('refuses a model signed by another identity, naming the identity mismatch', async () => {
    const dir = await keylessModel('mallory-model', 'mallory@example.com');
    const refused = pushModel(admin, dir, parseModelRef('acme/mallory@1.0.0'), { signaturePath: path.join(dir, 'model.sig') });
    await expect(refused).rejects.toMatchObject({ code: 'POLICY_DENIED' });
    const error = (await refused.catch((e: unknown) => e)) as {
      details: { failed: { details: { attempts: { code: string }[] } }[] };
    };
    expect(error.details.failed[0]?.details.attempts[0]?.code).toBe('SIGNING_IDENTITY_MISMATCH');
  });
});
