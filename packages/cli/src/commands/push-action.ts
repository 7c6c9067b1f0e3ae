import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelsecError } from '@modelsec/core/errors';
import { verifyModelBundle } from '@modelsec/core/signing';
import { stableJson } from '@modelsec/core/util';
import { confirmPushInLog, parseModelRef, pushModel, tlogPathFor } from '@modelsec/registry/client';
import type { CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import { writeAtomically } from './files.js';
import type { PushFlags } from './push.js';
import { clientFrom } from './registry-client.js';
import { logTrustFrom, saveCheckpoint } from './trust-options.js';

/** The action of `modelsec push MODEL_PATH REF`: publish, then confirm the verified log entry binds what was sent. */
export async function runPush(
  env: CliEnv,
  out: Output,
  modelPath: string,
  refText: string,
  options: PushFlags,
): Promise<undefined> {
  const ref = parseModelRef(refText);
  const dir = path.resolve(env.cwd, modelPath);
  const signaturePath = path.resolve(env.cwd, options.signature ?? path.join(modelPath, 'model.sig'));
  const publicKeyPem = options.publicKey
    ? await readFile(path.resolve(env.cwd, options.publicKey), 'utf8').catch(() => {
        throw new ModelsecError('FILE_NOT_FOUND', `${options.publicKey}: cannot read the public key`);
      })
    : undefined;
  // With a key at hand, the signer printed is the one verified here, not the registry's word.
  const verified = publicKeyPem
    ? await verifyModelBundle(await readFile(signaturePath), { kind: 'key', publicKeyPem })
    : undefined;
  const trust = await logTrustFrom(env, options);
  const client = clientFrom(options, env);
  const progress = out.progress(`push ${refText}`);
  const result = await pushModel(client, dir, ref, {
    signaturePath,
    ...(publicKeyPem ? { publicKeyPem } : {}),
    ...(options.bom ? { bomPath: path.resolve(env.cwd, options.bom) } : {}),
    attestationPaths: (options.attestation ?? []).map((a) => path.resolve(env.cwd, a)),
    ...(options.autoAttestations === false ? { autoAttestations: false } : {}),
    ...(options.overrideYank ? { overrideYank: true } : {}),
    onProgress: (e) => {
      progress.setTotal(e.total);
      progress.update(e.done, e.file);
    },
  }).finally(() => progress.finish());
  const log = await confirmPushInLog(client, { ...ref, version: result.version }, result.pushed, trust);
  await saveCheckpoint(env, options, log.checkpoint);
  // The registry's proof travels with the model: model.tlog.json beside the signature (check --offline).
  const proofPath = tlogPathFor(signaturePath);
  await writeAtomically(proofPath, `${stableJson(log.proof)}\n`);
  const { proof: _proof, ...loggedSummary } = log;
  const logged = log.signer.identity ?? log.signer.keyFingerprint ?? log.signer.kind;
  const signer = verified
    ? `${verified.signer.identity ?? verified.signer.keyFingerprint} (verified here)`
    : `${logged} (as the registry logged it)`;
  const { pushed: _pushed, attestationFiles, ...version } = result;
  const attached = attestationFiles.map((f) => path.relative(env.cwd, f).split(path.sep).join('/') || f);
  out.result({ version, attestations: attached, log: { ...loggedSummary, proofFile: proofPath } }, () =>
    [
      `accepted ${ref.namespace}/${ref.model}@${result.version}`,
      `  root digest: ${result.rootDigest}`,
      `  signed by:   ${signer}`,
      `  scan:        ${log.scan ? `${log.scan.status}${log.scan.maxSeverity ? ` (max ${log.scan.maxSeverity})` : ''}` : `${result.scan.status} (not in the log entry)`}`,
      `  files:       ${result.uploaded} uploaded, ${result.deduplicated} already stored`,
      `  attested:    ${attached.length ? attached.join(', ') : 'no attestations'}`,
      `  log:         entry ${log.logIndex} in checkpoint ${log.checkpointSize} of ${log.origin} (key ${log.keyTrust === 'first-use' ? 'trusted on first use, now pinned' : log.keyTrust}), binds the pushed bundle, root digest and files`,
      `  proof:       ${proofPath}`,
    ].join('\n'),
  );
  return undefined;
}
