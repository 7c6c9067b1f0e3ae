import type { Command } from 'commander';
import { action, type CliEnv, collect } from '../command-kit.js';
import type { Output } from '../output.js';
import { addConnectionOptions, type RegistryConnectionOptions } from './connection-options.js';
import { addLogTrustOptions, type TrustFlags } from './trust-flags.js';

export type PushFlags = RegistryConnectionOptions &
  TrustFlags & {
    signature?: string;
    publicKey?: string;
    bom?: string;
    attestation?: string[];
    autoAttestations?: boolean;
    overrideYank?: boolean;
  };

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
        .option(
          '--attestation <file>',
          'signed attestation bundle to attach (repeatable), besides the model.*.att.sig files beside the signature',
          collect,
        )
        .option(
          '--no-auto-attestations',
          'do not attach the attestation files beside the signature (model.scan.att.sig, model.bom.att.sig, ...)',
        )
        .option(
          '--override-yank',
          'publish content a yank of the namespace names (namespace admin token; audited, marked in the log entry)',
        ),
    ),
  ).action(
    action(env, async (out: Output, modelPath: string, refText: string, options: PushFlags) =>
      (await import('./push-action.js')).runPush(env, out, modelPath, refText, options),
    ),
  );
}
