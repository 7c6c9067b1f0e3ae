import path from 'node:path';
import type { ExitCode } from '@modelsec/core';
import { checkModel, parseExpectation } from '@modelsec/registry';
import type { Command } from 'commander';
import { action, type CliEnv, collect } from '../command-kit.js';
import { addConnectionOptions, clientFrom, type RegistryConnectionOptions } from './registry.js';
import {
  addTrustOptions,
  gateOptionsFrom,
  logLine,
  printWarnings,
  saveCheckpoint,
  signerLine,
  type TrustFlags,
} from './trust-flags.js';

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
        ),
    ),
  )
    .addHelpText(
      'after',
      '\nTrust comes only from this machine: --public-key / --identity+--issuer / --certificate-root / --policy signers, else the\n' +
        'namespace policy as recorded in the log (with a pinned --log-key). Nothing the registry answers outside its signed log is used.\n' +
        'Exit codes: 0 verified; 1 a rule failed (every failed rule printed); 2 usage or trust setup; 3 internal.',
    )
    .action(
      action(
        env,
        async (
          out,
          modelPath: string,
          options: RegistryConnectionOptions & TrustFlags & { name?: string[]; signature?: string; ignore?: string[] },
        ) => {
          const gate = await gateOptionsFrom(env, options);
          const root = path.resolve(env.cwd, modelPath);
          const progress = out.progress('hashing');
          const report = await checkModel(clientFrom(options, env), root, {
            ...gate,
            ...(options.name?.length ? { expectations: options.name.map((n) => parseExpectation(n)) } : {}),
            ...(options.signature ? { signaturePath: path.resolve(env.cwd, options.signature) } : {}),
            ...(options.ignore?.length ? { ignore: options.ignore.map((p) => path.resolve(root, p)) } : {}),
            onProgress: (done, total) => {
              progress.setTotal(total);
              progress.update(done);
            },
          }).finally(() => progress.finish());
          printWarnings(out, env, report);
          if (report.ok && report.log) await saveCheckpoint(env, options, evidenceCheckpoint(report));
          const v = report.version;
          out.result(
            {
              verified: report.ok,
              version: v ?? null,
              signer: report.signer ?? null,
              signerSource: report.signerSource ?? null,
              policySource: report.policySource,
              failed: report.failed,
              warnings: report.warnings,
              yanked: report.yanked ?? null,
              scan: report.scan ?? null,
              log: report.log ? { ...report.log, keyTrust: report.keyTrust } : null,
            },
            () =>
              report.ok && v
                ? [
                    `verified: ${v.namespace}/${v.model}@${v.version} (root ${v.rootDigest})`,
                    `  signed by ${signerLine(report)}`,
                    `  published ${v.publishedAt}; scan ${report.scan ? `${report.scan.status}${report.scan.maxSeverity ? `, max ${report.scan.maxSeverity}` : ', no findings'}` : 'not logged'}; policy: ${report.policySource}`,
                    `  ${logLine(report, report.keyTrust)}`,
                  ].join('\n')
                : [
                    `NOT verified${v ? `: ${v.namespace}/${v.model}@${v.version}` : ''}`,
                    ...report.failed.map((f) => `  - [${f.rule}] ${f.code}: ${f.message}`),
                  ].join('\n'),
          );
          const code: ExitCode = report.ok ? 0 : 1;
          return code;
        },
      ),
    );
}

/** The checkpoint note the gate verified (kept on the report's log for --save-checkpoint). */
function evidenceCheckpoint(report: { log?: { checkpoint?: string } }): string | undefined {
  return report.log?.checkpoint;
}
