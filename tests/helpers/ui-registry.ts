/**
 * A registry for the web UI's end-to-end tests, listening on 127.0.0.1 with the real scanner and transparency log,
 * holding the versions each page is checked against:
 * - acme/clean@1.0.0: clean, key-signed;
 * - acme/clean@1.1.0: published then yanked;
 * - acme/evil@1.0.0: refused at push (a pickle that runs os.system under the default policy), so absent;
 * - lab/risky@1.0.0: the same pickle accepted under a permissive policy (maxSeverity critical): a scan finding;
 * - lab/opaque@1.0.0: a file the scanner cannot read, accepted (allowIncomplete): an incomplete verdict;
 * - acme/tuned@2.0.0: an ML-BOM derived from acme/clean@1.0.0 and trained on a dataset (lineage), an attestation;
 * - acme/xss@1.0.0: a model card, a file name, a dataset name and a licence carrying script and markup payloads;
 * - vault/private@1.0.0: in a private namespace (its log entry is sealed: the proof opens it);
 * - acme/xmlbom@1.0.0: a CycloneDX XML ML-BOM (a dataset by reference, a dependency, a description with markup).
 * A C2SP witness (witness.example/ui, on 127.0.0.1) cosigns the log's checkpoints; the helper returns once the latest
 * checkpoint carries its cosignature.
 */
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { attestModel, generateCosigner, parseVerifierKey } from '@modelsec/core';
import { createRegistry, parseModelRef, pushModel, RegistryClient } from '@modelsec/registry';
import { createWitnessServer, Witness } from '../../packages/registry/src/log/index.js';
import { ADMIN, signedModel, tempDir, testRegistry } from '../../packages/registry/src/test-support.js';

/** The predicate type of the attestation pushed with acme/tuned@2.0.0. */
export const ATTESTATION_TYPE = 'https://modelsec.dev/eval/v1';
export const DATASET_DIGEST = 'd'.repeat(64);
/** Markup and script payloads: rendered as text they stay visible, parsed as HTML they would run. */
export const XSS = {
  card: '<img src=x onerror="alert(\'card\')"><script>alert("card")</script>',
  file: '<img src=x onerror=alert(1)>.bin',
  dataset: '<script>alert("dataset")</script><a href="javascript:alert(2)">ds</a>',
  license: 'javascript:alert(3)',
};

/** A CycloneDX 1.6 XML ML-BOM, valid against the schema (the registry validates it at push). */
export const XML_BOM = `<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" serialNumber="urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79" version="1">
  <metadata>
    <component type="machine-learning-model" bom-ref="model">
      <name>xml-model</name>
      <version>1.0.0</version>
      <description>A model described in &lt;b&gt;XML&lt;/b&gt;</description>
      <licenses><license><id>MIT</id></license></licenses>
      <modelCard>
        <modelParameters>
          <task>text-classification</task>
          <architectureFamily>bert</architectureFamily>
          <datasets><ref>ds-imdb</ref></datasets>
        </modelParameters>
      </modelCard>
    </component>
  </metadata>
  <components>
    <component type="data" bom-ref="ds-imdb">
      <name>imdb</name>
      <hashes><hash alg="SHA-256">${'c'.repeat(64)}</hash></hashes>
      <data><type>dataset</type></data>
    </component>
    <component type="library" bom-ref="pkg:pypi/torch@2.3.1">
      <name>torch</name>
      <version>2.3.1</version>
      <purl>pkg:pypi/torch@2.3.1</purl>
    </component>
  </components>
</bom>
`;

function bom(opts: { name: string; baseDigest?: string; datasetName: string; description: string; license: string }) {
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    metadata: {
      component: {
        type: 'machine-learning-model',
        'bom-ref': 'model',
        name: opts.name,
        description: opts.description,
        licenses: [{ license: { name: opts.license } }],
        ...(opts.baseDigest
          ? {
              pedigree: {
                ancestors: [
                  { type: 'machine-learning-model', name: 'clean', hashes: [{ alg: 'SHA-256', content: opts.baseDigest }] },
                ],
              },
            }
          : {}),
        modelCard: {
          modelParameters: { task: 'text-classification', datasets: [{ ref: 'ds' }] },
          considerations: { useCases: [opts.description] },
        },
      },
    },
    components: [
      { type: 'data', 'bom-ref': 'ds', name: opts.datasetName, hashes: [{ alg: 'SHA-256', content: DATASET_DIGEST }] },
    ],
  };
}

export interface UiRegistry {
  url: string;
  dataDir: string;
  admin: RegistryClient;
  /** Root digests of the pushed versions, by `ns/model@version`. */
  roots: Record<string, string>;
  /** The refusal of acme/evil@1.0.0 (its error code). */
  refusedCode: string;
  /** The verifier key of the witness that cosigns the log's checkpoints. */
  witnessKey: string;
  close(): Promise<void>;
}

export async function startUiRegistry(): Promise<UiRegistry> {
  // The log key of a fresh data directory, so the witness can be told which log it witnesses.
  const dataDir = tempDir();
  const probe = await createRegistry({ dataDir, adminToken: ADMIN, scanner: null });
  const logKey = (await probe.app.inject({ url: '/v1/log/key' })).body.trim();
  await probe.app.close();
  const witness = await Witness.open({
    cosigner: generateCosigner('witness.example/ui'),
    logKeys: [parseVerifierKey(logKey)],
    stateDir: tempDir(),
  });
  const witnessServer = createWitnessServer(witness);
  await new Promise<void>((resolve) => witnessServer.listen(0, '127.0.0.1', resolve));
  const witnessUrl = `http://127.0.0.1:${(witnessServer.address() as AddressInfo).port}`;
  // The real scanner (testRegistry turns it off by default).
  const registry = await testRegistry({
    scanner: undefined,
    dataDir,
    witnesses: [{ url: witnessUrl, key: witness.verifierKey }],
    witnessRetryIntervalMs: 100,
  });
  const url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
  const admin = new RegistryClient({ baseUrl: url, token: ADMIN });
  const roots: Record<string, string> = {};
  await admin.json('POST', '/v1/namespaces', { json: { name: 'acme', public: true } });
  await admin.json('POST', '/v1/namespaces', { json: { name: 'lab', public: true } });
  await admin.json('POST', '/v1/namespaces', { json: { name: 'vault', public: false } });
  await admin.json('PUT', '/v1/namespaces/lab/policy', { json: { scan: { maxSeverity: 'critical', allowIncomplete: true } } });

  const push = async (
    ref: string,
    files: Record<string, string>,
    extra: { bom?: unknown; attest?: string } = {},
  ): Promise<{ rootDigest: string }> => {
    const model = await signedModel(files);
    let bomPath: string | undefined;
    if (typeof extra.bom === 'string') {
      bomPath = path.join(tempDir(), 'bom.xml');
      writeFileSync(bomPath, extra.bom);
    } else if (extra.bom) {
      bomPath = path.join(tempDir(), 'bom.json');
      writeFileSync(bomPath, JSON.stringify(extra.bom));
    }
    const attestationPaths: string[] = [];
    if (extra.attest) {
      const { bundle } = await attestModel(
        // The one subject modelsec attestations have: the signed file set (the OMS manifest's digest).
        model.digest,
        extra.attest,
        { evaluated: true },
        { kind: 'key', privateKeyPem: model.key.privateKeyPem },
      );
      const file = path.join(tempDir(), 'model.att.sig');
      writeFileSync(file, JSON.stringify(bundle));
      attestationPaths.push(file);
    }
    const pushed = await pushModel(admin, model.dir, parseModelRef(ref), {
      signaturePath: model.signaturePath,
      publicKeyPem: model.key.publicKeyPem,
      ...(bomPath ? { bomPath } : {}),
      ...(attestationPaths.length ? { attestationPaths } : {}),
    });
    roots[ref] = pushed.rootDigest;
    return pushed;
  };

  const clean = await push('acme/clean@1.0.0', { 'config.json': '{"hidden_size":8}', 'README.md': '# clean model\n' });
  await push('acme/clean@1.1.0', { 'config.json': '{"hidden_size":16}', 'README.md': '# clean model, v1.1\n' });
  await admin.json('POST', '/v1/namespaces/acme/models/clean/versions/1.1.0/yank', { json: { reason: 'weights leaked' } });

  // Protocol 0 (ASCII): GLOBAL os.system, MARK, STRING, TUPLE, REDUCE, STOP.
  const evilPickle = "cos\nsystem\n(S'echo pwned'\ntR.";
  let refusedCode = '';
  try {
    await push('acme/evil@1.0.0', { 'model.pkl': evilPickle });
  } catch (error) {
    refusedCode = (error as { code?: string }).code ?? String(error);
  }
  await push('lab/risky@1.0.0', { 'model.pkl': evilPickle });
  // A binary the scanner does not recognise: not fully inspected, accepted because the policy allows incomplete files.
  await push('lab/opaque@1.0.0', { 'weights.bin': 'MSBLOB\u0001\u0002\u0003 opaque tensor bytes \u0004\u0005' });

  await push(
    'acme/tuned@2.0.0',
    { 'config.json': '{"hidden_size":8,"tuned":true}' },
    {
      bom: bom({
        name: 'tuned',
        baseDigest: clean.rootDigest,
        datasetName: 'squad',
        description: 'Fine-tuned for sentiment',
        license: 'Apache-2.0',
      }),
      attest: ATTESTATION_TYPE,
    },
  );
  await push(
    'acme/xss@1.0.0',
    { 'config.json': '{}', [XSS.file]: 'payload-bytes' },
    { bom: bom({ name: 'xss', datasetName: XSS.dataset, description: XSS.card, license: XSS.license }) },
  );
  await push('vault/private@1.0.0', { 'config.json': '{"private":true}' });
  await push('acme/xmlbom@1.0.0', { 'config.json': '{"xml":true}' }, { bom: XML_BOM });
  // Witnessing runs in the background: wait until the latest checkpoint is cosigned.
  for (let i = 0; i < 200; i++) {
    if ((await (await fetch(`${url}/v1/log/checkpoint`)).text()).includes('\u2014 witness.example/ui ')) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return {
    url,
    dataDir,
    admin,
    roots,
    refusedCode,
    witnessKey: witness.verifierKey,
    close: async () => {
      await registry.app.close();
      await new Promise((resolve) => witnessServer.close(resolve));
      await witness.close();
    },
  };
}
