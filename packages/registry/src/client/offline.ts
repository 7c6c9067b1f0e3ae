/**
 * `check --offline`: the same gate (verifier.ts) on evidence read from files beside the model, with no registry and no
 * network (Sigstore signers need a trusted_root.json): `model.sig`, the attestations `model.<slug>.att.sig`, and the log
 * proof `model.tlog.json` (tlog-file.ts). Trust comes only from the local policy and the command line.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isModelsecError, ModelsecError } from '@modelsec/core/errors';
import { hashFiles } from '@modelsec/core/hashing';
import {
  attestationNamePattern,
  DEFAULT_SHARD_SIZE,
  DEFAULT_SIGNATURE_NAME,
  hashShards,
  MAX_BUNDLE_BYTES,
  readUnverifiedModelStatement,
} from '@modelsec/core/signing';
import { decodeLogEntry } from '@modelsec/core/tlog';
import type { PolicySigner } from '../policy/policy.js';
import type { Evidence, EvidenceBlob, Expectation, LocalModelEvidence, TrustAnchors } from './evidence.js';
import { MAX_EVIDENCE_ATTESTATIONS, MAX_EVIDENCE_BLOB_BYTES } from './gather.js';
import { type LocalPolicy, parseExpectation, versionMatches } from './local-policy.js';
import { listLocal, throwIfUntrusted, toPosixRelative } from './operations.js';
import { MAX_TLOG_PROOF_BYTES, parseTlogProof, tlogPathFor } from './tlog-file.js';
import { type GateReport, verifyEvidence } from './verifier.js';

export interface OfflineCheckOptions {
  localPolicy?: LocalPolicy;
  /** Signers pinned on the command line (they replace the policy's). */
  cliSigners?: PolicySigner[];
  /** The log verifier key (--log-key); default the local policy's `log.key`. */
  logKey?: string;
  witnesses?: string[];
  witnessQuorum?: number;
  /** The checkpoint age bound (--max-checkpoint-age); default the local policy's; offline there is no default. */
  maxCheckpointAgeSeconds?: number;
  sigstoreTrustedRoot?: unknown;
  /** The expected model (--name), else the local policy `models`. */
  expectations?: Expectation[];
  signaturePath?: string;
  ignore?: string[];
  allowYanked?: boolean;
  now?: Date;
  onProgress?: (done: number, total: number) => void;
}

export interface OfflineReport extends GateReport {
  /** The evidence files read, relative to the model where they lie inside it. */
  evidenceFiles: { signature: string; attestations: string[]; tlog: string | null };
}

async function readLimited(file: string, limit: number): Promise<Buffer | undefined> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  if (info.size > limit)
    throw new ModelsecError('LIMIT_EXCEEDED', `${file} is larger than ${limit} bytes`, { details: { path: file, limit } });
  return readFile(file);
}

/** The expectation the log entry is held to: the one naming its namespace/model/version, else the first one. */
function expectationFor(expectations: readonly Expectation[], leaf: Uint8Array | undefined): Expectation | undefined {
  if (expectations.length <= 1 || !leaf) return expectations[0];
  try {
    const e = decodeLogEntry(leaf) as { namespace?: string; model?: string; version?: string };
    return (
      expectations.find(
        (x) =>
          x.namespace === e.namespace && (x.model === '*' || x.model === e.model) && versionMatches(String(e.version), x.range),
      ) ?? expectations[0]
    );
  } catch {
    return expectations[0];
  }
}

/**
 * Verifies a model (a directory, or a single file signed as one resource '.') and the evidence beside its signature
 * against local trust only. Returns every failed
 * rule; throws only when the question cannot be asked (no model, no trusted signer: exit 2).
 */
export async function checkOffline(modelPath: string, options: OfflineCheckOptions): Promise<OfflineReport> {
  const root = path.resolve(modelPath);
  const info = await stat(root).catch(() => undefined);
  if (!info) throw new ModelsecError('FILE_NOT_FOUND', `${modelPath} does not exist`, { details: { path: modelPath } });
  // A single-file model (OMS: one resource named '.') is signed with model.sig beside it, as `sign FILE` writes it;
  // its evidence lies beside it too, and every path is shown relative to that directory.
  const single = info.isFile();
  if (!single && !info.isDirectory())
    throw new ModelsecError('USAGE', `${modelPath}: check --offline takes a model directory or a single model file`, {
      details: { path: modelPath },
    });
  if (single && options.ignore?.length)
    throw new ModelsecError('USAGE', `--ignore names files of a model directory; ${modelPath} is a single-file model`);
  const base = single ? path.dirname(root) : root;
  const signaturePath = path.resolve(options.signaturePath ?? path.join(base, DEFAULT_SIGNATURE_NAME));
  if (single && signaturePath === root)
    throw new ModelsecError('USAGE', `${modelPath} is the signature file: check the model it signs`, {
      details: { path: modelPath },
    });
  const display = (p: string) => toPosixRelative(base, p) ?? p;

  // Evidence files beside the signature.
  const bundle = await readLimited(signaturePath, MAX_BUNDLE_BYTES);
  const pattern = attestationNamePattern(path.basename(signaturePath));
  const dir = path.dirname(signaturePath);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => pattern.test(n)).sort();
  if (names.length > MAX_EVIDENCE_ATTESTATIONS)
    throw new ModelsecError('LIMIT_EXCEEDED', `more than ${MAX_EVIDENCE_ATTESTATIONS} attestation files beside the signature`, {
      details: { limit: MAX_EVIDENCE_ATTESTATIONS },
    });
  const attestations: EvidenceBlob[] = [];
  for (const n of names) {
    const file = path.join(dir, n);
    const bytes = await readLimited(file, MAX_EVIDENCE_BLOB_BYTES);
    if (bytes) attestations.push({ digest: '', bytes, path: display(file) });
  }
  const tlogFile = tlogPathFor(signaturePath);
  const tlogBytes = await readLimited(tlogFile, MAX_TLOG_PROOF_BYTES);
  const tlog = tlogBytes ? parseTlogProof(tlogBytes) : undefined;

  // The local model: every file, hashed (the gate compares them with what the signature covers).
  const { listed, symlink } = await listLocal(root, signaturePath);
  const files = listed.files;
  const total = files.reduce((n, f) => n + f.size, 0);
  let done = 0;
  const digests = await hashFiles(
    files.map((f) => ({ path: f.path })),
    {
      onProgress: (n) => {
        done += n;
        options.onProgress?.(done, total);
      },
    },
  );
  const local: LocalModelEvidence = {
    files: files.map((f, i) => ({ path: f.name, size: f.size, sha256: (digests[i] as Buffer).toString('hex') })),
    ignore: single ? [] : (options.ignore ?? []).map((p) => toPosixRelative(root, p)).filter((p): p is string => p !== undefined),
    ...(!single && toPosixRelative(root, signaturePath) ? { signaturePath: toPosixRelative(root, signaturePath) as string } : {}),
    ...(symlink ? { symlink } : {}),
  };
  if (bundle) {
    let claimed: ReturnType<typeof readUnverifiedModelStatement> | undefined;
    try {
      claimed = readUnverifiedModelStatement(bundle);
    } catch (error) {
      if (!isModelsecError(error)) throw error;
    }
    if (claimed?.method === 'shards') {
      // How to hash only (read unverified): the gate compares with the verified resources.
      const shardSize = claimed.shardSize ?? DEFAULT_SHARD_SIZE;
      local.shards = await hashShards(
        listed.files.map((f) => ({ name: f.name, path: f.path, size: f.size })),
        shardSize,
      );
      local.shardSize = shardSize;
    }
  }

  const policy = options.localPolicy;
  const expectations = options.expectations?.length
    ? options.expectations
    : (policy?.models ?? []).map((m) => parseExpectation(m, 'local policy models'));
  const expected = expectationFor(expectations, tlog?.leaves[0]?.leaf);
  const logKey = options.logKey ?? policy?.log?.key;
  const witnesses = options.witnesses ?? policy?.log?.witnesses;
  const witnessQuorum = options.witnessQuorum ?? policy?.log?.witnessQuorum;
  // Offline, a proof written at pull time is evidence of inclusion, not of freshness: only an explicit bound applies.
  const maxCheckpointAgeSeconds = options.maxCheckpointAgeSeconds ?? policy?.log?.maxCheckpointAgeSeconds;
  const trust: TrustAnchors = {
    ...(logKey !== undefined ? { logKey: logKey.trim() } : {}),
    logKeyPinned: logKey !== undefined,
    ...(policy?.log?.required ? { logRequired: true } : {}),
    ...(witnesses?.length ? { witnesses } : {}),
    ...(witnessQuorum !== undefined ? { witnessQuorum } : {}),
    ...(maxCheckpointAgeSeconds ? { maxCheckpointAgeSeconds } : {}),
    ...(options.cliSigners?.length ? { cliSigners: options.cliSigners } : {}),
    ...(policy ? { localPolicy: policy } : {}),
    ...(options.sigstoreTrustedRoot !== undefined ? { sigstoreTrustedRoot: options.sigstoreTrustedRoot } : {}),
  };
  const evidence: Evidence = {
    ...(expected ? { expected } : {}),
    ...(tlog ? { log: tlog } : {}),
    ...(bundle ? { bundle } : {}),
    attestations,
    local,
  };
  const report = await verifyEvidence(evidence, trust, {
    now: options.now ?? new Date(),
    ...(options.allowYanked ? { allowYanked: true } : {}),
  });
  throwIfUntrusted(report);
  return {
    ...report,
    evidenceFiles: {
      signature: display(signaturePath),
      attestations: attestations.map((a) => a.path as string),
      tlog: tlog ? display(tlogFile) : null,
    },
  };
}
