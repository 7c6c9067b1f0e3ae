import type { DependencyParseResult } from '../dependency-types.js';

/** A problem that did not stop the BOM: it names the file (relative to the model root) and what was left out. */
export interface BomWarning {
  code: string;
  file: string;
  message: string;
}

/** One file of the model with its SHA-256 (and the Hub's LFS sha256 when the file came from the Hub). */
export interface ModelFile {
  /** POSIX path relative to the model root (or the file name for a single file). */
  path: string;
  size: number;
  /** Lowercase hex SHA-256 of the file's bytes. */
  sha256: string;
  /** Set when the hash is the Hub's LFS sha256 taken without downloading the file (big files on hf://). */
  sha256Source?: 'hub-lfs';
}

export type WeightFormat = 'safetensors' | 'gguf' | 'onnx' | 'pytorch';

/** What a weights file's header says, read without loading tensors. */
export interface WeightSummary {
  file: string;
  format: WeightFormat;
  /** Total elements over all tensors, when the header gives every shape. */
  parameterCount?: number;
  tensorCount?: number;
  /** Elements per dtype (e.g. { BF16: 1234 }). */
  dtypes?: Record<string, number>;
  /** Format-specific scalar facts (GGUF architecture, quantisation, context length; ONNX opset, producer...). */
  facts: Record<string, string>;
  /** GGUF tokenizer.chat_template. */
  chatTemplate?: string;
}

/** Where the model came from. */
export interface ModelOrigin {
  kind: 'directory' | 'file' | 'hub';
  /** `ORG/NAME` for the Hub. */
  repoId?: string;
  /** Full commit SHA when known (Hub revision, or the git HEAD of a local clone). */
  commit?: string;
  /** Hub endpoint the model was read from. */
  endpoint?: string;
  /** Directory or file base name for local models. */
  localName?: string;
}

/** Everything the BOM builder needs, gathered the same way from a directory, a single file or the Hub. */
export interface ModelFacts {
  origin: ModelOrigin;
  files: ModelFile[];
  /** README.md text when present. */
  cardText?: { file: string; text: string };
  /** Parsed JSON of config.json, tokenizer_config.json, generation_config.json when present and valid. */
  config?: Record<string, unknown>;
  tokenizerConfig?: Record<string, unknown>;
  generationConfig?: Record<string, unknown>;
  /** PEFT adapter_config.json (its base_model_name_or_path is a base model). */
  adapterConfig?: Record<string, unknown>;
  weights: WeightSummary[];
  dependencies?: DependencyParseResult;
  warnings: BomWarning[];
}
