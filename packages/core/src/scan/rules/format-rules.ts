import type { Reference } from '../types.js';
import type { RuleSpec } from './types.js';

const CWE_502: Reference = { id: 'CWE-502', url: 'https://cwe.mitre.org/data/definitions/502.html' };
const CWE_1336: Reference = { id: 'CWE-1336', url: 'https://cwe.mitre.org/data/definitions/1336.html' };
const CWE_20: Reference = { id: 'CWE-20', url: 'https://cwe.mitre.org/data/definitions/20.html' };
const CWE_409: Reference = { id: 'CWE-409', url: 'https://cwe.mitre.org/data/definitions/409.html' };
const ATLAS_T0010: Reference = { id: 'AML.T0010', url: 'https://atlas.mitre.org/techniques/AML.T0010' };
const ATLAS_T0011: Reference = { id: 'AML.T0011.000', url: 'https://atlas.mitre.org/techniques/AML.T0011.000' };
const OWASP_LLM03: Reference = { id: 'LLM03:2025', url: 'https://genai.owasp.org/llmrisk/llm032025-supply-chain/' };
const CVE_2024_34359: Reference = { id: 'CVE-2024-34359', url: 'https://nvd.nist.gov/vuln/detail/CVE-2024-34359' };

/** Rules of the other formats and of the engine (safetensors, GGUF, ONNX, Keras, archives, limits). */
export const FORMAT_RULES: readonly RuleSpec[] = [
  {
    id: 'MS-ARC-001',
    title: 'Archive limit reached',
    severity: 'medium',
    outcome: 'incomplete',
    summary:
      "An archive or compressed stream exceeds a limit: MAX_ARCHIVE_ENTRIES, MAX_ARCHIVE_MEMBER_BYTES, the file's decompression or entry budget (shared by every nesting level; overlapping data is charged OVERLAP_BUDGET_FACTOR times), or a listing bound of the zip/tar reader. What lies beyond was not scanned.",
    why: 'Content beyond the limit is not proven clean; bombs exhaust memory, disk or time of loaders and scanners.',
    fix: 'Split or re-create the archive; scan its contents separately.',
    references: [CWE_409, ATLAS_T0010],
  },
  {
    id: 'MS-ARC-002',
    title: 'Archive that loaders read differently',
    severity: 'medium',
    outcome: 'finding',
    summary:
      'The archive is built so that loaders disagree on its content: duplicate or case-folded entry names (zipfile takes the last, PyTorch any), names cut at a NUL, bytes prepended to a zip (zipfile corrects offsets, PyTorch does not), central directories that list different entries, tar members after the end marker or headers that send tarfile backwards. High when zip entries share bytes (overlapping entries: a zip bomb and parser-confusion technique). Every entry any reader could load was scanned.',
    why: 'Ordinary tools never write such archives; they exist to show one file to a scanner and another to the loader.',
    fix: 'Re-create the archive with standard tooling (zipfile, torch.save, tar) and scan it again.',
    references: [CWE_20, CWE_409, ATLAS_T0010, OWASP_LLM03],
  },
  {
    id: 'MS-ARC-003',
    title: 'Archive member could not be read',
    severity: 'medium',
    outcome: 'incomplete',
    summary:
      'An archive, member or compressed stream could not be read: an unsupported compression method, an encrypted member, a corrupt stream whose decoded prefix is not known.',
    why: 'Fail closed: what was not read may hold a payload that another loader reads.',
    fix: 'Re-create the archive with stored, deflate, bzip2 or lzma members and no encryption.',
    references: [CWE_20, ATLAS_T0010, OWASP_LLM03],
  },
  {
    id: 'MS-ARC-004',
    title: 'Archive link pointing outside the archive',
    severity: 'high',
    outcome: 'finding',
    summary: 'A tar symlink or hard link names an absolute path or climbs out of the extraction directory with `..`.',
    why: "Extraction (tarfile.extractall without a filter, torch's legacy loader) creates a link to a host file; reading the member then reads that file (CVE-2007-4559 class).",
    fix: 'Do not extract or load the archive; links in model archives must stay inside them.',
    references: [{ id: 'CWE-59', url: 'https://cwe.mitre.org/data/definitions/59.html' }, { id: 'CVE-2007-4559' }, ATLAS_T0010],
  },
  {
    id: 'MS-ENG-001',
    title: 'Unrecognised file format',
    severity: 'medium',
    outcome: 'incomplete',
    summary: 'The file matched no known model, archive or text format, so it could not be inspected.',
    why: 'A loader may still deserialize it; a scanner that passes what it cannot read is bypassed (fail closed).',
    fix: 'Check what the file is; remove it from the model directory, or suppress this rule for it with a reason.',
    references: [ATLAS_T0010, OWASP_LLM03],
  },
  {
    id: 'MS-ENG-002',
    title: 'File could not be parsed',
    severity: 'medium',
    outcome: 'incomplete',
    summary: 'The file was detected as a known format but parsing failed (truncated, malformed, or a limit was reached).',
    why: 'Content the scanner did not read may hold a payload; the file is not proven clean (fail closed).',
    fix: 'Re-export the file with the official tooling; if it is trusted, suppress with a reason.',
    references: [CWE_20, ATLAS_T0010, OWASP_LLM03],
  },
  {
    id: 'MS-ENG-003',
    title: 'File larger than --max-file-size',
    severity: 'medium',
    outcome: 'incomplete',
    summary: 'The file exceeds the configured maximum size and was not scanned.',
    why: 'An unscanned file is not proven clean.',
    fix: 'Raise --max-file-size, or scan the file separately.',
    references: [ATLAS_T0010],
  },
  {
    id: 'MS-ENG-004',
    title: 'Uninspectable container',
    severity: 'medium',
    outcome: 'incomplete',
    summary: 'The file is a container (7z, rar, zstd...) that modelsec cannot open, so its members were not scanned.',
    why: 'Loaders that unpack it first (nullifAI used 7z) would run any pickle inside.',
    fix: 'Unpack it and scan the contents, or distribute the model in an inspectable format.',
    references: [CWE_502, ATLAS_T0010, OWASP_LLM03],
  },
  {
    id: 'MS-ENG-005',
    title: 'Nesting limit reached',
    severity: 'medium',
    outcome: 'incomplete',
    summary: 'Archives or embedded files nest deeper than MAX_SCAN_NESTING; deeper content was not scanned.',
    why: 'Deep nesting is a classic way to hide a payload from scanners.',
    fix: 'Flatten the archive.',
    references: [CWE_409, ATLAS_T0010],
  },
  {
    id: 'MS-GGUF-001',
    title: 'Server-side template injection in a chat template',
    severity: 'critical',
    outcome: 'finding',
    summary:
      'A Jinja template in the GGUF metadata (tokenizer.chat_template...) reaches Python internals (__class__, __globals__, __builtins__, os.popen...).',
    why: 'Runtimes render the chat template with Jinja2; a template that walks to __builtins__ runs code when the model is loaded or prompted (CVE-2024-34359).',
    fix: 'Do not load the model; replace the chat template with a plain one from the original model.',
    references: [CWE_1336, CVE_2024_34359, ATLAS_T0011, OWASP_LLM03],
  },
  {
    id: 'MS-KERAS-001',
    title: 'Keras Lambda layer',
    severity: 'critical',
    outcome: 'finding',
    summary: 'The Keras config holds a Lambda layer; critical when it carries marshalled bytecode, high otherwise.',
    why: 'Loading deserializes and runs the Python function of the Lambda (CVE-2024-3660; .h5 ignores safe_mode, CVE-2025-9905).',
    fix: 'Replace the Lambda with a registered custom layer whose code you review, then re-save.',
    references: [
      CWE_502,
      { id: 'CVE-2024-3660', url: 'https://nvd.nist.gov/vuln/detail/CVE-2024-3660' },
      ATLAS_T0011,
      OWASP_LLM03,
    ],
  },
  {
    id: 'MS-KERAS-002',
    title: 'Keras config references a module outside keras/tensorflow',
    severity: 'high',
    outcome: 'finding',
    summary: 'A `module`/`class_name` pair points outside keras and tensorflow (critical for builtins, os, subprocess...).',
    why: 'Keras imports the module and calls the named object while loading, even in safe_mode (CVE-2025-1550).',
    fix: 'Do not load the model unless the module is your own reviewed code.',
    references: [
      CWE_502,
      { id: 'CVE-2025-1550', url: 'https://nvd.nist.gov/vuln/detail/CVE-2025-1550' },
      ATLAS_T0011,
      OWASP_LLM03,
    ],
  },
  {
    id: 'MS-KERAS-003',
    title: 'Keras unsafe-deserialization toggle or download gadget',
    severity: 'high',
    outcome: 'finding',
    summary: 'The config calls enable_unsafe_deserialization, touches safe_mode, or uses keras.utils.get_file.',
    why: 'A config can switch safe mode off before the payload (CVE-2025-9906) or fetch files at load time (CVE-2025-8747).',
    fix: 'Do not load the model.',
    references: [CWE_502, { id: 'CVE-2025-9906' }, { id: 'CVE-2025-8747' }, ATLAS_T0011, OWASP_LLM03],
  },
  {
    id: 'MS-ONNX-001',
    title: 'ONNX external data outside the model directory',
    severity: 'high',
    outcome: 'finding',
    summary: "An initializer's external_data location is absolute or climbs out with '..'.",
    why: 'ONNX Runtime reads the named file when the model loads: a traversal reads arbitrary host files (/etc/passwd, keys) into tensors that the model can echo back.',
    fix: 'Do not load the model; external data must be relative files inside the model directory.',
    references: [{ id: 'CWE-22', url: 'https://cwe.mitre.org/data/definitions/22.html' }, ATLAS_T0010, OWASP_LLM03],
  },
  {
    id: 'MS-ONNX-002',
    title: 'ONNX custom operator domain',
    severity: 'low',
    outcome: 'finding',
    summary: 'Nodes use an operator domain outside the ONNX standard and ONNX Runtime built-ins.',
    why: 'Custom operators load native code from a library registered by the user; the model only works with that code.',
    fix: 'Check where the custom-op library comes from before registering it.',
    references: [ATLAS_T0010, OWASP_LLM03],
  },
  {
    id: 'MS-TF-001',
    title: 'TensorFlow graph op that touches files or runs Python',
    severity: 'high',
    outcome: 'finding',
    summary:
      'The SavedModel graph uses ReadFile, WriteFile, MatchingFiles, DeleteFile (high) or PyFunc, EagerPyFunc, ShellExecute (critical).',
    why: 'Running the graph (serving, evaluation) reads or writes host files or calls Python code.',
    fix: 'Review the graph (saved_model_cli show --all); do not serve models with file or Python ops from untrusted sources.',
    references: [ATLAS_T0011, ATLAS_T0010, OWASP_LLM03],
  },
  {
    id: 'MS-ST-001',
    title: 'safetensors integrity error',
    severity: 'medium',
    outcome: 'finding',
    summary:
      'The safetensors header disagrees with the data: dtype/shape/size mismatch, offsets outside the file, overlapping tensors, gaps or unknown dtypes.',
    why: 'Not code execution, but a lying header can crash loaders, hide data in gaps, or alias tensors.',
    fix: 'Re-export the file with the safetensors library.',
    references: [CWE_20, OWASP_LLM03],
  },
  {
    id: 'MS-ST-002',
    title: 'Code-like text in safetensors metadata',
    severity: 'medium',
    outcome: 'finding',
    summary:
      'A `__metadata__` value of a safetensors header holds Python or shell code (imports of os/subprocess, eval/exec, rm -rf, curl | sh, <script>).',
    why: 'safetensors never executes metadata, but nothing legitimate puts code there: it marks a tampered file and a trap for tools that eval or shell out with metadata values.',
    fix: 'Find out who wrote the metadata; re-export the weights with clean metadata.',
    references: [CWE_20, OWASP_LLM03],
  },
];
