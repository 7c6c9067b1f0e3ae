import { SEVERITIES } from '@modelsec/core/constants';
import type { Severity } from '@modelsec/core/scan';
import type { Command } from 'commander';
import { action, type CliEnv, collect, Option } from '../command-kit.js';
import type { Output } from '../output.js';

export interface DepsFlags {
  osv?: string[];
  sitePackages?: string[];
  workflows?: string;
  format: 'text' | 'json' | 'sarif';
  output?: string;
  failOn: Severity;
  config?: string;
}

const EXAMPLES = `
Examples:
  $ modelsec deps .                                   lockfiles and .github/workflows of the project
  $ modelsec deps . --osv PyPI/all.zip --osv npm/all.zip   match known vulnerable and malicious packages, offline
  $ modelsec deps requirements.txt --fail-on medium
  $ modelsec deps . --site-packages .venv/lib/python3.11/site-packages   .pth hooks, pickles and models installed
  $ modelsec deps . --format sarif -o deps.sarif      upload with github/codeql-action/upload-sarif

OSV databases: the per-ecosystem all.zip exports osv.dev publishes (the files osv-scanner's offline mode uses), a
directory of OSV JSON records (zip exports inside it are read too), or one JSON record. Only the records naming a
package of the project are kept. Without --osv, known vulnerable and malicious packages are not checked.

Suppressions come from your config (--config FILE, $MODELSEC_CONFIG or .modelsec.json): { "ruleId", "path" (glob
of the lockfile or workflow), "reason" }. Rules: docs/rules.md (MS-DEP-...).

Exit codes: 0 no active finding at or above --fail-on; 1 there is one; 2 usage error, unreadable path, or an input
that is not what it claims (a corrupt OSV zip, a record that is not OSV, a lockfile that is garbage).`;

/** `modelsec deps PATH...`. */
export function register(program: Command, env: CliEnv): void {
  program
    .command('deps')
    .description(
      'Audit dependencies and CI offline: known vulnerable or malicious packages (OSV), confusion, typosquats, pinning, installed packages, workflows',
    )
    .argument(
      '<paths...>',
      'project or model directories, or lockfiles (requirements*.txt, pyproject.toml, poetry.lock, uv.lock, Pipfile.lock, environment.yml, package-lock.json)',
    )
    .option('--osv <file|dir>', 'OSV database: an all.zip export, a directory of OSV JSON, or a record (repeatable)', collect)
    .option(
      '--site-packages <dir>',
      "an installed-package tree (a virtualenv's site-packages, an unpacked wheel) (repeatable)",
      collect,
    )
    .option('--workflows <dir>', 'GitHub Actions workflow directory (default: .github/workflows under each directory PATH)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
    .option('-o, --output <file>', 'write the report to FILE instead of stdout')
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding reaches this severity').choices([...SEVERITIES]).default('high'),
    )
    .option(
      '--config <file>',
      'config with suppressions (default: $MODELSEC_CONFIG, else .modelsec.json from the working directory upward)',
    )
    .addHelpText('after', EXAMPLES)
    .action(
      action(env, async (out: Output, paths: string[], flags: DepsFlags) =>
        (await import('./deps-action.js')).runDeps(env, out, paths, flags),
      ),
    );
}
