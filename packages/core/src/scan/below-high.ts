/**
 * Ordinary file kinds that are deliberately below high (docs/rules.md, "Deliberately below high"): what an ordinary
 * model repository holds that a rule flags, at which severity, and why that severity is the right line. The list
 * comes from the realistic-repositories corpus (fixtures/realistic, /work/helpers/realistic-report.md) and the
 * public scanner corpora. docs/rules.md is generated from this table, and a test checks that every rule named here
 * exists and sits below high, so the documentation cannot drift from the rules.
 */
import type { Severity } from './types.js';

export interface BelowHighKind {
  /** The file kind, as a user would name it. */
  readonly kind: string;
  /** Where it occurs (repository layouts of the realistic corpus, libraries). */
  readonly seenIn: string;
  /** The rules that flag it and the severity each gives this kind. */
  readonly rules: readonly { readonly id: string; readonly severity: Exclude<Severity, 'high' | 'critical'> }[];
  /** Why the line is here: what loading it can and cannot do. */
  readonly why: string;
}

export const BELOW_HIGH_KINDS: readonly BelowHighKind[] = [
  {
    kind: 'Pickles that import a class outside the allowlist without calling anything the pickle chooses',
    seenIn:
      'framework state objects not (yet) in the allowlist: optimizer/scheduler classes, custom `__main__` model classes, config dataclasses saved by `torch.save`',
    rules: [{ id: 'MS-PKL-004', severity: 'medium' }],
    why: 'Loading imports the module (its top-level code runs: not nothing, hence medium) and at most runs `cls.__new__` (NEWOBJ); no call reaches code the pickle picks. A non-allowlisted global that can reach a call is high (MS-PKL-003); `--strict` makes every such reference high.',
  },
  {
    kind: 'numpy arrays of dtype object (`.npy`, `.npz` members, joblib arrays)',
    seenIn: 'numpy.save / numpy.savez of lists of strings or ragged arrays, spaCy and dataset repos',
    rules: [{ id: 'MS-NPY-001', severity: 'low' }],
    why: 'numpy.load(allow_pickle=True) unpickles the data; the scanner reads that pickle in full and reports what it does under the MS-PKL rules. The low finding only says a pickle is there.',
  },
  {
    kind: 'PyTorch zip checkpoints with anomalies torch tolerates',
    seenIn:
      'checkpoints rewritten by third-party tools: CRC mismatches, unusual flag bits, local names differing from the central directory',
    rules: [{ id: 'MS-PT-001', severity: 'low' }],
    why: 'torch.load reads them anyway and the scanner reads every member torch could pick; the anomaly itself runs nothing.',
  },
  {
    kind: 'Pickles carried as data whose content is safe',
    seenIn: 'pickled bytes stored inside another pickle (caches, serialized sub-objects)',
    rules: [{ id: 'MS-PKL-007', severity: 'low' }],
    why: 'The nested pickle is scanned like a file; the finding is low when that scan finds nothing unsafe and high when it does.',
  },
  {
    kind: 'Bytes after the last pickle of a stream',
    seenIn: 'files written by appending (pickle.dump in a loop, then other data)',
    rules: [{ id: 'MS-PKL-013', severity: 'low' }],
    why: 'pickle.load stops at the first STOP; every pickle before the trailing bytes was read in full.',
  },
  {
    kind: 'ONNX models with custom operator domains',
    seenIn: 'exports that use contrib operators outside the ONNX standard and ONNX Runtime built-ins',
    rules: [{ id: 'MS-ONNX-002', severity: 'low' }],
    why: 'The operators only run from a native library the user registers; the model file cannot bring it.',
  },
  {
    kind: 'safetensors files whose header disagrees with their data',
    seenIn: 'exports with gaps or padding between tensors, old converters',
    rules: [{ id: 'MS-ST-001', severity: 'medium' }],
    why: 'safetensors never executes anything; a lying header can crash or confuse loaders and hide data, which is worth a review, not a block.',
  },
  {
    kind: 'Dangling symlinks inside the model directory',
    seenIn: 'partial Hugging Face cache snapshots, checkouts without Git LFS objects',
    rules: [{ id: 'MS-ENG-007', severity: 'low' }],
    why: 'The loader fails to open them and reads nothing. A link that leaves the root (dangling or not) is high: on the victim machine it reads a file the model does not contain.',
  },
  {
    kind: 'Compiled code: native libraries, executables, Python bytecode, WebAssembly (`.so`, `.dylib`, `.dll`/`.pyd`, `.o`, `.pyc`, `.wasm`)',
    seenIn:
      'repositories with compiled extensions (custom CUDA/C++ ops, tokenizer or decoder bindings: `_ext.cpython-311-x86_64-linux-gnu.so`), bundled tools, committed `__pycache__` directories, onnxruntime-web `.wasm` files of web demos',
    rules: [{ id: 'MS-CODE-004', severity: 'medium' }],
    why: 'No model loader executes a library or bytecode file by itself: it runs only when code imports or loads it, and that code (a `.py` the repository ships, judged under MS-CODE-001..003) is where an attack has to start. Not low like a source file either: its code cannot be read by a reviewer or by modelsec, so it is worth a review. Headers that do not hold (a truncated or forged binary) are FORMAT_INVALID, incomplete.',
  },
];
