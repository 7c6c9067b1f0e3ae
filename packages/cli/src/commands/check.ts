import type { Command } from 'commander';
import { action, type CliEnv, collect, Option } from '../command-kit.js';
import type { Output } from '../output.js';
import { addConnectionOptions, type RegistryConnectionOptions } from './connection-options.js';
import { addTrustOptions, type TrustFlags } from './trust-flags.js';

export type CheckFlags = RegistryConnectionOptions &
  TrustFlags & {
    name?: string[];
    signature?: string;
    ignore?: string[];
    offline?: boolean;
    format: 'text' | 'json' | 'sarif';
    sarifFile?: string;
  };

/** `modelsec check`: the CI gate. */
export function register(program: Command, env: CliEnv): void {
  addConnectionOptions(
    addTrustOptions(
      program
        .command('check <model_path>')
        .description(
          'CI gate: is this exact model a published version of the expected model, in the verified log, signed by a locally trusted signer, not yanked, scanned clean? Exit 0 or 1 with every failed rule',
        )
        .option(
          '--name <ref>',
          'the expected model NS/NAME[@RANGE] (or NS/*); repeatable; default: the local policy "models"',
          collect,
        )
        .option(
          '--signature <file>',
          'the local signature file: never compared, and how a shards model is hashed (default MODEL_PATH/model.sig)',
        )
        .option(
          '--ignore <path>',
          'a file or directory of the model the signature does not cover and check must ignore; repeatable',
          collect,
        )
        .option(
          '--offline',
          'no registry: verify the evidence beside the model (model.sig, model.*.att.sig, model.tlog.json) against --policy / the flags only',
        )
        .addOption(
          new Option(
            '--format <format>',
            'output: text, json (same as --json) or sarif (SARIF 2.1.0, one result per failed rule)',
          )
            .choices(['text', 'json', 'sarif'])
            .default('text'),
        )
        .option(
          '--sarif-file <file>',
          'also write the SARIF 2.1.0 report to FILE, whatever --format prints (one run gives the JSON result and the code-scanning upload)',
        ),
    ),
  )
    .addHelpText(
      'after',
      '\nTrust comes only from this machine: --public-key / --identity+--issuer / --certificate-root / --policy signers, else the\n' +
        'namespace policy as recorded in the log (with a pinned --log-key). Nothing the registry answers outside its signed log is used.\n' +
        'Exit codes: 0 verified; 1 a rule failed (every failed rule printed); 2 usage or trust setup; 3 internal.\n' +
        '\nOffline (--offline): the same gate on the files beside the model. The local policy adds "log": {"key": ..., "required": true}\n' +
        'to demand a model.tlog.json proven under that key; without it a missing proof is a warning.\n' +
        '  modelsec check ./model --offline --policy deploy-policy.json --format sarif > check.sarif',
    )
    .action(
      action(env, async (out: Output, modelPath: string, options: CheckFlags) =>
        (await import('./check-action.js')).runCheck(env, out, modelPath, options),
      ),
    );
}
