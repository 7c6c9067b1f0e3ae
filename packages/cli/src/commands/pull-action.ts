import path from 'node:path';
import { parseModelRef, pullModel } from '@modelsec/registry/client';
import type { CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import { consistencyLine, logConsistencyBasis } from './check-consistency.js';
import type { PullFlags } from './pull.js';
import { clientFrom } from './registry-client.js';
import { gateOptionsFrom, logLine, printWarnings, saveCheckpoint, signerLine } from './trust-options.js';

/** The action of `modelsec pull REF -o DIR`: the version from the verified log, the gate, then exactly the signed files. */
export async function runPull(env: CliEnv, out: Output, refText: string, options: PullFlags): Promise<undefined> {
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
      log: report.log ? { ...report.log, keyTrust: report.keyTrust, consistency: logConsistencyBasis(gate, report.log) } : null,
    },
    () =>
      [
        `pulled ${v?.namespace}/${v?.model}@${v?.version} into ${report.output} (${report.files?.length ?? 0} signed files, each of its signed size and digest)`,
        `  signed by ${signerLine(report)}`,
        ...(report.yanked ? [`  YANKED (accepted with --allow-yanked): ${report.yanked.reason}`] : []),
        `  ${logLine(report, report.keyTrust)}`,
        ...(report.log ? [`  ${consistencyLine(logConsistencyBasis(gate, report.log), report.log.cosignedBy)}`] : []),
      ].join('\n'),
  );
  return undefined;
}
