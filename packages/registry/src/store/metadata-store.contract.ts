/**
 * The contract every MetadataStore implementation passes. Used by the SQLite test and (issue 7) the PostgreSQL
 * test: `describeMetadataStore('postgres', async () => PostgresMetadataStore.open(url))`.
 * `makeStore` must return an EMPTY store each time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MetadataStore, VersionRecord } from './metadata-store.js';

const AT = '2026-01-01T00:00:00.000Z';

export function sampleVersion(overrides: Partial<VersionRecord> = {}): VersionRecord {
  return {
    namespace: 'acme',
    model: 'bert',
    version: '1.0.0',
    rootDigest: 'a'.repeat(64),
    bundleDigest: 'b'.repeat(64),
    signer: '{"kind":"key"}',
    signerIdentity: null,
    signerKeyFingerprint: 'c'.repeat(64),
    signedAt: null,
    scanVerdict: '{"maxSeverity":null}',
    manifest: '{}',
    publishedAt: AT,
    publishedBy: 'tok1',
    yanked: false,
    yankedAt: null,
    yankReason: null,
    ...overrides,
  };
}

export function describeMetadataStore(name: string, makeStore: () => Promise<MetadataStore>): void {
  describe(`MetadataStore contract: ${name}`, () => {
    const open: MetadataStore[] = [];
    async function store(): Promise<MetadataStore> {
      const s = await makeStore();
      open.push(s);
      return s;
    }
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });

    it('creates, lists and refuses duplicate namespaces', async () => {
      const s = await store();
      await s.createNamespace({ name: 'zeta', public: false, createdAt: AT, createdBy: 'admin' });
      await s.createNamespace({ name: 'acme', public: true, createdAt: AT, createdBy: 'admin' });
      await expect(s.createNamespace({ name: 'acme', public: false, createdAt: AT, createdBy: 'admin' })).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      expect((await s.listNamespaces()).map((n) => n.name)).toEqual(['acme', 'zeta']);
      expect((await s.getNamespace('acme'))?.public).toBe(true);
      await s.setNamespacePublic('acme', false);
      expect((await s.getNamespace('acme'))?.public).toBe(false);
      expect(await s.getNamespace('nope')).toBeUndefined();
    });

    it('stores tokens by hash and revokes them', async () => {
      const s = await store();
      await s.createToken({
        id: 't1',
        tokenHash: 'h1',
        namespace: 'acme',
        scope: 'push',
        description: '',
        createdAt: AT,
        createdBy: 'admin',
        revoked: false,
      });
      await expect(
        s.createToken({
          id: 't2',
          tokenHash: 'h1',
          namespace: 'acme',
          scope: 'read',
          description: '',
          createdAt: AT,
          createdBy: 'admin',
          revoked: false,
        }),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await s.findTokenByHash('h1')).toMatchObject({ id: 't1', scope: 'push', namespace: 'acme', revoked: false });
      expect(await s.findTokenByHash('h1')).toMatchObject({ revokedAt: null, revokedBy: null });
      await s.revokeToken('t1', AT, 'admin');
      await s.revokeToken('t1', '2027-01-01T00:00:00.000Z', 'someone-else');
      expect(await s.findTokenByHash('h1')).toMatchObject({ revoked: true, revokedAt: AT, revokedBy: 'admin' });
      expect(await s.findTokenByHash('h2')).toBeUndefined();
    });

    it('keeps a token expiry (null when none was given)', async () => {
      const s = await store();
      const base = {
        namespace: 'acme',
        scope: 'read' as const,
        description: '',
        createdAt: AT,
        createdBy: 'admin',
        revoked: false,
      };
      await s.createToken({ ...base, id: 'e1', tokenHash: 'he1', expiresAt: '2027-01-01T00:00:00.000Z' });
      await s.createToken({ ...base, id: 'e2', tokenHash: 'he2' });
      expect((await s.findTokenByHash('he1'))?.expiresAt).toBe('2027-01-01T00:00:00.000Z');
      expect((await s.findTokenByHash('he2'))?.expiresAt).toBeNull();
      expect((await s.listTokens('acme')).map((t) => [t.id, t.expiresAt])).toEqual([
        ['e1', '2027-01-01T00:00:00.000Z'],
        ['e2', null],
      ]);
    });

    it('versions policies and keeps their history', async () => {
      const s = await store();
      expect(await s.currentPolicy('acme')).toBeUndefined();
      expect((await s.setPolicy('acme', '{"a":1}', AT, 'admin')).version).toBe(1);
      expect((await s.setPolicy('acme', '{"a":2}', AT, 'admin')).version).toBe(2);
      expect((await s.currentPolicy('acme'))?.document).toBe('{"a":2}');
      expect((await s.policyHistory('acme')).map((p) => p.version)).toEqual([1, 2]);
    });

    it('enforces unique versions, stores files and attachments, answers queries, yanks', async () => {
      const s = await store();
      await s.ensureModel({ namespace: 'acme', name: 'bert', createdAt: AT });
      await s.ensureModel({ namespace: 'acme', name: 'bert', createdAt: AT });
      const files = [
        { namespace: 'acme', model: 'bert', version: '1.0.0', path: 'b.bin', digest: 'd'.repeat(64), size: 3 },
        { namespace: 'acme', model: 'bert', version: '1.0.0', path: 'a.json', digest: 'e'.repeat(64), size: 2 },
      ];
      const atts = [
        {
          namespace: 'acme',
          model: 'bert',
          version: '1.0.0',
          kind: 'bundle' as const,
          digest: 'b'.repeat(64),
          mediaType: 'application/json',
          predicateType: null,
        },
      ];
      await s.insertVersion(sampleVersion(), files, atts);
      await expect(s.insertVersion(sampleVersion(), [], [])).rejects.toMatchObject({ code: 'CONFLICT' });
      expect((await s.listModels('acme')).map((m) => m.name)).toEqual(['bert']);
      expect((await s.versionFiles('acme', 'bert', '1.0.0')).map((f) => f.path)).toEqual(['a.json', 'b.bin']);
      expect(await s.versionAttachments('acme', 'bert', '1.0.0')).toHaveLength(1);
      expect(await s.namespaceHasBlob('acme', 'd'.repeat(64))).toBe(true);
      expect(await s.namespaceHasBlob('acme', 'b'.repeat(64))).toBe(true);
      expect(await s.namespaceHasBlob('other', 'd'.repeat(64))).toBe(false);
      expect((await s.listVersions({ fileDigest: 'd'.repeat(64) })).map((v) => v.version)).toEqual(['1.0.0']);
      expect(await s.listVersions({ fileDigest: 'f'.repeat(64) })).toEqual([]);
      expect(await s.listVersions({ signerKeyFingerprint: 'c'.repeat(64) })).toHaveLength(1);
      expect(await s.listVersions({ rootDigest: 'a'.repeat(64) })).toHaveLength(1);
      // List views: only the caller's namespaces, a bounded page, and rows without their (possibly huge) manifest.
      await s.insertVersion({ ...sampleVersion(), version: '1.0.1', manifest: '{"files":[],"publicKey":"k"}' }, [], []);
      expect(await s.listVersions({ rootDigest: 'a'.repeat(64), namespaces: ['other'] })).toEqual([]);
      expect(await s.listVersions({ rootDigest: 'a'.repeat(64), namespaces: [] })).toEqual([]);
      expect(
        (await s.listVersions({ rootDigest: 'a'.repeat(64), namespaces: ['other', 'acme'], limit: 1 })).map((v) => v.version),
      ).toEqual(['1.0.0']);
      const light = await s.listVersions({ namespace: 'acme', summary: true });
      expect(light[1]).toEqual({ ...(await s.getVersion('acme', 'bert', '1.0.1')), manifest: '{}' });
      await s.yankVersion('acme', 'bert', '1.0.1', AT, 'bad');
      await s.yankVersion('acme', 'bert', '1.0.0', AT, 'bad');
      expect(await s.listVersions({ namespace: 'acme' })).toEqual([]);
      expect((await s.listVersions({ namespace: 'acme', includeYanked: true }))[0]).toMatchObject({
        yanked: true,
        yankReason: 'bad',
      });
      await expect(s.yankVersion('acme', 'bert', '9.9.9', AT, 'x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('grants blobs per namespace and answers which digests a namespace may name (own, referenced, public)', async () => {
      const s = await store();
      const [mine, theirs, pub, none] = ['1', '2', '3', '4'].map((c) => c.repeat(64)) as [string, string, string, string];
      await s.createNamespace({ name: 'acme', public: false, createdAt: AT, createdBy: 'admin' });
      await s.createNamespace({ name: 'beta', public: false, createdAt: AT, createdBy: 'admin' });
      await s.createNamespace({ name: 'open', public: true, createdAt: AT, createdBy: 'admin' });
      await s.grantBlob({ namespace: 'acme', digest: mine, createdAt: AT, createdBy: 'tok-a' });
      await s.grantBlob({ namespace: 'acme', digest: mine, createdAt: '2027-01-01T00:00:00.000Z', createdBy: 'tok-b' });
      await s.grantBlob({ namespace: 'beta', digest: theirs, createdAt: AT, createdBy: 'tok-b' });
      const key = (ns: string) => ({ namespace: ns, model: 'm', version: '1.0.0' });
      await s.insertVersion(sampleVersion({ ...key('beta') }), [{ ...key('beta'), path: 'w.bin', digest: theirs, size: 1 }], []);
      await s.insertVersion(
        sampleVersion({ ...key('open') }),
        [],
        [{ ...key('open'), kind: 'mlbom', digest: pub, mediaType: 'application/json', predicateType: null }],
      );
      expect(await s.blobsReadableTo('acme', [none, pub, theirs, mine, mine])).toEqual([mine, pub]);
      expect(await s.blobsReadableTo('beta', [mine, theirs, pub])).toEqual([theirs, pub].sort());
      expect(await s.blobsReadableTo('acme', [])).toEqual([]);
      const many = Array.from({ length: 1200 }, (_, i) => i.toString(16).padStart(64, '0'));
      expect(await s.blobsReadableTo('acme', [...many, mine])).toEqual([mine]);
      expect(await s.namespaceOwnsBlob('acme', mine)).toBe(true);
      expect(await s.namespaceOwnsBlob('acme', theirs)).toBe(false);
      expect(await s.namespaceOwnsBlob('beta', theirs)).toBe(true);
      // Public references make a digest nameable, not owned: reading it goes through the namespace that holds it.
      expect(await s.namespaceOwnsBlob('acme', pub)).toBe(false);
    });

    it('rolls back a failed transaction entirely', async () => {
      const s = await store();
      await expect(
        s.transaction(async (tx) => {
          await tx.createNamespace({ name: 'gone', public: false, createdAt: AT, createdBy: 'admin' });
          await tx.appendLogLeaf(new Uint8Array([1]));
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await s.getNamespace('gone')).toBeUndefined();
      expect(await s.logSize()).toBe(0);
    });

    it('numbers log leaves without gaps under concurrent transactions', async () => {
      const s = await store();
      const indexes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          s.transaction(async (tx) => {
            await tx.putBlobRecord({ digest: `blob${i}`, size: i, createdAt: AT });
            return tx.appendLogLeaf(new Uint8Array([i]));
          }),
        ),
      );
      expect([...indexes].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(await s.logSize()).toBe(20);
      const leaves = await s.readLogLeaves(0, 20);
      expect(leaves.map((l) => l[0])).toHaveLength(20);
      expect(Buffer.from((await s.readLogLeaves(5, 6))[0] as Uint8Array).length).toBe(1);
      await s.saveCheckpoint({ size: 20, text: 'cp20', createdAt: AT });
      await s.saveCheckpoint({ size: 21, text: 'cp21', createdAt: AT });
      expect((await s.latestCheckpoint())?.text).toBe('cp21');
    });

    it('keeps openings of sealed leaves with their leaf (one transaction) and lists them per namespace', async () => {
      const s = await store();
      await expect(
        s.transaction(async (tx) => {
          const index = await tx.appendLogLeaf(new Uint8Array([9]));
          await tx.putLogOpening({ index, namespace: 'gone', salt: '00'.repeat(32), entry: '{}' });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await s.getLogOpening(0)).toBeUndefined();
      for (const [i, ns] of ['acme', 'beta', 'acme', 'acme'].entries())
        await s.transaction(async (tx) => {
          const index = await tx.appendLogLeaf(new Uint8Array([i]));
          await tx.putLogOpening({ index, namespace: ns, salt: String(i).repeat(64), entry: `{"i":${i}}` });
        });
      expect(await s.getLogOpening(1)).toEqual({ index: 1, namespace: 'beta', salt: '1'.repeat(64), entry: '{"i":1}' });
      expect((await s.listLogOpenings({ namespace: 'acme', from: 0, limit: 10 })).map((o) => o.index)).toEqual([0, 2, 3]);
      expect((await s.listLogOpenings({ namespace: 'acme', from: 1, limit: 1 })).map((o) => o.index)).toEqual([2]);
      expect((await s.listLogOpenings({ from: 1, to: 3, limit: 10 })).map((o) => o.index)).toEqual([1, 2]);
      await expect(s.putLogOpening({ index: 1, namespace: 'acme', salt: 'x', entry: '{}' })).rejects.toThrow();
    });

    it('stores one cosignature per witness and checkpoint size (a newer one replaces it)', async () => {
      const s = await store();
      await s.saveCosignature({ size: 3, witness: 'w2+00000002+key', line: 'line-a', createdAt: AT });
      await s.saveCosignature({ size: 3, witness: 'w1+00000001+key', line: 'line-b', createdAt: AT });
      await s.saveCosignature({ size: 3, witness: 'w2+00000002+key', line: 'line-c', createdAt: AT });
      await s.saveCosignature({ size: 4, witness: 'w1+00000001+key', line: 'line-d', createdAt: AT });
      expect((await s.cosignaturesFor(3)).map((c) => [c.witness, c.line])).toEqual([
        ['w1+00000001+key', 'line-b'],
        ['w2+00000002+key', 'line-c'],
      ]);
      expect(await s.cosignaturesFor(5)).toEqual([]);
    });

    it('advances upload sessions by compare-and-set only', async () => {
      const s = await store();
      await s.createUpload({ id: 'u1', namespace: 'acme', offset: 0, createdAt: AT, updatedAt: AT, createdBy: 'tok' });
      expect(await s.advanceUpload('u1', 0, 10, AT)).toBe(true);
      expect(await s.advanceUpload('u1', 0, 20, AT)).toBe(false);
      expect((await s.getUpload('u1'))?.offset).toBe(10);
      await s.deleteUpload('u1');
      expect(await s.getUpload('u1')).toBeUndefined();
    });

    it('locks upload sessions: one holder at a time, renewals only by the holder, expiry and stale takeover', async () => {
      const s = await store();
      await s.createUpload({ id: 'u1', namespace: 'acme', offset: 0, createdAt: AT, updatedAt: AT, createdBy: 'tok' });
      expect(await s.lockUpload('u1', 'a', 1000, 2000)).toEqual({ acquired: true, owner: 'a' });
      expect(await s.lockUpload('u1', 'b', 1500, 2500)).toEqual({ acquired: false, owner: 'a' });
      expect(await s.renewUploadLock('u1', 'b', 3000)).toBe(false);
      expect(await s.renewUploadLock('u1', 'a', 3000)).toBe(true);
      // Renewed: still held at 2500; expired at 3000.
      expect((await s.lockUpload('u1', 'b', 2500, 4000)).acquired).toBe(false);
      expect(await s.lockUpload('u1', 'b', 3000, 4000)).toEqual({ acquired: true, owner: 'b' });
      // A holder known to be gone is taken over only when named.
      expect((await s.lockUpload('u1', 'c', 3100, 5000, 'a')).acquired).toBe(false);
      expect((await s.lockUpload('u1', 'c', 3100, 5000, 'b')).acquired).toBe(true);
      await s.unlockUpload('u1', 'b'); // not the holder: no effect
      expect((await s.lockUpload('u1', 'd', 3200, 6000)).acquired).toBe(false);
      await s.unlockUpload('u1', 'c');
      expect((await s.lockUpload('u1', 'd', 3200, 6000)).acquired).toBe(true);
      expect(await s.lockUpload('nope', 'a', 0, 1)).toEqual({ acquired: false });
    });

    it('indexes lineage per version: edges by seq, lookups by target digest, unindexed versions listed', async () => {
      const s = await store();
      await s.createNamespace({ name: 'acme', public: false, createdAt: AT, createdBy: 'admin' });
      await s.ensureModel({ namespace: 'acme', name: 'bert', createdAt: AT });
      for (const version of ['1.0.0', '1.1.0', '2.0.0']) await s.insertVersion(sampleVersion({ version }), [], []);
      expect(await s.unindexedVersions(10)).toEqual([
        { namespace: 'acme', model: 'bert', version: '1.0.0' },
        { namespace: 'acme', model: 'bert', version: '1.1.0' },
        { namespace: 'acme', model: 'bert', version: '2.0.0' },
      ]);
      const key = { namespace: 'acme', model: 'bert', version: '1.1.0' };
      const edge = (seq: number, targetDigest: string | null) => ({
        ...key,
        seq,
        relation: 'derived-from',
        source: 'mlbom',
        target: `{"key":"k${seq}"}`,
        targetDigest,
      });
      await s.insertLineage(key, [edge(1, null), edge(0, 'e'.repeat(64))]);
      // Idempotent: a second indexing of the same version changes nothing.
      await s.insertLineage(key, [edge(0, 'f'.repeat(64))]);
      await s.insertLineage({ ...key, version: '1.0.0' }, []);
      expect((await s.lineageEdges('acme', 'bert', '1.1.0'))?.map((e) => [e.seq, e.targetDigest, e.target])).toEqual([
        [0, 'e'.repeat(64), '{"key":"k0"}'],
        [1, null, '{"key":"k1"}'],
      ]);
      expect(await s.lineageEdges('acme', 'bert', '1.0.0')).toEqual([]);
      expect(await s.lineageEdges('acme', 'bert', '2.0.0')).toBeUndefined();
      expect(await s.versionsDerivedFrom(['e'.repeat(64), 'a'.repeat(64)])).toEqual([key]);
      expect(await s.versionsDerivedFrom(['f'.repeat(64)])).toEqual([]);
      expect(await s.versionsDerivedFrom([])).toEqual([]);
      expect(await s.unindexedVersions(10)).toEqual([{ namespace: 'acme', model: 'bert', version: '2.0.0' }]);
    });

    it('finds lineage edges by a fragment of the target name: ASCII case folded, LIKE wildcards literal, namespaces bound', async () => {
      const s = await store();
      for (const name of ['acme', 'beta']) {
        await s.createNamespace({ name, public: false, createdAt: AT, createdBy: 'admin' });
        await s.ensureModel({ namespace: name, name: 'bert', createdAt: AT });
        await s.insertVersion(sampleVersion({ namespace: name }), [], []);
      }
      const key = (namespace: string) => ({ namespace, model: 'bert', version: '1.0.0' });
      const edge = (namespace: string, seq: number, target: object) => ({
        ...key(namespace),
        seq,
        relation: 'trained-on',
        source: 'mlbom',
        target: JSON.stringify(target),
        targetDigest: null,
      });
      await s.insertLineage(key('acme'), [
        edge('acme', 0, { key: 'name:WikiText-103', kind: 'dataset', name: 'WikiText-103' }),
        edge('acme', 1, { key: 'name:100%_sure', kind: 'dataset', name: '100%_sure' }),
        edge('acme', 2, { key: 'uri:x', kind: 'dataset', uri: 'x' }),
      ]);
      await s.insertLineage(key('beta'), [edge('beta', 0, { key: 'name:wikitext-2', kind: 'dataset', name: 'wikitext-2' })]);
      const named = async (fragment: string, namespaces = ['acme', 'beta'], limit = 10) =>
        (await s.lineageEdgesNamed(fragment, namespaces, limit)).map((e) => `${e.namespace}:${e.seq}`);
      expect(await named('wikitext')).toEqual(['acme:0', 'beta:0']);
      expect(await named('WIKITEXT-1')).toEqual(['acme:0']);
      expect(await named('wikitext', ['beta'])).toEqual(['beta:0']);
      expect(await named('wikitext', [])).toEqual([]);
      expect(await named('wikitext', ['acme', 'beta'], 1)).toEqual(['acme:0']);
      // `%` and `_` match themselves, not any text.
      expect(await named('0%_s')).toEqual(['acme:1']);
      expect(await named('%')).toEqual(['acme:1']);
      expect(await named('t_1')).toEqual([]);
      // A target without a name matches nothing.
      expect(await named('x')).toEqual(['acme:0', 'beta:0']);
    });

    it('accounts upload sessions per namespace: active sessions and bytes, reservations, expiry skips locked ones', async () => {
      const s = await store();
      const session = (id: string, namespace: string, touchedMs: number) => ({
        id,
        namespace,
        offset: 0,
        createdAt: AT,
        updatedAt: AT,
        createdBy: 'tok',
        touchedMs,
      });
      await s.createUpload(session('u1', 'acme', 1000));
      await s.createUpload(session('u2', 'acme', 5000));
      await s.createUpload(session('u3', 'other', 5000));
      await s.advanceUpload('u1', 0, 100, AT);
      await s.reserveUpload('u2', 40, 6000);
      expect(await s.uploadUsage('acme', 0)).toEqual({ sessions: 2, bytes: 140 });
      expect(await s.uploadUsage('acme', 2000)).toEqual({ sessions: 1, bytes: 40 });
      expect((await s.getUpload('u2'))?.touchedMs).toBe(6000);
      expect((await s.expiredUploads(5500, 7000, 10)).map((u) => u.id)).toEqual(['u1', 'u3']);
      expect((await s.lockUpload('u1', 'holder', 7000, 9000)).acquired).toBe(true);
      expect((await s.expiredUploads(5500, 7000, 10)).map((u) => u.id)).toEqual(['u3']);
      expect((await s.expiredUploads(5500, 9000, 10)).map((u) => u.id)).toEqual(['u1', 'u3']);
      await s.transaction(async (tx) => {
        await tx.lockNamespace('acme');
        expect(await tx.uploadUsage('acme', 0)).toEqual({ sessions: 2, bytes: 140 });
      });
    });

    it('counts the metadata of one namespace (models, versions, manifest and policy bytes, policies, tokens, blobs)', async () => {
      const s = await store();
      for (const ns of ['acme', 'other']) await s.createNamespace({ name: ns, public: false, createdAt: AT, createdBy: 'admin' });
      const empty = { models: 0, versions: 0, modelVersions: 0, metadataBytes: 0, policyVersions: 0, tokens: 0, blobs: 0 };
      expect(await s.metadataUsage('acme', 'bert')).toEqual(empty);
      await s.ensureModel({ namespace: 'acme', name: 'bert', createdAt: AT });
      await s.ensureModel({ namespace: 'acme', name: 'gpt', createdAt: AT });
      // Manifests count in UTF-8 bytes ('é' is two), not characters.
      await s.insertVersion(sampleVersion({ manifest: '{"a":"é"}' }), [], []);
      await s.insertVersion(sampleVersion({ version: '1.0.1', manifest: '{}' }), [], []);
      await s.insertVersion(sampleVersion({ model: 'gpt', manifest: '{}' }), [], []);
      await s.insertVersion(sampleVersion({ namespace: 'other', manifest: '{"other":1}' }), [], []);
      await s.setPolicy('acme', '{"p":1}', AT, 'admin');
      await s.setPolicy('acme', '{"p":2}', AT, 'admin');
      for (const [id, ns] of [
        ['t1', 'acme'],
        ['t2', 'acme'],
        ['t3', 'other'],
        ['t4', null],
      ] as const)
        await s.createToken({
          id,
          tokenHash: id.repeat(16),
          namespace: ns,
          scope: 'read',
          description: '',
          createdAt: AT,
          createdBy: 'admin',
          revoked: id === 't2',
        });
      for (const c of ['1', '2']) await s.grantBlob({ namespace: 'acme', digest: c.repeat(64), createdAt: AT, createdBy: 't1' });
      await s.grantBlob({ namespace: 'other', digest: '3'.repeat(64), createdAt: AT, createdBy: 't3' });
      expect(await s.metadataUsage('acme', 'bert')).toEqual({
        models: 2,
        versions: 3,
        modelVersions: 2,
        metadataBytes: 10 + 2 + 2 + 7 + 7,
        policyVersions: 2,
        tokens: 2,
        blobs: 2,
      });
      expect((await s.metadataUsage('acme')).modelVersions).toBe(0);
      await s.transaction(async (tx) => {
        await tx.lockNamespace('acme');
        expect((await tx.metadataUsage('acme', 'gpt')).modelVersions).toBe(1);
      });
    });

    it('counts stored bytes per namespace and collects only unreferenced, unclaimed, unpinned blobs', async () => {
      const s = await store();
      const d = (c: string) => c.repeat(64);
      for (const [digest, size] of [
        [d('1'), 10],
        [d('2'), 20],
        [d('3'), 40],
        [d('4'), 80],
      ] as const)
        await s.putBlobRecord({ digest, size, createdAt: AT });
      await s.createNamespace({ name: 'acme', public: false, createdAt: AT, createdBy: 'admin' });
      await s.ensureModel({ namespace: 'acme', name: 'bert', createdAt: AT });
      const key = { namespace: 'acme', model: 'bert', version: '1.0.0' };
      await s.insertVersion(
        sampleVersion(),
        [
          { ...key, path: 'a', digest: d('1'), size: 10 },
          { ...key, path: 'b', digest: d('1'), size: 10 },
        ],
        [{ ...key, kind: 'bundle', digest: d('2'), mediaType: 'x', predicateType: null }],
      );
      await s.claimBlob('acme', d('3'), 500);
      await s.claimBlob('acme', d('3'), 100); // keeps the latest
      await s.claimBlob('other', d('4'), 1000);
      expect(await s.storedBytes('acme', [], 0)).toBe(70);
      expect(await s.storedBytes('acme', [], 600)).toBe(30);
      expect(await s.storedBytes('acme', [d('4'), d('1'), d('9')], 600)).toBe(110);
      expect(await s.storedBytes('other', [], 0)).toBe(80);

      // Collectible: 3 and 4 when their claims are older than the cutoff; a pin holds 4.
      expect((await s.collectibleBlobs(400, 0, 10)).map((b) => b.digest)).toEqual([]);
      expect((await s.collectibleBlobs(2000, 0, 10)).map((b) => b.digest)).toEqual([d('3'), d('4')]);
      await s.pinBlobs('push-1', [d('4'), d('4')], 5000);
      expect((await s.collectibleBlobs(2000, 4000, 10)).map((b) => b.digest)).toEqual([d('3')]);
      expect((await s.collectibleBlobs(2000, 5000, 10)).map((b) => b.digest)).toEqual([d('3'), d('4')]);
      expect(await s.deleteBlobIfCollectible(d('4'), 2000, 4000)).toBe(false);
      expect(await s.deleteBlobIfCollectible(d('1'), 2000, 4000)).toBe(false);
      expect(await s.deleteBlobIfCollectible(d('3'), 2000, 4000)).toBe(true);
      expect(await s.getBlobRecord(d('3'))).toBeUndefined();
      expect(await s.storedBytes('acme', [], 0)).toBe(30);
      await s.unpinBlobs('push-1');
      expect((await s.collectibleBlobs(2000, 0, 10)).map((b) => b.digest)).toEqual([d('4')]);
      expect(await s.dropStaleClaims(1001)).toBe(1);
      expect(await s.storedBytes('other', [], 0)).toBe(0);
      expect(await s.transaction((tx) => tx.missingBlobRecords([d('1'), d('3'), d('2')]))).toEqual([d('3')]);
    });

    it('keeps an audit log, newest first', async () => {
      const s = await store();
      await s.appendAudit({
        at: AT,
        actor: 'admin',
        action: 'namespace.create',
        target: 'acme',
        outcome: 'ok',
        from: '127.0.0.1',
        details: '{}',
      });
      await s.appendAudit({
        at: AT,
        actor: 'anonymous',
        action: 'push',
        target: 'acme/bert@1.0.0',
        outcome: 'refused',
        from: '127.0.0.1',
        details: '{}',
      });
      await s.appendAudit({
        at: AT,
        actor: 'admin',
        action: 'namespace.create',
        target: 'other',
        outcome: 'ok',
        from: '127.0.0.1',
        details: '{}',
      });
      expect((await s.listAudit({ limit: 10 })).map((e) => e.target)).toEqual(['other', 'acme/bert@1.0.0', 'acme']);
      expect((await s.listAudit({ limit: 10, namespace: 'acme' })).map((e) => e.outcome)).toEqual(['refused', 'ok']);
      // Paging: newest first, `before` = the id of the last entry seen; filters combine.
      const all = await s.listAudit({ limit: 10 });
      const first = await s.listAudit({ limit: 2 });
      const second = await s.listAudit({ limit: 2, before: first[1]?.id as number });
      expect([...first, ...second]).toEqual(all);
      expect(await s.listAudit({ limit: 2, before: all[2]?.id as number })).toEqual([]);
      expect((await s.listAudit({ limit: 10, outcome: 'ok' })).map((e) => e.target)).toEqual(['other', 'acme']);
      expect((await s.listAudit({ limit: 10, actor: 'anonymous', namespace: 'acme' })).map((e) => e.outcome)).toEqual([
        'refused',
      ]);
      expect(await s.listAudit({ limit: 10, actor: 'anonymous', outcome: 'ok' })).toEqual([]);
    });
  });
}
