/**
 * The scanner's data model. Handlers (one per format) turn bytes into findings; the engine walks paths, detects
 * formats by content, applies configuration and suppressions, and assembles the report. The JSON report follows
 * schemas/scan-report.schema.json.
 */

import { SEVERITIES } from '../constants/values.js';
import type { ErrorCode } from '../errors/codes.js';

export { SEVERITIES };
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function atLeast(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) >= severityRank(threshold);
}

/** Where in a file a finding was seen. Every field is optional: fill those that apply. */
export interface FindingLocation {
  /** Archive member path, outermost first (`['archive/data.pkl']`, or nested: `['inner.zip', 'data.pkl']`). */
  members?: string[];
  /** Byte offset in the file or member. */
  offset?: number;
  /** Index of the pickle opcode, counted from the start of the pickle stream. */
  opcodeIndex?: number;
  /** Which pickle in a stream of several (0-based). */
  pickleIndex?: number;
  /** A JSON pointer or key path inside a config (Keras config, GGUF metadata key, ONNX initializer). */
  path?: string;
}

export interface Reference {
  /** e.g. 'CWE-502', 'AML.T0011.000', 'LLM03:2025', 'CVE-2024-3660', 'GHSA-...'. */
  id: string;
  url?: string;
}

export interface Finding {
  /** Stable rule id documented in docs/rules.md, e.g. 'MS-PKL-001'. */
  ruleId: string;
  severity: Severity;
  message: string;
  location: FindingLocation;
  /** What was seen, e.g. `{ module: 'os', name: 'system' }`. Values must be JSON. */
  evidence: Record<string, unknown>;
  references: Reference[];
  /**
   * Set (true) when the finding's rule has the outcome `incomplete`: the content it names was not fully inspected.
   * Any active (unsuppressed) incomplete finding makes the file's verdict `incomplete`.
   */
  incomplete?: true;
  /** Set by the engine when a suppression in the config matches. */
  suppressed?: { reason: string };
}

/** A file or member that could not be fully parsed. The engine also raises a finding: never "clean". */
export interface ScanIssue {
  /** Why: a code of the core error-code union (docs/errors.md), never a free string. */
  code: ErrorCode;
  message: string;
  location?: FindingLocation;
}

/** Formats detected by content (magic bytes, structure), never by extension. */
export type DetectedFormat =
  | 'pickle'
  | 'pytorch-zip'
  | 'pytorch-legacy'
  | 'pytorch-tar'
  | 'torchscript'
  | 'numpy'
  | 'numpy-npz'
  | 'joblib'
  | 'keras'
  | 'keras-h5'
  | 'hdf5'
  | 'gguf'
  | 'onnx'
  | 'tf-savedmodel'
  | 'safetensors'
  | 'zip'
  | 'tar'
  | 'gzip'
  | 'bzip2'
  | 'xz'
  | 'zstd'
  | '7z'
  | 'rar'
  | 'json'
  | 'text'
  | 'unknown'
  // Recognised by scan-recognition (detect.ts): data that cannot execute, code, templates, companions.
  | 'empty'
  | 'png'
  | 'jpeg'
  | 'gif'
  | 'webp'
  | 'bmp'
  | 'tiff'
  | 'ico'
  | 'wav'
  | 'flac'
  | 'ogg'
  | 'mp3'
  | 'svg'
  | 'xml'
  | 'sentencepiece'
  | 'msgpack'
  | 'tflite'
  | 'openvino-ir'
  | 'parquet'
  | 'xgboost-ubj'
  | 'tensorboard-events'
  | 'tfrecord'
  | 'arrow'
  | 'coreml'
  | 'coreml-weights'
  | 'paddle'
  | 'paddle-params'
  | 'ds-store'
  | 'tf-variables-index'
  | 'tf-fingerprint'
  | 'keras-metadata'
  | 'onnx-external-data'
  | 'openvino-weights'
  | 'tf-variables-data'
  | 'python'
  | 'notebook'
  | 'shell'
  | 'jinja'
  | 'tf-metagraph'
  | 'ctranslate2'
  | 'word2vec'
  | 'xgboost-legacy'
  | 'mlc-params'
  | 'tfjs-weights'
  // More images (formats/structures/images-more.ts) and data files (data-files.ts): data that cannot execute.
  | 'pnm'
  | 'icns'
  | 'jp2'
  | 'sgi'
  | 'dds'
  | 'pcx'
  | 'tga'
  | 'fasttext'
  | 'ggml'
  | 'idx'
  | 'matlab'
  | 'matlab-v4'
  | 'sqlite'
  | 'pdf'
  | 'font'
  | 'gettext-mo'
  | 'isobmff'
  | 'ply'
  | 'stl'
  | 'glb'
  | 'netcdf'
  | 'stata'
  | 'wasm'
  // Compiled code (formats/structures/executables.ts): reported by presence, MS-CODE-004.
  | 'elf'
  | 'macho'
  | 'pe'
  | 'pyc';

/**
 * What the scan concluded about a file (docs/rules.md, "Decision model"):
 * - `clean`: fully inspected, no active finding;
 * - `findings`: fully inspected, at least one active finding (its severity decides the gate);
 * - `incomplete`: not fully inspected (an active finding whose rule's outcome is `incomplete`). It fails the default
 *   gate whatever the severities, unless the user allows incomplete files (`--allow-incomplete`,
 *   policy `scan.allowIncomplete`).
 */
export const FILE_VERDICTS = ['clean', 'findings', 'incomplete'] as const;
export type FileVerdict = (typeof FILE_VERDICTS)[number];

export interface FileReport {
  /** Path as given (relative to the scan root where one applies), POSIX separators. */
  path: string;
  format: DetectedFormat;
  size: number;
  sha256: string;
  findings: Finding[];
  errors: ScanIssue[];
  /** Set by the engine once suppressions are applied (verdictOf). */
  verdict: FileVerdict;
  /**
   * Set when `path` is a symbolic link. Inside the scanned root: `target` is the reported path of the file it points
   * to, whose scan this report repeats (the target is scanned once). Leaving the root: `target` is the link text as
   * written, `leavesRoot` is true, the target was not read, and `size`/`sha256` are those of the link text (what git
   * stores for a symlink); MS-ENG-007 says so.
   */
  symlink?: { target: string; leavesRoot?: true };
}

/** Configuration a handler needs (the engine resolves it from --config / .modelsec.json / flags). */
export interface HandlerConfig {
  /** Extra `module.name` globals the user allowlists (exact names, or `module.*`). */
  allowedGlobals: readonly string[];
  /** --strict: every non-allowlisted global is high. */
  strict: boolean;
}

/**
 * Budgets shared by everything read from ONE top-level file, across all nesting levels (a zip in a zip in a gzip
 * draws on the same budget: a fresh budget per level is how a 67 KB file cost 435 MB). A handler charges before it
 * produces bytes or walks entries; `false` means the budget is spent: the handler stops and emits an incomplete
 * finding (e.g. MS-ARC-001) naming the limit, never a silent stop.
 */
export interface ScanBudget {
  /** Charges bytes produced by decompression (zip members, gzip/bz2/xz/lz4/zlib streams, nested decodings). */
  chargeDecompressed(bytes: number): boolean;
  /** Charges archive entries (zip entries, tar members) walked. */
  chargeEntries(count: number): boolean;
  /** Decompressed bytes still allowed. */
  readonly remainingDecompressed: number;
  /** Entries still allowed. */
  readonly remainingEntries: number;
  /** Which budgets refused a charge (sorted): the engine reports each as MS-ENG-008 (incomplete). */
  readonly exhausted: readonly ('decompressed' | 'entries')[];
}

/**
 * What a file is known to be from the files around it (not from its own bytes, which may be raw tensor data with no
 * header): found by scan/companions.ts from manifests that reference it.
 */
export type CompanionKind =
  | 'onnx-external-data'
  | 'openvino-weights'
  | 'tf-variables-data'
  | 'paddle-params'
  | 'coreml-weights'
  | 'mlc-params'
  | 'tfjs-weights'
  // More images (formats/structures/images-more.ts) and data files (data-files.ts): data that cannot execute.
  | 'pnm'
  | 'icns'
  | 'jp2'
  | 'sgi'
  | 'dds'
  | 'pcx'
  | 'tga'
  | 'fasttext'
  | 'ggml'
  | 'idx'
  | 'matlab'
  | 'matlab-v4'
  | 'sqlite'
  | 'pdf'
  | 'font'
  | 'gettext-mo'
  | 'isobmff'
  | 'ply'
  | 'stl'
  | 'glb'
  | 'wasm'
  // Compiled code (formats/structures/executables.ts): reported by presence, MS-CODE-004.
  | 'elf'
  | 'macho'
  | 'pe'
  | 'pyc';

/** Hints detection may use besides the bytes. Never a reason to skip the pickle reading. */
export interface DetectHints {
  /** The file's path as reported (its name decides what is a chat template or Python source to be judged as such). */
  name?: string;
  /** Set when a manifest beside the file references it as raw data of this kind. */
  companion?: CompanionKind;
  /**
   * Set for Python sources that `from_pretrained(..., trust_remote_code=True)` imports: named by an `auto_map` of
   * a config beside them, or imported (relatively) by one that is (scan/companions.ts findRemoteCode).
   */
  trustRemoteCode?: true;
}

/** What a handler gets besides the bytes. */
export interface ScanContext {
  config: HandlerConfig;
  /** Shared by the whole top-level file (every nesting level charges the same budget). */
  budget: ScanBudget;
  /** Detection hints of this input (for a nested member: its member name). */
  hints: DetectHints;
  /** Nesting depth of this file (0 for a file on disk; +1 per archive level or nested pickle). */
  depth: number;
  /** Member path of this input inside its outer files, outermost first ([] for a file on disk). */
  members: readonly string[];
  /**
   * Scans bytes found inside this input (an archive member, a nested pickle, an embedded file) with full format
   * detection, at depth + 1, and returns its findings and errors with `members` already prefixed. The engine
   * enforces the nesting limit (hitting it is a finding, not a crash).
   */
  scanNested(bytes: Uint8Array, member: string): Promise<{ findings: Finding[]; errors: ScanIssue[]; format: DetectedFormat }>;
}

export interface HandlerResult {
  findings: Finding[];
  errors: ScanIssue[];
  /** A more precise format than detection gave, when the handler learns it (e.g. 'pytorch-zip' for a zip). */
  format?: DetectedFormat;
}

/** One per format family. The engine detects the format by content, then calls the matching handler. */
export interface FormatHandler {
  /** The formats this handler scans. */
  readonly formats: readonly DetectedFormat[];
  scan(source: import('../formats/byte-source.js').ByteSource, ctx: ScanContext): Promise<HandlerResult>;
}
