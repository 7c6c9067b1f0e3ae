import {
  MAX_OSV_RECORD_BYTES,
  MAX_OSV_ZIP_ENTRIES,
  MAX_PTH_BYTES,
  MAX_SITE_PACKAGES_ENTRIES,
  MAX_WORKFLOW_BYTES,
  MAX_WORKFLOW_YAML_ALIASES,
  OSV_READ_WINDOW_BYTES,
} from '../deps/limits.js';
import { BELOW_HIGH_KINDS } from './below-high.js';
import { MAX_DECOMPRESSED_BYTES_PER_FILE, MAX_ENTRIES_PER_FILE } from './budget.js';
import { DEFAULT_MAX_FILE_SIZE, MAX_SCAN_NESTING, MAX_WALK_FILES, ZIP_EOCD_SEARCH_BYTES } from './engine.js';
import { MAX_PICKLE_BYTES } from './pickle/limits.js';
import { PICKLE_READING_FIRST_WINDOW } from './pickle/reading.js';
import { RULES } from './rules/index.js';
import { SEVERITIES, type Severity } from './types.js';

/** Where each severity line is, and why there. */
const SEVERITY_MEANING: Record<Severity, string> = {
  critical:
    'loading the file runs code or touches the system, by construction: a dangerous global called (os.system, exec, subprocess...), a chat template that reaches Python internals, a Keras Lambda carrying bytecode, a TF graph op that runs Python. Nothing ordinary does this.',
  high: 'loading can run code the scanner cannot prove safe, or the file lies about what it is: a non-allowlisted callable invoked (or passed to a callable that calls its argument), BUILD/SETITEM on a module or class, a nested pickle with unsafe content, a finding before a parse error, a file valid in two formats (MS-ENG-006), a symlink that leaves the scanned root (MS-ENG-007). The default gate (`--fail-on high`) stops here: above this line an ordinary repository has nothing.',
  medium:
    "something the loader will do that is not code the pickle picks, or an integrity problem: a non-allowlisted global imported or instantiated with NEWOBJ (its module runs at import, nothing the pickle chooses is called), safetensors headers that disagree with their data. Worth a review; the default gate passes it (the registry's default `scan.maxSeverity` is medium too).",
  low: 'anomalies an ordinary repository may have, with no way to run code by themselves (tolerated zip anomalies, object arrays whose pickle is scanned in full, custom ONNX domains, dangling links inside the root).',
  info: 'facts about the file.',
};

/** 1000000 → '1,000,000' (no Intl: the same output everywhere, and no ICU set-up when the module loads). */
function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',');
}

function bytes(n: number): string {
  if (n >= 1024 ** 3 && n % 1024 ** 3 === 0) return `${n / 1024 ** 3} GiB`;
  if (n >= 1024 ** 2 && n % 1024 ** 2 === 0) return `${n / 1024 ** 2} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/** The engine's limits on untrusted input, with what hitting each does (never silence). */
const LIMITS: readonly [name: string, value: string, what: string][] = [
  [
    'MAX_DECOMPRESSED_BYTES_PER_FILE',
    bytes(MAX_DECOMPRESSED_BYTES_PER_FILE),
    'decompressed bytes ONE top-level file may produce over all its nesting levels (every zip, gzip, bz2, xz, lz4, zlib stream inside it draws on the same budget); spent: MS-ENG-008, incomplete',
  ],
  [
    'MAX_ENTRIES_PER_FILE',
    grouped(MAX_ENTRIES_PER_FILE),
    'archive entries (zip entries, tar members) walked per top-level file over all nesting levels; spent: MS-ENG-008, incomplete',
  ],
  [
    'MAX_SCAN_NESTING',
    String(MAX_SCAN_NESTING),
    'archive and embedded-file nesting levels followed; deeper content: MS-ENG-005, incomplete',
  ],
  ['MAX_WALK_FILES', grouped(MAX_WALK_FILES), 'entries listed under one scanned directory; the next one: MS-ENG-009, incomplete'],
  [
    'DEFAULT_MAX_FILE_SIZE',
    bytes(DEFAULT_MAX_FILE_SIZE),
    '(`--max-file-size`) size of what is read (a symlink is measured by its target); larger: MS-ENG-003, incomplete, not scanned',
  ],
  [
    'MAX_PICKLE_BYTES',
    bytes(MAX_PICKLE_BYTES),
    'bytes of one stream read as a pickle (by its handler or by the pickle reading of any file); a stream going on past it: MS-PKL-010, incomplete',
  ],
  [
    'PICKLE_READING_FIRST_WINDOW',
    bytes(PICKLE_READING_FIRST_WINDOW),
    'first window of the pickle reading of every file, grown 8x at a time while the stream runs into the window end (most files are rejected at byte 0: a multi-GB safetensors file costs one read)',
  ],
  [
    'ZIP_EOCD_SEARCH_BYTES',
    bytes(ZIP_EOCD_SEARCH_BYTES),
    "tail of every file searched for a zip end record (the record plus the longest comment, as Python's zipfile searches)",
  ],
];

/** The limits of `modelsec deps` on untrusted input. */
const DEPS_LIMITS: readonly [name: string, value: string, what: string][] = [
  ['MAX_OSV_ZIP_ENTRIES', grouped(MAX_OSV_ZIP_ENTRIES), 'entries of one OSV zip export; more: DEPS_OSV_INVALID error'],
  [
    'MAX_OSV_RECORD_BYTES',
    bytes(MAX_OSV_RECORD_BYTES),
    'one OSV record, compressed or not; larger: DEPS_OSV_INVALID error naming the entry',
  ],
  [
    'OSV_READ_WINDOW_BYTES',
    bytes(OSV_READ_WINDOW_BYTES),
    'window an OSV zip is read through, in file order (memory stays bounded by it and the records kept)',
  ],
  ['MAX_WORKFLOW_BYTES', bytes(MAX_WORKFLOW_BYTES), 'one workflow file; larger: LIMIT_EXCEEDED error'],
  [
    'MAX_WORKFLOW_YAML_ALIASES',
    String(MAX_WORKFLOW_YAML_ALIASES),
    'YAML aliases resolved in one workflow (billion laughs); more: DEPS_INPUT_INVALID error',
  ],
  [
    'MAX_SITE_PACKAGES_ENTRIES',
    grouped(MAX_SITE_PACKAGES_ENTRIES),
    'entries walked under one --site-packages tree; more: LIMIT_EXCEEDED error',
  ],
  ['MAX_PTH_BYTES', bytes(MAX_PTH_BYTES), 'one .pth file; larger: MS-DEP-010 high, not read'],
];

/** docs/rules.md, generated from RULES (npm run docs:rules; tests/core/scan/rules-docs.test.ts keeps them in step). */
export function renderRulesDocs(): string {
  const lines = [
    '# Scanner rules',
    '',
    '<!-- Generated by `npm run docs:rules` from packages/core/src/scan (rules/, below-high.ts, rules-docs.ts). Do not edit by hand. -->',
    '',
    'Every finding of `modelsec scan` and `modelsec deps` carries one of these stable rule ids. Suppress a finding with an entry',
    '`{ "ruleId", "path" and/or "sha256", "reason" }` in a config YOU give (`--config FILE`, `MODELSEC_CONFIG`, or',
    '`.modelsec.json` in the working directory or above it when that is not inside a scanned path: a config shipped',
    'inside a model is never read). A suppression pinned to a `sha256` matches only that exact file. A suppressed',
    'finding stays listed, marked suppressed.',
    '',
    '## Decision model',
    '',
    'Every file gets one verdict besides its findings:',
    '',
    '- **clean**: the file was fully inspected and no active (unsuppressed) finding remains;',
    '- **findings**: the file was fully inspected and has active findings; their severities decide the gate;',
    '- **incomplete**: the file was not fully inspected: a limit or a per-file budget was hit, a binary was not',
    '  recognised, a compression could not be opened, or parsing failed after an opcode with effect. The finding that',
    '  says so comes from a rule whose outcome is `incomplete` (marked below).',
    '',
    'The gate (one function in `@modelsec/core`, `evaluateGate`, used by `modelsec scan` and by the registry at push)',
    'fails a file when an active finding is at or above the threshold (`scan --fail-on`, default `high`; the',
    "registry's `scan.maxSeverity`, the highest severity allowed, default `medium`), and fails every incomplete file",
    'unless the user allows them (`scan --allow-incomplete`; policy `scan.allowIncomplete`). `modelsec scan` prints',
    'each failing file with its reason; `--format json` carries the result under `gate`; SARIF reports incomplete',
    'findings as `error` results.',
    '',
    '### Every reading of a file',
    '',
    'Detection by content chooses a handler; it is never a gate. Every file, and every member nested in an archive or',
    'a pickle, is read every way a loader could be pointed at it, and all findings are kept (the worst wins):',
    '',
    '1. by the handler of the format its content shows (safetensors, GGUF, ONNX, zip, tar, text...);',
    '2. as a pickle from offset 0, what `pickle.load`, `torch.load` or `joblib.load` would do with the bytes. A stream',
    '   CPython rejects before any opcode with an effect (an import, a call, BUILD, SETITEM on an object, EXT, PERSID)',
    '   is inert and reports nothing: that is why `requirements.txt` (`torch==2.3.1` is TUPLE without MARK) or a Python',
    '   source (`import torch` is INST of a module named `mport torch`, which no package can provide) is clean without',
    '   any heuristic. When the format is itself a pickle stream, its handler is that reading;',
    "3. as a zip found by its end record, what Python's zipfile (and Keras, numpy.load of an npz) finds behind prepended",
    '   bytes, unless the format is already a zip.',
    '',
    'A file two readings accept (a complete pickle that does something, and a valid zip, safetensors, GGUF...) is a',
    'polyglot: MS-ENG-006, high, naming both readings.',
    '',
    '### Directories and symlinks',
    '',
    'Every file under a scanned directory is scanned whatever its name. A symlink that leaves the directory (or the',
    'Hugging Face cache directory its snapshot links into) is MS-ENG-007, high, and is never followed; a link inside',
    'it is scanned once, as its target, and listed with `symlink.target`. `--max-file-size` applies to what is read.',
    'FIFOs, sockets and devices are MS-ENG-010 (incomplete), never read.',
    '',
    '## Severities',
    '',
    ...[...SEVERITIES].reverse().map((s) => `- **${s}**: ${SEVERITY_MEANING[s]}`),
    '',
    '## Deliberately below high',
    '',
    'Ordinary repositories hold files that a rule flags below high on purpose (from the realistic-repositories corpus',
    '`fixtures/realistic` and the public scanner corpora). Each kind, the rule and severity it gets, and why:',
    '',
    '| File kind | Where it occurs | Rule (severity) | Why not high |',
    '|---|---|---|---|',
    ...BELOW_HIGH_KINDS.map(
      (k) =>
        `| ${k.kind} | ${k.seenIn} | ${k.rules.map((r) => `${r.id} (${r.severity})`).join(', ')} | ${k.why.replace(/\|/g, '\\|')} |`,
    ),
    '',
    '## Limits',
    '',
    'Every limit on untrusted input is a named constant; hitting one is a finding or `incomplete`, never silence. The',
    "engine's limits (the format handlers' own are named in their rules below):",
    '',
    '| Limit | Value | What it bounds, and what hitting it does |',
    '|---|---|---|',
    ...LIMITS.map(([name, value, what]) => `| \`${name}\` | ${value} | ${what} |`),
    '',
    '## Dependency and CI rules (`modelsec deps`)',
    '',
    'The MS-DEP rules are raised by `modelsec deps`, which judges lockfiles and manifests (requirements, pyproject,',
    'poetry.lock, uv.lock, Pipfile.lock, environment.yml, package-lock.json), installed-package trees',
    '(`--site-packages`) and GitHub Actions workflows, offline. Known vulnerable and malicious packages are matched',
    "against OSV databases given with `--osv` (osv.dev's per-ecosystem `all.zip` exports or directories of OSV JSON);",
    'without one they are not checked, and the report says so. Files inside installed packages are scanned with the',
    "scanner engine: their findings keep the scanner's rule ids (MS-PKL-..., MS-ENG-...) and name the package.",
    '`deps --fail-on` (default high) fails on any active finding at or above it; suppressions are the same config',
    'entries (`ruleId`, `path` glob of the lockfile or workflow, `reason`). Its limits on untrusted input:',
    '',
    '| Limit | Value | What it bounds, and what hitting it does |',
    '|---|---|---|',
    ...DEPS_LIMITS.map(([name, value, what]) => `| \`${name}\` | ${value} | ${what} |`),
    '',
    '## Rules',
    '',
  ];
  for (const rule of RULES) {
    lines.push(
      `### ${rule.id}: ${rule.title}`,
      '',
      `Default severity: **${rule.severity}**${rule.outcome === 'incomplete' ? ' · outcome: **incomplete** (the file is not fully inspected; fails the default gate)' : ''}`,
      '',
      `**What it means.** ${rule.summary}`,
      '',
      `**Why it matters.** ${rule.why}`,
      '',
      `**How to fix.** ${rule.fix}`,
      '',
      `**References.** ${rule.references.map((r) => (r.url ? `[${r.id}](${r.url})` : r.id)).join(', ')}`,
      '',
    );
  }
  return lines.join('\n');
}
