/**
 * A malicious (or honest) registry for client tests: a small HTTP server on 127.0.0.1 that serves a transparency
 * log it builds itself (format v2 entries, signed C2SP checkpoints, witness cosignatures, tiles, openings of sealed
 * entries), blobs by digest, and whatever API JSON a test wants it to claim. Every answer can be replaced by a
 * test (`override`), so each attack class is one crafted response; the honest control is the same server untouched.
 */
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  addNoteSignatures,
  type BundleJson,
  type Cosigner,
  computeRootDigest,
  cosignCheckpoint,
  encodeLogEntry,
  generateCosigner,
  generateNoteSigner,
  generateSigningKey,
  hashFile,
  type InTotoStatement,
  keyHint,
  type LoggedScan,
  type ManifestSource,
  MerkleTree,
  MODEL_SIGNATURE_PREDICATE,
  type ModelSigner,
  type NoteSigner,
  type OpenEntry,
  type PublishEntry,
  sealLogEntry,
  signCheckpoint,
  signModel,
  signStatement,
} from '@modelsec/core';

export const CLEAN_SCAN: LoggedScan = {
  status: 'scanned',
  scanner: 'modelsec 0.1.0',
  maxSeverity: null,
  incompleteFiles: 0,
  verdicts: { clean: 2, findings: 0, incomplete: 0 },
  reportDigest: null,
};

export interface SignedFixture {
  dir: string;
  bundle: BundleJson;
  bundleBytes: Buffer;
  rootDigest: string;
  /** The signed file set (what an attestation about this model is bound to: its manifest digest). */
  model: ManifestSource;
  files: { path: string; digest: string; size: number }[];
  publicKeyPem: string;
  privateKeyPem: string;
  /** File bytes by name, for fixtures whose names cannot exist on disk (hostile names): served instead of `dir`. */
  contents?: Record<string, Buffer>;
}

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

export function tempDir(prefix = 'modelsec-mal-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A model directory signed with a key (a fresh one unless given); model.sig written inside. */
export async function signedFixture(
  files: Record<string, string | Buffer> = { 'config.json': '{"a":1}', 'weights.bin': 'weights-bytes' },
  options: {
    key?: { privateKeyPem: string; publicKeyPem: string };
    method?: 'files' | 'shards';
    shardSize?: number;
    /** false: sign without recording .git, .github, ... as ignored (sign --no-ignore-git-paths). */
    ignoreGitPaths?: boolean;
  } = {},
): Promise<SignedFixture> {
  const dir = tempDir('modelsec-model-');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  const key = options.key ?? generateSigningKey();
  const { bundle, digest } = await signModel(
    dir,
    { kind: 'key', privateKeyPem: key.privateKeyPem },
    {
      ...(options.method ? { method: options.method } : {}),
      ...(options.shardSize ? { shardSize: options.shardSize } : {}),
      ...(options.ignoreGitPaths === false ? { ignoreGitPaths: false } : {}),
    },
  );
  const bundleBytes = Buffer.from(JSON.stringify(bundle));
  writeFileSync(path.join(dir, 'model.sig'), bundleBytes);
  const list = await Promise.all(
    Object.keys(files)
      .sort()
      .map(async (p) => ({
        path: p,
        digest: (await hashFile(path.join(dir, p))).toString('hex'),
        size: Buffer.byteLength(files[p] as string | Buffer),
      })),
  );
  return { dir, bundle, bundleBytes, rootDigest: digest.rootDigest, model: digest, files: list, ...key };
}

/** Signs an arbitrary OMS-shaped statement (e.g. resources with hostile names) with a key. */
export async function signRawStatement(statement: InTotoStatement, signer: ModelSigner): Promise<Buffer> {
  return Buffer.from(JSON.stringify(await signStatement(statement, signer)));
}

/**
 * A model signature over files of any names (names a filesystem would refuse or rewrite included), signed by a key
 * (files method), with the bytes to serve: what a compromised signer or a crafted push could produce.
 */
export async function craftedFixture(files: Record<string, string | Buffer>, key = generateSigningKey()): Promise<SignedFixture> {
  const contents = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Buffer.from(v)]));
  const resources = Object.entries(contents).map(([name, bytes]) => ({ name, algorithm: 'sha256', digest: sha256(bytes) }));
  const rootDigest = computeRootDigest(resources);
  const statement: InTotoStatement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'crafted', digest: { sha256: rootDigest } }],
    predicateType: MODEL_SIGNATURE_PREDICATE,
    predicate: {
      serialization: { method: 'files', hash_type: 'sha256', allow_symlinks: false, ignore_paths: [] },
      resources,
    },
  };
  const bundleBytes = await signRawStatement(statement, { kind: 'key', privateKeyPem: key.privateKeyPem });
  return {
    dir: tempDir('modelsec-crafted-'),
    bundle: JSON.parse(bundleBytes.toString('utf8')) as BundleJson,
    bundleBytes,
    rootDigest,
    model: {
      subjectName: 'crafted',
      rootDigest,
      method: 'files',
      hashType: 'sha256',
      allowSymlinks: false,
      ignorePaths: [],
      resources,
    },
    files: Object.entries(contents).map(([p, b]) => ({ path: p, digest: sha256(b), size: b.length })),
    contents,
    ...key,
  };
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

export interface PublishOptions {
  namespace?: string;
  model?: string;
  version: string;
  scan?: LoggedScan | null;
  attachments?: PublishEntry['attachments'];
  /** Overrides of the logged fields (the registry lies in its own log). */
  entry?: Partial<PublishEntry>;
  sealed?: boolean;
  /** Blobs to serve besides the files and the bundle. */
  extraBlobs?: Buffer[];
  at?: string;
}

export class MaliciousRegistry {
  readonly signer: NoteSigner;
  readonly tree = new MerkleTree();
  readonly leaves: Uint8Array[] = [];
  readonly openings = new Map<number, { salt: string; entry: string; namespace: string }>();
  readonly blobs = new Map<string, Buffer>();
  readonly witnesses: Cosigner[] = [];
  /** Witnesses that cosign the checkpoints served (a subset of `witnesses`). */
  cosigning: Cosigner[] = [];
  /** Token → namespaces it may read (openings, private blobs); undefined token = anonymous. */
  readonly readers = new Map<string, string[]>();
  /** API JSON served for GET paths (what a lying registry claims; the client must not use it). */
  readonly api = new Map<string, unknown>();
  /** Serve only the first N leaves (a checkpoint of an older tree). */
  servedSize: number | undefined;
  /** Replace any answer: return true when handled. */
  override: Handler | undefined;
  /** Serve entry bundles (tiles); off → the client fetches entries one by one. */
  tiles = true;
  /**
   * What a push logs: given the publish entry an honest registry would write for the pushed manifest, return the
   * entry to log (a lie), or undefined to log nothing.
   */
  onPush: ((honest: PublishEntry) => PublishEntry | undefined) | undefined;
  /** Requests seen (method path). */
  readonly requests: string[] = [];
  private server!: Server;
  url = '';

  constructor(signer?: NoteSigner) {
    this.signer = signer ?? generateNoteSigner('modelsec-registry');
  }

  static async start(signer?: NoteSigner): Promise<MaliciousRegistry> {
    const r = new MaliciousRegistry(signer);
    await r.listen();
    return r;
  }

  get logKey(): string {
    return this.signer.text;
  }

  private async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  addWitness(name: string): Cosigner {
    const w = generateCosigner(name);
    this.witnesses.push(w);
    this.cosigning.push(w);
    return w;
  }

  addBlob(bytes: Buffer): string {
    const d = sha256(bytes);
    this.blobs.set(d, bytes);
    return d;
  }

  /** Appends an entry (sealed for a private namespace: the opening is kept for its readers). */
  append(entry: OpenEntry, options: { sealed?: boolean } = {}): number {
    let leaf: Uint8Array;
    if (options.sealed) {
      const salt = randomBytes(32);
      const { sealed, entryBytes } = sealLogEntry(entry, salt);
      leaf = encodeLogEntry(sealed);
      this.openings.set(this.leaves.length, {
        salt: salt.toString('hex'),
        entry: Buffer.from(entryBytes).toString('utf8'),
        namespace: entry.namespace,
      });
    } else leaf = encodeLogEntry(entry);
    this.leaves.push(leaf);
    this.tree.append(leaf);
    return this.leaves.length - 1;
  }

  /** Entry times: one second apart from 2026-01-01, in log order (the client refuses backdated entries). */
  nextAt(): string {
    return new Date(Date.UTC(2026, 0, 1) + this.leaves.length * 1000).toISOString();
  }

  /** Appends leaf bytes as they are (e.g. another registry's, to rebuild an old state of its log). */
  appendLeaf(leaf: Uint8Array): number {
    this.leaves.push(leaf);
    this.tree.append(leaf);
    return this.leaves.length - 1;
  }

  /** Publishes a signed fixture: serves its file blobs and bundle, logs a v2 publish entry. */
  publish(fixture: SignedFixture, options: PublishOptions): number {
    for (const f of fixture.files) this.addBlob(fixture.contents?.[f.path] ?? readFileBytes(fixture.dir, f.path));
    const bundleDigest = this.addBlob(fixture.bundleBytes);
    for (const b of options.extraBlobs ?? []) this.addBlob(b);
    const entry: PublishEntry = {
      type: 'publish',
      namespace: options.namespace ?? 'acme',
      model: options.model ?? 'tiny',
      version: options.version,
      rootDigest: fixture.rootDigest,
      bundleDigest,
      signer: { kind: 'key', keyFingerprint: keyFingerprint(fixture.publicKeyPem) },
      attachments: options.attachments ?? [],
      files: fixture.files,
      scan: options.scan === null ? (undefined as unknown as LoggedScan) : (options.scan ?? CLEAN_SCAN),
      at: options.at ?? this.nextAt(),
      ...options.entry,
    };
    if (options.scan === null) delete (entry as Partial<PublishEntry>).scan;
    return this.append(entry, options.sealed ? { sealed: true } : {});
  }

  yank(options: { namespace?: string; model?: string; version: string; rootDigest: string; reason?: string; sealed?: boolean }) {
    return this.append(
      {
        type: 'yank',
        namespace: options.namespace ?? 'acme',
        model: options.model ?? 'tiny',
        version: options.version,
        rootDigest: options.rootDigest,
        reason: options.reason ?? 'known bad',
        at: this.nextAt(),
      },
      options.sealed ? { sealed: true } : {},
    );
  }

  policy(namespace: string, policy: Record<string, unknown>, options: { sealed?: boolean } = {}) {
    return this.append(
      {
        type: 'policy',
        namespace,
        policyVersion: this.leaves.length + 1,
        policyDigest: sha256(JSON.stringify(policy)),
        policy,
        at: this.nextAt(),
      },
      options,
    );
  }

  /** The signed checkpoint of the first `size` leaves, cosigned by the cosigning witnesses. */
  checkpoint(size = this.servedSize ?? this.leaves.length): string {
    const note = signCheckpoint({ origin: this.signer.name, size, rootHash: this.tree.root(size), extensions: [] }, this.signer);
    const body = note.slice(0, note.indexOf('\n\n') + 1);
    const ts = Math.floor(Date.now() / 1000) - 10;
    const lines = this.cosigning.map((w) => cosignCheckpoint(body, w, ts)).join('');
    return lines ? addNoteSignatures(note, lines) : note;
  }

  private size(): number {
    return this.servedSize ?? this.leaves.length;
  }

  private reads(req: IncomingMessage, namespace: string): boolean {
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    return token !== undefined && (this.readers.get(token) ?? []).includes(namespace);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (this.override && (await this.override(req, res, url))) return;
    const send = (status: number, body: string | Uint8Array, type = 'application/json') => {
      res.statusCode = status;
      res.setHeader('content-type', type);
      res.end(typeof body === 'string' ? body : Buffer.from(body));
    };
    const p = url.pathname;
    if (p === '/v1/log/key') return send(200, `${this.signer.text}\n`, 'text/plain');
    if (p === '/v1/log/checkpoint') return send(200, this.checkpoint(), 'text/plain');
    let m = /^\/v1\/log\/entries\/(\d+)$/.exec(p);
    if (m) {
      const i = Number(m[1]);
      return i < this.size() ? send(200, this.leaves[i] as Uint8Array) : send(404, '{"error":{"code":"NOT_FOUND"}}');
    }
    m = /^\/v1\/log\/tile\/entries\/(.+)$/.exec(p);
    if (m) {
      if (!this.tiles) return send(404, '{}');
      const parts = (m[1] as string).split('/');
      let width = 256;
      if (parts.length >= 2 && (parts[parts.length - 2] as string).endsWith('.p')) {
        width = Number(parts.pop());
        parts[parts.length - 1] = (parts[parts.length - 1] as string).slice(0, -2);
      }
      const index = Number(parts.map((x) => x.replace(/^x/, '')).join(''));
      const start = index * 256;
      if (start + width > this.size()) return send(404, '{}');
      const chunks: Buffer[] = [];
      for (const leaf of this.leaves.slice(start, start + width)) {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(leaf.length, 0);
        chunks.push(len, Buffer.from(leaf));
      }
      return send(200, Buffer.concat(chunks), 'application/octet-stream');
    }
    if (p === '/v1/log/proofs/consistency') {
      const from = Number(url.searchParams.get('from'));
      const to = Number(url.searchParams.get('to'));
      return send(
        200,
        JSON.stringify({ hashes: this.tree.consistencyProof(from, to).map((h) => Buffer.from(h).toString('base64')) }),
      );
    }
    if (p === '/v1/log/openings') {
      const ns = url.searchParams.get('namespace') ?? '';
      if (!this.reads(req, ns)) return send(403, '{"error":{"code":"FORBIDDEN"}}');
      const from = Number(url.searchParams.get('from') ?? 0);
      const openings = [...this.openings]
        .filter(([i, o]) => i >= from && i < this.size() && o.namespace === ns)
        .sort(([a], [b]) => a - b)
        .map(([index, o]) => ({ index, salt: o.salt, entry: o.entry }));
      return send(200, JSON.stringify({ openings }));
    }
    m = /^\/v1\/namespaces\/([^/]+)\/blobs\/([0-9a-f]{64})$/.exec(p);
    if (m && (req.method === 'GET' || req.method === 'HEAD')) {
      const bytes = this.blobs.get(m[2] as string);
      if (!bytes) return send(404, '{"error":{"code":"NOT_FOUND","message":"no blob"}}');
      res.setHeader('content-length', String(bytes.length));
      return send(200, req.method === 'HEAD' ? '' : bytes, 'application/octet-stream');
    }
    if (m && req.method === 'PUT') {
      const body = await readBody(req);
      this.blobs.set(sha256(body), body);
      return send(201, JSON.stringify({ digest: sha256(body) }));
    }
    m = /^\/v1\/namespaces\/([^/]+)\/models\/([^/]+)\/versions\/([^/]+)$/.exec(p);
    if (m && req.method === 'PUT') {
      const manifest = JSON.parse((await readBody(req)).toString('utf8')) as {
        files: { path: string; digest: string; size: number }[];
        bundle: string;
        attestations?: string[];
      };
      const bundle = this.blobs.get(manifest.bundle) as Buffer;
      const statement = JSON.parse(
        Buffer.from(
          (JSON.parse(bundle.toString('utf8')) as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload,
          'base64',
        ).toString('utf8'),
      ) as InTotoStatement;
      const honest: PublishEntry = {
        type: 'publish',
        namespace: m[1] as string,
        model: m[2] as string,
        version: m[3] as string,
        rootDigest: statement.subject[0]?.digest.sha256 as string,
        bundleDigest: manifest.bundle,
        signer: { kind: 'key' },
        attachments: (manifest.attestations ?? []).map((digest) => ({ kind: 'attestation' as const, digest })),
        files: manifest.files,
        scan: CLEAN_SCAN,
        at: this.nextAt(),
      };
      const logged = this.onPush ? this.onPush(honest) : honest;
      if (logged) this.append(logged);
      return send(
        201,
        JSON.stringify({
          namespace: honest.namespace,
          model: honest.model,
          version: honest.version,
          rootDigest: honest.rootDigest,
          bundleDigest: honest.bundleDigest,
          signer: { kind: 'key', keyFingerprint: 'claimed-by-the-registry' },
          scan: { status: 'scanned', maxSeverity: null },
          verdict: 'accepted',
        }),
      );
    }
    const claimed = this.api.get(`${req.method} ${p}`);
    if (claimed !== undefined) return send(200, JSON.stringify(claimed));
    return send(404, JSON.stringify({ error: { code: 'NOT_FOUND', message: `${req.method} ${p}` } }));
  }
}

function readFileBytes(dir: string, rel: string): Buffer {
  return readFileSync(path.join(dir, rel));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** The key fingerprint the registry logs and the bundle hint carries (core keyHint: sha256 of the SPKI PEM). */
export function keyFingerprint(publicKeyPem: string): string {
  return keyHint(createPublicKey(publicKeyPem));
}

/** The environment of a fresh client of `registry`: its own config dir (no mirror, no pinned log key yet). */
export function freshClient(registry: MaliciousRegistry, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { MODELSEC_REGISTRY: registry.url, MODELSEC_CONFIG_DIR: tempDir('modelsec-cfg-'), ...extra };
}

/** Writes `content` to a new temporary file and returns its path. */
export function tempFile(name: string, content: string | Buffer): string {
  const file = path.join(tempDir('modelsec-file-'), name);
  writeFileSync(file, content);
  return file;
}

/** The failed rules of a `--json` check/pull answer (check: `failed`; pull: the error's details). */
export function failedCodes(json: Record<string, unknown>): string[] {
  const failed =
    (json.failed as { code: string }[] | undefined) ??
    (json.error as { details?: { failed?: { code: string }[] } } | undefined)?.details?.failed ??
    [];
  return failed.map((f) => f.code).sort();
}
