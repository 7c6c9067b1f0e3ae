import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelsecError, stableJson, verifyModelBundle } from '@modelsec/core';
import { confirmPushInLog, parseModelRef, pushModel, tlogPathFor } from '@modelsec/registry';
import type { Command } from 'commander';
import { action, type CliEnv, collect } from '../command-kit.js';
import { addConnectionOptions, clientFrom, type RegistryConnectionOptions } from './registry.js';
import { writeAtomically } from './sign.js';
import { addLogTrustOptions, logTrustFrom, saveCheckpoint, type TrustFlags } from './trust-flags.js';

/** `modelsec push`: publish a signed model version, then confirm in the verified log that it binds what was sent. */
export function register(program: Command, env: CliEnv): void {
  addConnectionOptions(
    addLogTrustOptions(
      program
        .command('push <model_path> <ref>')
        .description(
          'Publish a signed model version (NS/NAME@VERSION): uploads missing files, then checks the verified log entry binds exactly what was pushed',
        )
        .option('--signature <file>', 'OMS signature bundle (default: MODEL_PATH/model.sig)')
        .option(
          '--public-key <file>',
          "signer's public key PEM: sent for namespaces whose policy names no signers, and the bundle is verified with it here",
        )
        .option('--bom <file>', 'CycloneDX ML-BOM to attach')
        .option('--attestation <file>', 'signed attestation bundle to attach (repeatable)', collect)
        .option(
          '--override-yank',
          'publish content a yank of the namespace names (namespace admin token; audited, marked in the log entry)',
        ),
    ),
  ).action(
    action(
      env,
      async (
        out,
        modelPath: string,
        refText: string,
        options: RegistryConnectionOptions &
          TrustFlags & {
            signature?: string;
            publicKey?: string;
            bom?: string;
            attestation?: string[];
            overrideYank?: boolean;
          },
      ) => {
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
        const { pushed: _pushed, ...version } = result;
        out.result({ version, log: { ...loggedSummary, proofFile: proofPath } }, () =>
          [
            `accepted ${ref.namespace}/${ref.model}@${result.version}`,
            `  root digest: ${result.rootDigest}`,
            `  signed by:   ${signer}`,
            `  scan:        ${log.scan ? `${log.scan.status}${log.scan.maxSeverity ? ` (max ${log.scan.maxSeverity})` : ''}` : `${result.scan.status} (not in the log entry)`}`,
            `  files:       ${result.uploaded} uploaded, ${result.deduplicated} already stored`,
            `  log:         entry ${log.logIndex} in checkpoint ${log.checkpointSize} of ${log.origin} (key ${log.keyTrust === 'first-use' ? 'trusted on first use, now pinned' : log.keyTrust}), binds the pushed bundle, root digest and files`,
            `  proof:       ${proofPath}`,
          ].join('\n'),
        );
      },
    ),
  );
}
