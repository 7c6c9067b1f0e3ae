import path from 'node:path';
import { parseModelRef, pullModel } from '@modelsec/registry';
import type { Command } from 'commander';
import { action, type CliEnv } from '../command-kit.js';
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

/** `modelsec pull`: choose the version from the verified log, run the gate, write exactly the signed files. */
export function register(program: Command, env: CliEnv): void {
  addConnectionOptions(
    addTrustOptions(
      program
        .command('pull <ref>')
        .description(
          'Download NS/NAME@VERSION|RANGE: the version comes from the verified log (highest non-yanked in range), the gate runs on its evidence, then exactly the signed files are written into the new directory -o DIR',
        )
        .requiredOption('-o, --output <dir>', 'directory to create (must not exist)'),
    ),
  )
    .addHelpText(
      'after',
      '\nSigners are trusted only from this machine (--public-key, --identity+--issuer, --certificate-root, --policy), else from the\nnamespace policy as recorded in the log (with a pinned --log-key).',
    )
    .action(
      action(env, async (out, refText: string, options: RegistryConnectionOptions & TrustFlags & { output: string }) => {
        const ref = parseModelRef(refText);
        const gate = await gateOptionsFrom(env, options);
        const outDir = path.resolve(env.cwd, options.output);
        const progress = out.progress(`pull ${refText}`);
        const report = await pullModel(clientFrom(options, env), ref, outDir, {
          ...gate,
          onProgress: (done, total, file) => {
            progress.setTotal(total);
            progress.update(done, file);
          },
        }).finally(() => progress.finish());
        printWarnings(out, env, report);
        await saveCheckpoint(env, options, report.log?.checkpoint);
        const v = report.version;
        out.result(
          {
            version: v ?? null,
            output: report.output,
            signer: report.signer ?? null,
            signerSource: report.signerSource ?? null,
            files: report.files ?? [],
            warnings: report.warnings,
            yanked: report.yanked ?? null,
            log: report.log ? { ...report.log, keyTrust: report.keyTrust } : null,
          },
          () =>
            [
              `pulled ${v?.namespace}/${v?.model}@${v?.version} into ${report.output} (${report.files?.length ?? 0} signed files, each of its signed size and digest)`,
              `  signed by ${signerLine(report)}`,
              ...(report.yanked ? [`  YANKED (accepted with --allow-yanked): ${report.yanked.reason}`] : []),
              `  ${logLine(report, report.keyTrust)}`,
            ].join('\n'),
        );
      }),
    );
}
