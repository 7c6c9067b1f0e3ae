/**
 * CI workflows (GitHub Actions, MS-DEP-012..015): third-party actions not pinned to a full commit SHA,
 * `pull_request_target` checking out the pull request, remote scripts piped into a shell, caches keyed on input an
 * attacker controls. Workflows are parsed with the `yaml` library (aliases bounded); a file that is not a YAML
 * mapping with `jobs` is a DEPS_INPUT_INVALID error naming it.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ModelsecError, toModelsecError } from '../errors/index.js';
import { ruleById } from '../scan/rules/index.js';
import type { Severity } from '../scan/types.js';
import { displayPath } from './collect.js';
import { MAX_WORKFLOW_BYTES, MAX_WORKFLOW_FILES, MAX_WORKFLOW_YAML_ALIASES } from './limits.js';
import type { DepsFinding } from './types.js';

/** Action owners that are GitHub itself (their actions are first-party, not third-party). */
export const FIRST_PARTY_ACTION_OWNERS: ReadonlySet<string> = new Set(['actions', 'github']);

/** Expressions whose value a pull request author, issue author or commenter chooses. */
const ATTACKER_CONTROLLED =
  /github\.head_ref|github\.event\.(pull_request\.(title|body|head\.(ref|label|repo))|issue\.(title|body)|comment\.body|review\.body|review_comment\.body|discussion\.(title|body)|head_commit\.(message|author)|commits|workflow_run\.(head_branch|head_commit|display_title)|pages)/;

const PR_HEAD_REF = /github\.event\.pull_request\.head\.(sha|ref)|github\.head_ref|refs\/pull\//;

const CURL_PIPE_SHELL =
  /\b(curl|wget)\b[^\n|;&]*\|\s*(sudo\s+(-\S+\s+)*)?(\/usr\/bin\/env\s+)?(ba|z|da|k|fi)?sh\b|\b(curl|wget)\b[^\n|;&]*\|\s*(sudo\s+)?python3?\b|\b(ba|z)?sh\s+<\(\s*(curl|wget)\b/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function triggers(on: unknown): Set<string> {
  if (typeof on === 'string') return new Set([on]);
  if (Array.isArray(on)) return new Set(on.filter((x): x is string => typeof x === 'string'));
  if (isObj(on)) return new Set(Object.keys(on));
  return new Set();
}

function mentionsSecrets(value: unknown): boolean {
  return value !== undefined && /\bsecrets\./.test(JSON.stringify(value));
}

/** The 1-based line of the first line at or after `from` that contains `needle`. */
function lineContaining(lines: readonly string[], needle: string, from = 0): number | undefined {
  for (let i = from; i < lines.length; i++) if ((lines[i] as string).includes(needle)) return i + 1;
  return undefined;
}

/** Whether an action reference is pinned (full commit SHA, or a Docker image digest); undefined when not judged. */
export function actionPin(uses: string): { thirdParty: boolean; pinned: boolean } | undefined {
  const ref = uses.trim();
  if (ref.startsWith('./') || ref.startsWith('.\\')) return undefined;
  if (ref.startsWith('docker://')) return { thirdParty: true, pinned: /@sha256:[0-9a-f]{64}$/.test(ref) };
  const at = ref.lastIndexOf('@');
  const owner = ref.split('/')[0]?.toLowerCase() ?? '';
  const version = at >= 0 ? ref.slice(at + 1) : '';
  return { thirdParty: !FIRST_PARTY_ACTION_OWNERS.has(owner), pinned: /^[0-9a-f]{40}$/.test(version) };
}

function make(
  ruleId: string,
  severity: Severity,
  message: string,
  file: string,
  line: number | undefined,
  evidence: Obj,
): DepsFinding {
  return {
    ruleId,
    severity,
    message,
    file,
    ...(line !== undefined ? { line } : {}),
    evidence,
    references: [...(ruleById(ruleId)?.references ?? [])],
  };
}

/** Audits one workflow's text. */
export function auditWorkflowText(text: string, file: string): DepsFinding[] {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: MAX_WORKFLOW_YAML_ALIASES });
  } catch (cause) {
    throw new ModelsecError(
      'DEPS_INPUT_INVALID',
      `${file}: not a readable workflow: ${(cause as Error).message.split('\n')[0]}`,
      {
        cause,
        details: { file },
      },
    );
  }
  if (!isObj(doc) || !isObj(doc.jobs))
    throw new ModelsecError('DEPS_INPUT_INVALID', `${file}: not a GitHub Actions workflow (no "jobs" mapping)`, {
      details: { file },
    });
  const lines = text.split(/\r?\n/);
  const on = triggers(doc.on ?? doc.true);
  const privileged = on.has('pull_request_target') || on.has('workflow_run');
  const findings: DepsFinding[] = [];
  let cursor = 0;
  for (const [jobId, jobValue] of Object.entries(doc.jobs)) {
    if (!isObj(jobValue)) continue;
    const job = jobValue;
    const jobLine = lineContaining(lines, `${jobId}:`, cursor) ?? cursor;
    cursor = jobLine;
    const jobSecrets = mentionsSecrets(job.env) || mentionsSecrets(doc.env);
    if (typeof job.uses === 'string') {
      const pin = actionPin(job.uses);
      if (pin?.thirdParty && !pin.pinned) {
        const secrets = job.secrets === 'inherit' || mentionsSecrets(job.secrets) || mentionsSecrets(job.with);
        findings.push(
          make(
            'MS-DEP-012',
            secrets ? 'high' : 'medium',
            `job ${jobId} calls ${job.uses}, not pinned to a full commit SHA${secrets ? ', and passes it secrets' : ''}`,
            file,
            lineContaining(lines, job.uses, jobLine - 1),
            { uses: job.uses, job: jobId, secrets },
          ),
        );
      }
    }
    const steps = Array.isArray(job.steps) ? job.steps : [];
    let stepCursor = jobLine;
    for (const [i, stepValue] of steps.entries()) {
      if (!isObj(stepValue)) continue;
      const step = stepValue;
      const name = typeof step.name === 'string' ? step.name : typeof step.uses === 'string' ? step.uses : `step ${i + 1}`;
      if (typeof step.uses === 'string') {
        const uses = step.uses;
        const line = lineContaining(lines, uses, stepCursor - 1);
        if (line) stepCursor = line;
        const pin = actionPin(uses);
        if (pin?.thirdParty && !pin.pinned) {
          const secrets = jobSecrets || mentionsSecrets(step.with) || mentionsSecrets(step.env);
          findings.push(
            make(
              'MS-DEP-012',
              secrets ? 'high' : 'medium',
              `job ${jobId} uses ${uses}, not pinned to a full commit SHA${secrets ? ', in a step that receives secrets' : ''}`,
              file,
              line,
              { uses, job: jobId, secrets },
            ),
          );
        }
        const action = uses.split('@')[0]?.toLowerCase() ?? '';
        const withs = isObj(step.with) ? step.with : {};
        if (on.has('pull_request_target') && action === 'actions/checkout') {
          const ref = `${String(withs.ref ?? '')} ${String(withs.repository ?? '')}`;
          if (PR_HEAD_REF.test(ref) || /pull_request\.head\.repo/.test(ref))
            findings.push(
              make(
                'MS-DEP-013',
                'high',
                `job ${jobId}: pull_request_target checks out the pull request (${ref.trim()}) with the base repository's secrets`,
                file,
                lineContaining(lines, 'ref:', (line ?? 1) - 1) ?? line,
                { job: jobId, ref: ref.trim() },
              ),
            );
        }
        if (action === 'actions/cache' || action.startsWith('actions/cache/')) {
          const key = `${String(withs.key ?? '')}\n${String(withs['restore-keys'] ?? '')}`;
          const m = ATTACKER_CONTROLLED.exec(key);
          if (m)
            findings.push(
              make(
                'MS-DEP-015',
                privileged ? 'high' : 'medium',
                `job ${jobId}: cache key uses ${m[0]}, which a pull request author or commenter chooses${privileged ? ', in a privileged workflow' : ''}`,
                file,
                lineContaining(lines, m[0], (line ?? 1) - 1) ?? line,
                { job: jobId, key: key.trim(), expression: m[0] },
              ),
            );
        }
      }
      if (typeof step.run === 'string') {
        const m = CURL_PIPE_SHELL.exec(step.run);
        if (m) {
          const first = step.run.split('\n').find((l) => CURL_PIPE_SHELL.test(l)) ?? m[0];
          const line = lineContaining(lines, first.trim(), stepCursor - 1);
          if (line) stepCursor = line;
          findings.push(
            make(
              'MS-DEP-014',
              'medium',
              `job ${jobId}, ${name}: pipes a downloaded script into an interpreter: ${first.trim().slice(0, 160)}`,
              file,
              line,
              {
                job: jobId,
                command: first.trim().slice(0, 1000),
              },
            ),
          );
        }
      }
    }
  }
  return findings;
}

/** The workflow files of a directory (GitHub reads only the directory itself, not subdirectories). */
export async function findWorkflowFiles(dir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw toModelsecError(error);
  }
  const files = entries
    .filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name))
    .map((e) => join(dir, e.name))
    .sort();
  if (files.length > MAX_WORKFLOW_FILES)
    throw new ModelsecError('LIMIT_EXCEEDED', `${dir}: more than MAX_WORKFLOW_FILES (${MAX_WORKFLOW_FILES}) workflow files`, {
      details: { path: dir, limit: 'MAX_WORKFLOW_FILES' },
    });
  return files;
}

/** Audits every workflow of a directory. */
export async function auditWorkflows(dir: string, cwd: string): Promise<{ files: string[]; findings: DepsFinding[] }> {
  const files = await findWorkflowFiles(dir);
  const findings: DepsFinding[] = [];
  const shown: string[] = [];
  for (const path of files) {
    const file = displayPath(path, cwd);
    shown.push(file);
    const info = await stat(path);
    if (info.size > MAX_WORKFLOW_BYTES)
      throw new ModelsecError('LIMIT_EXCEEDED', `${file}: ${info.size} bytes, over MAX_WORKFLOW_BYTES (${MAX_WORKFLOW_BYTES})`, {
        details: { file, limit: 'MAX_WORKFLOW_BYTES' },
      });
    findings.push(...auditWorkflowText(await readFile(path, 'utf8'), file));
  }
  return { files: shown, findings };
}
