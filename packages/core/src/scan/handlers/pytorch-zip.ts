/**
 * Zip archives read the way torch.load and torch.jit.load read them, besides every other zip reading
 * (archives.ts): `torch.load` takes the zip path when the file starts with a local header (`_is_zipfile`), opens it
 * with PyTorchStreamReader (miniz) and unpickles `<archive>/data.pkl`; `torch.jit.load` (also reached from
 * torch.load when a `constants.pkl` record exists) unpickles `constants.pkl` and `data.pkl` and compiles the
 * TorchScript sources under `code/`; the mobile loader reads `bytecode.pkl`. Records are looked up with the archive
 * prefix and case-insensitively (formats/zip `torchRecord`), so every entry any lookup may land on is read as a
 * pickle, and so is every other `*.pkl` member. Tensor storages (`<archive>/data/<key>`, `<archive>/constants/<key>`) are raw bytes torch never
 * unpickles and are not read. Every remaining entry is scanned by content.
 *
 * `__torch__.*` globals in these pickles are the archive's own TorchScript classes: the C++ unpickler resolves them
 * from the compiled `code/` (judged by MS-PT-003), and a Python unpickler fails to import `__torch__` (no such
 * module) before anything after it runs. They are not reported as non-allowlisted globals.
 */
import { decompressBounded } from '../../compression/index.js';
import type { ByteSource } from '../../formats/byte-source.js';
import {
  readZipEntries,
  readZipMember,
  torchRecord,
  type ZipEntry,
  ZipFormatError,
  type ZipListing,
} from '../../formats/zip/index.js';
import { makeFinding } from '../pickle/findings.js';
import { MAX_PICKLE_BYTES } from '../pickle/limits.js';
import { isTarHeader } from '../tar-listing.js';
import type { Finding, FormatHandler, HandlerResult, ScanContext } from '../types.js';
import {
  budgetedRead,
  type Collected,
  readZipEntryBudgeted,
  scanTarMembers,
  scanZipEntries,
  zipAnomalyFindings,
} from './archives.js';
import { scanPickleBytes } from './pickle-support.js';

/** Largest TorchScript code member checked for dangerous references. */
export const MAX_CODE_MEMBER_BYTES = 16 * 1024 * 1024;

/** Records torch's loaders unpickle (torch.load: data.pkl; torch.jit.load: constants.pkl, data.pkl; mobile: bytecode.pkl). */
const TORCH_PICKLE_RECORDS = ['data.pkl', 'constants.pkl', 'bytecode.pkl'];

/**
 * TorchScript builtins with an effect outside the process: every operator of torch 1.13 whose schema takes a file
 * name (`torch._C._jit_get_all_schemas()`, arguments of type str named file/path/dir/lib/module/url/cmd):
 * `aten::save(item, filename)` writes a pickle of `item` to any path, `aten::from_file(filename, shared=True, size)`
 * creates or grows the file and maps it, so the tensor ops that follow (`fill_`, `copy_`, `index_put_`) write into it.
 * TorchScript code names an operator statically (`torch.save`, `torch.from_file`, `ops.aten.save`, the `.out`
 * overloads), and Python's tokenizer lets the dots be spaced or split by a line continuation. A `__setstate__` or
 * method calling one runs when torch.jit.load (or torch.load of the archive) restores the module.
 */
const FILE_WRITING_OPERATORS = ['save', 'from_file'];
const SPACE = String.raw`[\s\\]*`;
const TORCHSCRIPT_FILE_OPERATOR = String.raw`\b(?:torch|ops${SPACE}\.${SPACE}aten)${SPACE}\.${SPACE}(?:${FILE_WRITING_OPERATORS.join('|')})\b`;

const DANGEROUS_CODE = new RegExp(
  String.raw`\b(?:import\s+(?:os|subprocess|sys|socket|shutil|pty|runpy|ctypes|importlib|builtins)\b|from\s+(?:os|subprocess|sys|socket|shutil|pty|runpy|ctypes|importlib|builtins)\s+import|__import__|\beval\s*\(|\bexec\s*\(|os\.system|subprocess\.|getattr\s*\(\s*__builtins__)|${TORCHSCRIPT_FILE_OPERATOR}`,
);

/** Raw storage members of torch's archives (see torchRoles). */
const TENSOR_STORAGE = /^[^/]*\/(?:(?:data|constants)\/\d+|constants\/\d+\.storage|\.data\/\d+\.storage)$/;

function lower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** The torch-specific reading of a zip listing: which entries torch unpickles, compiles, or reads raw. */
export function torchRoles(listing: ZipListing): { pickles: Set<ZipEntry>; code: Set<ZipEntry>; tensors: Set<ZipEntry> } {
  const pickles = new Set<ZipEntry>();
  for (const record of TORCH_PICKLE_RECORDS) for (const entry of torchRecord(listing, record)) pickles.add(entry);
  const code = new Set<ZipEntry>();
  const tensors = new Set<ZipEntry>();
  // torch.package archives (PackageExporter): `<archive>/.data/version` beside raw storages `.data/<key>.storage`,
  // which PackageImporter's persistent_load reads raw; their pickles are `*.pkl` members.
  const torchPackage = listing.entries.some((e) => /^[^/]*\/\.data\/version$/.test(lower(e.name)));
  if (pickles.size === 0 && !torchPackage) return { pickles, code, tensors };
  for (const entry of listing.entries) {
    const names = [entry.name, entry.origName, ...(entry.localName ? [entry.localName] : [])].map(lower);
    if (names.some((n) => n.endsWith('.pkl') || n.endsWith('.debug_pkl'))) pickles.add(entry);
    else if (entry.foundBy === 'central' && names.every((n) => /^[^/]*\/code\/.*\.py$/.test(n))) code.add(entry);
    // Tensor storages: data/<key> (torch.save, torch.jit.save), constants/<key> (TorchScript constant tensors,
    // referenced from constants.pkl by persistent id), constants/<key>.storage (the lite interpreter's
    // _save_for_lite_interpreter), .data/<key>.storage (torch.package), read raw by torch.
    else if (entry.foundBy === 'central' && names.every((n) => TENSOR_STORAGE.test(n))) tensors.add(entry);
  }
  return { pickles, code, tensors };
}

function isTorchNamespace(finding: Finding): boolean {
  const module = finding.evidence.module;
  return (
    (finding.ruleId === 'MS-PKL-003' || finding.ruleId === 'MS-PKL-004') &&
    typeof module === 'string' &&
    (module === '__torch__' || module.startsWith('__torch__.'))
  );
}

/**
 * Scans a zip as every loader reads it: anomalies, torch's pickles (read as pickles whatever their content), the
 * TorchScript sources, and every other entry by content. A first block that tarfile also accepts is read as a tar.
 */
export async function scanZipArchive(source: ByteSource, ctx: ScanContext, out: Collected): Promise<void> {
  let listing: ZipListing;
  try {
    listing = await readZipEntries(source);
  } catch (error) {
    if (!(error instanceof ZipFormatError)) throw error;
    const where = { members: [...ctx.members] };
    out.findings.push(makeFinding('MS-ARC-003', `archive could not be read: ${error.message}`, where, { error: error.message }));
    out.errors.push({ code: 'FORMAT_INVALID', message: error.message, location: where });
    return;
  }
  out.findings.push(...zipAnomalyFindings(listing, ctx));
  const roles = torchRoles(listing);
  for (const entry of roles.pickles) {
    const where = [...ctx.members, entry.name];
    const bytes = await readZipEntryBudgeted(source, entry, ctx, out);
    if (!bytes) continue;
    if (bytes.length >= MAX_PICKLE_BYTES)
      out.findings.push(
        makeFinding(
          'MS-PKL-010',
          `${entry.name}: only the first ${MAX_PICKLE_BYTES} bytes were scanned (MAX_PICKLE_BYTES)`,
          { members: where },
          {
            limit: 'MAX_PICKLE_BYTES',
          },
        ),
      );
    const result = await scanPickleBytes(bytes.subarray(0, MAX_PICKLE_BYTES), ctx, where);
    out.findings.push(...result.findings.filter((f) => !isTorchNamespace(f)));
    out.errors.push(...result.errors);
  }
  for (const entry of roles.code) {
    const at = { members: [...ctx.members, entry.name] };
    const bytes = await budgetedRead(
      ctx,
      entry.name,
      (max) => readZipMember(source, entry, Math.min(max, MAX_CODE_MEMBER_BYTES), decompressBounded),
      out,
    );
    if (!bytes) continue;
    const match = DANGEROUS_CODE.exec(new TextDecoder('utf-8').decode(bytes));
    if (match)
      out.findings.push(
        makeFinding('MS-PT-003', `TorchScript code ${entry.name} refers to ${match[0]}`, at, { match: match[0] }),
      );
  }
  await scanZipEntries(source, listing, ctx, out, (e) => roles.pickles.has(e) || roles.code.has(e) || roles.tensors.has(e));
  if (isTarHeader(await source.read(0, 512))) await scanTarMembers(source, ctx, out);
}

/** PyTorch zip checkpoints (torch.save since 1.6) and TorchScript archives (torch.jit.save). */
export const pytorchZipHandler: FormatHandler = {
  formats: ['pytorch-zip', 'torchscript'],
  async scan(source: ByteSource, ctx: ScanContext): Promise<HandlerResult> {
    const out: Collected = { findings: [], errors: [] };
    await scanZipArchive(source, ctx, out);
    return out;
  },
};

/** Kept for callers of the former API: npz archives are zips whose members are scanned by content. */
export async function scanZipPickles(source: ByteSource, ctx: ScanContext, _kind: 'pytorch' | 'npz'): Promise<Collected> {
  const out: Collected = { findings: [], errors: [] };
  await scanZipArchive(source, ctx, out);
  return out;
}
