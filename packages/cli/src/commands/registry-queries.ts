/**
 * Read-only registry commands for auditors and CI: models, versions, one version in full (with its ML-BOM),
 * versions by file digest / signer / root digest, and the audit log.
 */
import type { Command } from 'commander';
import { action, type CliEnv } from '../command-kit.js';
import { addConnectionOptions, type RegistryConnectionOptions } from './connection-options.js';

export function registerQueries(registry: Command, env: CliEnv): void {
  addConnectionOptions(registry.command('models <ns>').description('Models of a namespace')).action(
    action(env, async (out, ns: string, options: RegistryConnectionOptions) =>
      (await import('./registry-queries-action.js')).runModels(env, out, ns, options),
    ),
  );

  addConnectionOptions(
    registry
      .command('versions <ns/name>')
      .description('Versions of a model, with root digest, signer, scan verdict and yank state')
      .option('--no-yanked', 'leave yanked versions out'),
  ).action(
    action(env, async (out, refText: string, options: RegistryConnectionOptions & { yanked: boolean }) =>
      (await import('./registry-queries-action.js')).runVersions(env, out, refText, options),
    ),
  );

  addConnectionOptions(
    registry
      .command('show <ns/name@version>')
      .description('One version in full: files, signer, scan verdict, attachments; --bom-out saves its ML-BOM')
      .option('--bom-out <file>', "write the version's ML-BOM (as pushed) to FILE"),
  ).action(
    action(env, async (out, refText: string, options: RegistryConnectionOptions & { bomOut?: string }) =>
      (await import('./registry-queries-action.js')).runShow(env, out, refText, options),
    ),
  );

  addConnectionOptions(
    registry
      .command('find')
      .description('Versions that contain a file digest, were signed by an identity or key, or have a root digest')
      .option('--file-digest <sha256>', 'versions containing a file with these bytes')
      .option('--signer-identity <id>', 'versions signed keyless by this exact identity (e-mail or URI)')
      .option('--signer-key <fingerprint>', 'versions signed by this public key (SHA-256 of its SPKI DER)')
      .option('--root-digest <sha256>', 'versions of exactly this model (OMS root digest)')
      .option('--namespace <ns>', 'only this namespace'),
  ).action(
    action(
      env,
      async (
        out,
        options: RegistryConnectionOptions & {
          fileDigest?: string;
          signerIdentity?: string;
          signerKey?: string;
          rootDigest?: string;
          namespace?: string;
        },
      ) => (await import('./registry-queries-action.js')).runFind(env, out, options),
    ),
  );

  addConnectionOptions(
    registry
      .command('audit')
      .description('The audit log, newest first: who did what, when, from where, and the outcome (refusals included)')
      .option('--namespace <ns>', "one namespace's entries (namespace admin); without it, all (registry admin)")
      .option('--limit <n>', 'entries per page (1-1000)', '100')
      .option('--before <cursor>', 'the page after a previous one (the `next` cursor it printed)')
      .option('--outcome <outcome>', 'only ok, refused or error entries')
      .option('--actor <id>', "only one actor's entries (a token id, or anonymous)"),
  ).action(
    action(
      env,
      async (
        out,
        options: RegistryConnectionOptions & {
          namespace?: string;
          limit: string;
          before?: string;
          outcome?: string;
          actor?: string;
        },
      ) => (await import('./registry-queries-action.js')).runAudit(env, out, options),
    ),
  );
}
