import path from 'node:path';
import { type ExitCode, MODELSEC_VERSION, stableJson } from '@modelsec/core';
import { checkModel, checkOffline, type GateReport, parseExpectation } from '@modelsec/registry';
import type { Command } from 'commander';
import { action, type CliEnv, collect, Option } from '../command-kit.js';
import type { Output } from '../output.js';
import { checkSarif } from './check-sarif.js';
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
      action(
        env,
        async (
          out,
          modelPath: string,
          options: RegistryConnectionOptions &
            TrustFlags & {
              name?: string[];
              signature?: string;
              ignore?: string[];
              offline?: boolean;
              format: 'text' | 'json' | 'sarif';
            },
        ) => {
          const gate = await gateOptionsFrom(env, options);
          const root = path.resolve(env.cwd, modelPath);
          if (options.offline) return offlineCheck(env, out, root, options, gate);
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

/** `check --offline`: the gate on the evidence files, printed as text, JSON or SARIF. */
async function offlineCheck(
  env: CliEnv,
  out: Output,
  root: string,
  options: TrustFlags & {
    name?: string[];
    signature?: string;
    ignore?: string[];
    format: 'text' | 'json' | 'sarif';
    logKey?: string;
  },
  gate: Awaited<ReturnType<typeof gateOptionsFrom>>,
): Promise<ExitCode> {
  const progress = out.progress('hashing');
  const report = await checkOffline(root, {
    ...(gate.localPolicy ? { localPolicy: gate.localPolicy } : {}),
    ...(gate.cliSigners ? { cliSigners: gate.cliSigners } : {}),
    ...(gate.logKey !== undefined ? { logKey: gate.logKey } : {}),
    ...(gate.witnesses ? { witnesses: gate.witnesses } : {}),
    ...(gate.witnessQuorum !== undefined ? { witnessQuorum: gate.witnessQuorum } : {}),
    ...(gate.sigstoreTrustedRoot !== undefined ? { sigstoreTrustedRoot: gate.sigstoreTrustedRoot } : {}),
    ...(options.name?.length ? { expectations: options.name.map((n) => parseExpectation(n)) } : {}),
    ...(options.signature ? { signaturePath: path.resolve(env.cwd, options.signature) } : {}),
    ...(options.ignore?.length ? { ignore: options.ignore.map((p) => path.resolve(root, p)) } : {}),
    ...(gate.allowYanked ? { allowYanked: true } : {}),
    onProgress: (done, total) => {
      progress.setTotal(total);
      progress.update(done);
    },
  }).finally(() => progress.finish());
  printWarnings(out, env, report);
  const code: ExitCode = report.ok ? 0 : 1;
  if (options.format === 'sarif') {
    out.raw(stableJson(checkSarif(report.failed, { version: MODELSEC_VERSION, signature: report.evidenceFiles.signature })));
    return code;
  }
  const data = {
    verified: report.ok,
    offline: true,
    version: report.version ?? null,
    signer: report.signer ?? null,
    signerSource: report.signerSource ?? null,
    policySource: report.policySource,
    failed: report.failed,
    warnings: report.warnings,
    evidence: report.evidenceFiles,
    attestations: report.verifiedAttestations ?? [],
    scan: report.scan ?? null,
    attestedScan: report.attestedScan ?? [],
    log: report.log ?? null,
  };
  if (options.format === 'json' && !out.json) {
    out.raw(stableJson({ ok: true, ...data }));
    return code;
  }
  out.result(data, () => offlineText(report));
  return code;
}

function offlineText(report: GateReport & { evidenceFiles: { attestations: string[]; tlog: string | null } }): string {
  const v = report.version;
  const what = v ? `${v.namespace}/${v.model}@${v.version} (root ${v.rootDigest})` : `root ${report.verified?.rootDigest ?? '?'}`;
  if (!report.ok)
    return [
      `NOT verified (offline)${v ? `: ${v.namespace}/${v.model}@${v.version}` : ''}`,
      ...report.failed.map((f) => `  - [${f.rule}] ${f.code}: ${f.message}`),
    ].join('\n');
  const scans = report.attestedScan ?? [];
  return [
    `verified offline: ${what}`,
    `  signed by ${signerLine(report)}`,
    `  attestations: ${(report.verifiedAttestations ?? []).map((a) => `${a.predicateType} (${a.path ?? a.digest})`).join(', ') || 'none'}`,
    `  scan: ${scans.length ? scans.map((s) => `${s.files} file(s), ${s.verdicts.incomplete} incomplete, max ${s.maxSeverity ?? 'none'}`).join('; ') : report.scan ? `logged ${report.scan.status}` : 'none'}`,
    `  log: ${report.log && v ? `entry ${v.logIndex} in checkpoint ${report.log.size} of ${report.log.origin} (pinned key)` : 'no verified log proof'}`,
  ].join('\n');
}

/** The checkpoint note the gate verified (kept on the report's log for --save-checkpoint). */
function evidenceCheckpoint(report: { log?: { checkpoint?: string } }): string | undefined {
  return report.log?.checkpoint;
}
