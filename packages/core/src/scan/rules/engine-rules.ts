import type { Reference } from '../types.js';
import type { RuleSpec } from './types.js';

const CWE_22: Reference = { id: 'CWE-22', url: 'https://cwe.mitre.org/data/definitions/22.html' };
const CWE_59: Reference = { id: 'CWE-59', url: 'https://cwe.mitre.org/data/definitions/59.html' };
const CWE_436: Reference = { id: 'CWE-436', url: 'https://cwe.mitre.org/data/definitions/436.html' };
const CWE_400: Reference = { id: 'CWE-400', url: 'https://cwe.mitre.org/data/definitions/400.html' };
const CWE_502: Reference = { id: 'CWE-502', url: 'https://cwe.mitre.org/data/definitions/502.html' };
const ATLAS_T0010: Reference = { id: 'AML.T0010', url: 'https://atlas.mitre.org/techniques/AML.T0010' };
const OWASP_LLM03: Reference = { id: 'LLM03:2025', url: 'https://genai.owasp.org/llmrisk/llm032025-supply-chain/' };

/**
 * Rules the engine itself raises (scan/engine.ts): readings that disagree, the directory walk, per-file budgets.
 * The older engine rules MS-ENG-001..005 live in format-rules.ts.
 */
export const ENGINE_RULES: readonly RuleSpec[] = [
  {
    id: 'MS-ENG-006',
    title: 'Polyglot: the file is valid in two formats',
    severity: 'high',
    outcome: 'finding',
    summary:
      "Two readings of the same bytes both succeed: the format detection chose (safetensors, a zip found by its end record, GGUF...) and another one a loader could be pointed at (a complete pickle from offset 0, a zip that Python's zipfile finds behind prepended bytes). The finding names both readings; the findings of every reading are kept.",
    why: 'Which reading runs depends on the loader: a scanner or reviewer that looks at one format passes the file, while torch.load/pickle.load (or zipfile, Keras) reads the other. Nothing legitimate is built to be two formats at once.',
    fix: 'Do not load the file; re-export the model with its own tooling into a single format.',
    references: [CWE_436, CWE_502, ATLAS_T0010, OWASP_LLM03],
  },
  {
    id: 'MS-ENG-007',
    title: 'Symlink leaves the scanned root',
    severity: 'high',
    outcome: 'finding',
    summary:
      'A symbolic link under a scanned directory points outside it (and outside the Hugging Face cache directory its snapshot links into). Its target is not part of the model and was not read. A dangling link inside the root is reported at low.',
    why: 'Loaders follow symlinks: a model directory that links weights.bin or an external-data file to a path on the host makes the loader read a file the model does not contain (host secrets fed into tensors, or a payload planted elsewhere).',
    fix: 'Replace the link with the file it should contain, or remove it.',
    references: [CWE_59, CWE_22, ATLAS_T0010, OWASP_LLM03],
  },
  {
    id: 'MS-ENG-008',
    title: 'Per-file scan budget spent',
    severity: 'medium',
    outcome: 'incomplete',
    summary:
      'Everything read from one top-level file, over all its nesting levels, shares one budget of decompressed bytes (MAX_DECOMPRESSED_BYTES_PER_FILE) and of archive entries (MAX_ENTRIES_PER_FILE). The file spent one of them; what was left was not inspected.',
    why: 'Decompression bombs and archives of overlapping entries cost unbounded time and memory unless the budget is shared by every level; content past the budget is not proven clean.',
    fix: 'Check why the file decompresses to so much; split it, or scan its contents separately.',
    references: [CWE_400, ATLAS_T0010],
  },
  {
    id: 'MS-ENG-009',
    title: 'Directory walk limit reached',
    severity: 'medium',
    outcome: 'incomplete',
    summary:
      'A scanned directory holds more than MAX_WALK_FILES files; the file reported here and every file after it were not scanned.',
    why: 'A model directory with millions of files is a denial of service on the scanner; files not scanned are not proven clean.',
    fix: 'Scan the directory in parts.',
    references: [CWE_400, ATLAS_T0010],
  },
  {
    id: 'MS-ENG-010',
    title: 'Not a regular file',
    severity: 'medium',
    outcome: 'incomplete',
    summary: 'A FIFO, socket or device node under a scanned directory. It was not read (reading it could block or never end).',
    why: 'A loader opening it reads whatever the other end provides; its content is not part of any model file and is not proven clean.',
    fix: 'Remove it from the model directory.',
    references: [ATLAS_T0010],
  },
];
