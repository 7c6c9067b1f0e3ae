import type { Reference } from '../types.js';
import type { RuleSpec } from './types.js';

const CWE_502: Reference = { id: 'CWE-502', url: 'https://cwe.mitre.org/data/definitions/502.html' };
const ATLAS_T0011: Reference = { id: 'AML.T0011.000', url: 'https://atlas.mitre.org/techniques/AML.T0011.000' };
const ATLAS_T0010: Reference = { id: 'AML.T0010', url: 'https://atlas.mitre.org/techniques/AML.T0010' };
const OWASP_LLM03: Reference = { id: 'LLM03:2025', url: 'https://genai.owasp.org/llmrisk/llm032025-supply-chain/' };
const BASE = [CWE_502, ATLAS_T0011, ATLAS_T0010, OWASP_LLM03];

/** Rules of the pickle family (pickle, PyTorch, numpy, joblib). Owned by the pickle engine. */
export const PICKLE_RULES: readonly RuleSpec[] = [
  {
    id: 'MS-PKL-001',
    title: 'Dangerous global called',
    severity: 'critical',
    outcome: 'finding',
    summary:
      'A global on the always-dangerous list (exact names such as os.system or builtins.eval, module trees such as subprocess, and their documented re-exports such as torch.os or sklearn.utils.discovery.import_module) is reached by a call: REDUCE/INST/OBJ/NEWOBJ on it, or it is handed to a callable that calls it (functools.partial, copyreg._reconstructor as base, torch._tensor._rebuild_from_type(_v2), backward hooks), or getattr with constant operands names it. Also: a global whose import alone runs code (antigravity, this, any <package>.__main__).',
    why: 'Unpickling the file runs that call: arbitrary commands or code execute with the privileges of the loader.',
    fix: 'Do not load the file. Get the weights in a data-only format (safetensors) from a trusted publisher.',
    references: BASE,
  },
  {
    id: 'MS-PKL-002',
    title: 'Dangerous global referenced',
    severity: 'high',
    outcome: 'finding',
    summary:
      'A global on the always-dangerous list is imported and held as data: nothing in the stream calls it (even a stream that breaks right after the import: the break position is what a payload controls).',
    why: 'Importing it already runs module code, and the object can be called indirectly (BUILD, __setstate__, later REDUCE).',
    fix: 'Do not load the file; rebuild it without the dangerous import or convert the weights to safetensors.',
    references: BASE,
  },
  {
    id: 'MS-PKL-003',
    title: 'Non-allowlisted callable invoked',
    severity: 'high',
    outcome: 'finding',
    summary:
      "A global outside the allowlist (or allowlisted as data only) is reached by a call while loading: REDUCE/INST/OBJ on it, or handed to a callable that calls its argument (a partial, an unmodelled callable, _rebuild_from_type), or the result of a call is itself called, or stored by BUILD as an instance attribute that the load (or a Python __setstate__/__setitem__/append/extend/add of the object's class, or a callable the object is handed to) calls as a method of the object.",
    why: "Unpickling calls it with arguments the file chooses; the scanner cannot prove what it runs. This is the line between medium and high: a call runs code of the file's choosing, a reference does not.",
    fix: 'Review the callable; if it is a trusted class of your project, allowlist it with allowedGlobals in .modelsec.json.',
    references: BASE,
  },
  {
    id: 'MS-PKL-004',
    title: 'Non-allowlisted global referenced',
    severity: 'medium',
    outcome: 'finding',
    summary:
      'A global outside the allowlist is imported and only held as data, or only instantiated (NEWOBJ, copyreg._reconstructor with base object, numpy _reconstruct subtype): no call with arguments reaches it. Raised to high by --strict.',
    why: "Importing a module runs its top-level code and building an instance runs that class's own __new__/__setstate__, which for an importable library class is that library's code; the object may still be used as a gadget by code that later calls it. Below high because nothing of the file's choosing is called at load.",
    fix: 'Review the global; allowlist it with allowedGlobals if it is known-safe.',
    references: BASE,
  },
  {
    id: 'MS-PKL-005',
    title: 'STACK_GLOBAL with non-constant operands',
    severity: 'high',
    outcome: 'finding',
    summary:
      'STACK_GLOBAL takes its module or name from something that is not a plain string (a call result, a global, a missing memo entry).',
    why: 'The imported name is computed at load time, which only serves to hide it from scanners (fail closed).',
    fix: 'Do not load the file.',
    references: BASE,
  },
  {
    id: 'MS-PKL-006',
    title: 'BUILD or SETITEM on a module, class or function',
    severity: 'high',
    outcome: 'finding',
    summary: 'BUILD (setstate/setattr) or a SETITEM targets an imported global instead of a fresh object.',
    why: 'Setting attributes on live modules or classes replaces allowlisted functions (e.g. torch._utils._rebuild_tensor) or reaches eval through gadgets (modelscan #330).',
    fix: 'Do not load the file.',
    references: BASE,
  },
  {
    id: 'MS-PKL-007',
    title: 'Nested pickle',
    severity: 'high',
    outcome: 'finding',
    summary:
      'The pickle carries another pickle: bytes handed to a loader (pickle.loads/load, torch.load, torch.storage._load_from_bytes, joblib.load, numpy.load...) directly or through decoders and file wrappers (zlib, gzip, base64, hex, codecs, io.BytesIO), or pickle bytes stored as data (raw, hex, base64). The inner pickle is scanned and its findings reported; this finding is high when it is unsafe, low otherwise.',
    why: 'The inner pickle is unpickled by the outer one, hiding its payload from scanners that read only one level.',
    fix: 'Do not load the file.',
    references: BASE,
  },
  {
    id: 'MS-PKL-008',
    title: 'Parse error after a finding',
    severity: 'high',
    outcome: 'finding',
    summary: 'The pickle breaks (invalid opcode, truncated, no STOP) after something worth reporting was seen.',
    why: 'The unpickler executes opcodes as it reads them: a payload before the break runs before the loader fails (nullifAI).',
    fix: 'Do not load the file.',
    references: BASE,
  },
  {
    id: 'MS-PKL-009',
    title: 'Pickle could not be fully parsed',
    severity: 'medium',
    outcome: 'incomplete',
    summary: 'The pickle stream is malformed or truncated; the part after the error was not inspected.',
    why: 'A scanner must fail closed: an unparsable file is never reported clean.',
    fix: 'Re-export the file from its source; do not load files that do not parse.',
    references: BASE,
  },
  {
    id: 'MS-PKL-010',
    title: 'Pickle scan limit reached',
    severity: 'medium',
    outcome: 'incomplete',
    summary:
      "A safety limit stopped the scan: opcodes, memo entries, stack depth, line or string length, pickles per stream, nested pickles per pickle (MAX_NESTED_PER_PICKLE), nesting depth, the file's decompression budget, or a codec this scanner does not decode (bz2, lzma, base32/85) on bytes a loader gets.",
    why: 'The rest of the pickle was not inspected; the limits protect the scanner from denial of service.',
    fix: 'Inspect the file by other means, or split it.',
    references: BASE,
  },
  {
    id: 'MS-PKL-011',
    title: 'Extension registry opcode',
    severity: 'medium',
    outcome: 'finding',
    summary: "EXT1/EXT2/EXT4 refers to a global through copyreg's extension registry, which the scanner cannot resolve.",
    why: 'The global actually imported depends on the loading process; ML checkpoints never use it.',
    fix: 'Re-export the file without copyreg extensions.',
    references: BASE,
  },
  {
    id: 'MS-PKL-012',
    title: 'FRAME boundary overrun',
    severity: 'high',
    outcome: 'finding',
    summary: 'An opcode argument runs past the end of the FRAME that contains it.',
    why: 'Frame-aware and linear readers disagree on what the bytes mean, a known way to hide GLOBAL/REDUCE from scanners.',
    fix: 'Do not load the file.',
    references: BASE,
  },
  {
    id: 'MS-PKL-013',
    title: 'Trailing data after pickle',
    severity: 'low',
    outcome: 'finding',
    summary: 'Bytes after the last STOP are not a pickle.',
    why: 'Usually harmless (pickle.load reads one pickle), but a place to smuggle data.',
    fix: 'None needed unless unexpected.',
    references: [CWE_502],
  },
  {
    id: 'MS-PKL-014',
    title: 'Stream imports and then breaks',
    severity: 'low',
    outcome: 'finding',
    summary:
      'The bytes parse as a pickle that imports a global that is not dangerous to import (GLOBAL/STACK_GLOBAL), or a name that an already-imported dangerous module does not have (`cos\\nsin\\n`: getattr fails at that import), and then breaks, with no call, BUILD, mutation or persistent id before the break (a text file whose first lines read `c<module>\\n<name>\\n`, such as class labels).',
    why: 'CPython stops at the break, so the import is all loading it does: nothing is called and no object is returned. Importing a module runs its top-level code, which is why modules whose import itself has effects (`antigravity`, `this`, any `<package>.__main__`) are MS-PKL-001 instead.',
    fix: 'None needed for a text file; a real pickle that breaks this early is corrupt.',
    references: [CWE_502],
  },
  {
    id: 'MS-PT-001',
    title: 'Zip structure anomaly',
    severity: 'low',
    outcome: 'finding',
    summary: 'CRC mismatch, unusual flag bits, local/central name disagreement, or an entry found only through local headers.',
    why: "PyTorch loads such archives while Python's zipfile and strict scanners refuse them: a known scanner bypass. All such entries were scanned.",
    fix: 'Re-save the checkpoint with torch.save; prefer safetensors.',
    references: BASE,
  },
  {
    id: 'MS-PT-002',
    title: 'Archive member could not be inspected',
    severity: 'medium',
    outcome: 'incomplete',
    summary: 'A zip member or the archive itself could not be read (unsupported compression, corrupt data, limit reached).',
    why: 'Fail closed: what was not read may hold a payload.',
    fix: 'Re-save the archive with stored or deflate compression.',
    references: BASE,
  },
  {
    id: 'MS-PT-003',
    title: 'TorchScript code imports a dangerous module or writes files',
    severity: 'high',
    outcome: 'finding',
    summary:
      'Python source in a TorchScript archive (code/) refers to os, subprocess, builtins.eval or similar, or calls an ' +
      'operator that writes files (torch.save, torch.from_file).',
    why:
      'TorchScript code is compiled and run by torch.jit.load (and torch.load of the archive): a __setstate__ calling ' +
      'torch.from_file(path, True, n) creates and writes any file; references to system modules are not normal model code.',
    fix: 'Do not load the archive; re-export the model from trusted code.',
    references: BASE,
  },
  {
    id: 'MS-NPY-001',
    title: 'Object-dtype numpy array',
    severity: 'low',
    outcome: 'finding',
    summary: 'The .npy holds an object array: its data is a pickle (scanned; findings of that pickle are reported too).',
    why: 'numpy.load(allow_pickle=True) unpickles the data.',
    fix: 'Store numeric arrays only.',
    references: BASE,
  },
  {
    id: 'MS-NPY-002',
    title: 'Malformed .npy header',
    severity: 'medium',
    outcome: 'incomplete',
    summary: 'The .npy header is truncated, too large, or not a valid dict literal.',
    why: 'Fail closed: the array data was not inspected.',
    fix: 'Re-save the array with numpy.save.',
    references: BASE,
  },
  {
    id: 'MS-JOB-001',
    title: 'joblib stream could not be decompressed',
    severity: 'medium',
    outcome: 'incomplete',
    summary: 'A compressed joblib file could not be decompressed (corrupt, unsupported codec, or over the size limit).',
    why: 'Fail closed: the pickle inside was not inspected.',
    fix: 'Re-save with joblib.dump (zlib/gzip/bz2/xz) or uncompressed.',
    references: BASE,
  },
];
