/**
 * Scanning a pickle stream: runs the symbolic VM over every pickle in the stream and turns what it saw into
 * findings (allowlist first, always-dangerous list critical), scanning nested pickles recursively.
 */
import type { Finding, FindingLocation, HandlerConfig, ScanIssue } from '../types.js';
import { makeFinding } from './findings.js';
import { classifyGlobal, fixImports } from './globals.js';
import { MAX_FINDINGS_PER_RULE, MAX_NESTED_PER_PICKLE, MAX_PICKLE_NESTING, MAX_PICKLES_PER_STREAM } from './limits.js';
import { looksLikePickle } from './looks-like-pickle.js';
import { describe, type RunOptions, runPickle, type SymValue } from './vm.js';

/** Scans nested bytes; the engine's ctx.scanNested, or a pickle-only fallback. */
export type NestedScanner = (bytes: Uint8Array, member: string) => Promise<{ findings: Finding[]; errors: ScanIssue[] }>;

export interface PicklePassOptions {
  config: HandlerConfig;
  /** Members prefix for locations. */
  members: readonly string[];
  depth: number;
  nested?: NestedScanner;
  /** Stop after this many pickles (legacy torch files: 5; plain pickle streams: all). */
  maxPickles?: number;
  /** Loader behaviour the VM follows (joblib: raw array data after a NumpyArrayWrapper's BUILD; see RunOptions). */
  vm?: RunOptions;
}

export interface PickleScanResult {
  findings: Finding[];
  errors: ScanIssue[];
  /** Pickles read completely (up to STOP). */
  pickles: number;
  /** Offset after the last complete pickle. */
  end: number;
}

/** Loaders whose argument is itself a pickle. */
const NESTED_LOADERS = new Set([
  'pickle.loads',
  '_pickle.loads',
  'pickle.load',
  '_pickle.load',
  'torch.load',
  'torch.serialization.load',
  'torch.storage._load_from_bytes',
  'dill.loads',
  'cloudpickle.loads',
  'joblib.load',
  'numpy.load',
]);

const LOADER_NAMES = new Set(['loads', 'load', '_load_from_bytes']);

function resolved(value: SymValue): { module: string; name: string } | undefined {
  if (value.kind !== 'global') return undefined;
  return fixImports(value.module, value.name);
}

/** Scans every pickle of a stream (bytes fully in memory). Never throws on input. */
export async function scanPickleStream(data: Uint8Array, options: PicklePassOptions): Promise<PickleScanResult> {
  const findings: Finding[] = [];
  const errors: ScanIssue[] = [];
  const perRule = new Map<string, number>();
  const add = (finding: Finding) => {
    const count = perRule.get(finding.ruleId) ?? 0;
    perRule.set(finding.ruleId, count + 1);
    if (count < MAX_FINDINGS_PER_RULE) findings.push(finding);
  };
  const maxPickles = Math.min(options.maxPickles ?? MAX_PICKLES_PER_STREAM, MAX_PICKLES_PER_STREAM);
  let offset = 0;
  let pickles = 0;
  if (data.length === 0) {
    const where = { ...(options.members.length ? { members: [...options.members] } : {}), offset: 0 };
    add(makeFinding('MS-PKL-009', 'Pickle could not be fully parsed: the stream is empty', where, { error: 'empty' }));
    errors.push({ code: 'FORMAT_INVALID', message: 'empty pickle stream', location: where });
  }
  let nestedCount = 0;
  while (offset < data.length) {
    if (pickles >= maxPickles) break;
    const pickleIndex = pickles;
    const run = runPickle(data, offset, options.vm);
    const loc = (extra: FindingLocation): FindingLocation => ({
      ...(options.members.length ? { members: [...options.members] } : {}),
      pickleIndex,
      ...extra,
    });
    const before = findings.length;
    const calledAt = new Set<number>();
    const nestedAt = new Set<number>();
    for (const e of run.events) if (e.type === 'call' && e.callee.kind === 'global') calledAt.add(e.callee.opcodeIndex);
    for (const event of run.events) {
      switch (event.type) {
        case 'global': {
          const { module, name } = fixImports(event.module, event.name);
          const verdict = classifyGlobal(module, name, options.config.allowedGlobals);
          if (verdict === 'safe') break;
          // Calls are reported on the call event; here only the reference (skipped if it will be called).
          if (calledAt.has(event.opcodeIndex)) break;
          const evidence = {
            module,
            name,
            opcode: event.opcode,
            ...(module !== event.module ? { originalModule: event.module } : {}),
          };
          const where = loc({ offset: event.offset, opcodeIndex: event.opcodeIndex });
          if (verdict === 'dangerous')
            add(makeFinding('MS-PKL-002', `Dangerous global ${module}.${name} imported`, where, evidence));
          else
            add(
              makeFinding(
                'MS-PKL-004',
                `Non-allowlisted global ${module}.${name} imported`,
                where,
                evidence,
                options.config.strict ? 'high' : 'medium',
              ),
            );
          break;
        }
        case 'call': {
          const where = loc({ offset: event.offset, opcodeIndex: event.opcodeIndex });
          const target = resolved(event.callee);
          if (!target) {
            if (
              event.callee.kind === 'call' ||
              event.callee.kind === 'unknown' ||
              event.callee.kind === 'str' ||
              event.callee.kind === 'persid'
            ) {
              add(
                makeFinding('MS-PKL-003', `${event.opcode} calls ${describe(event.callee)}`, where, {
                  opcode: event.opcode,
                  callee: describe(event.callee),
                }),
              );
            }
            break;
          }
          const dotted = `${target.module}.${target.name}`;
          const verdict = classifyGlobal(target.module, target.name, options.config.allowedGlobals);
          const evidence = { module: target.module, name: target.name, opcode: event.opcode };
          if (verdict === 'dangerous')
            add(makeFinding('MS-PKL-001', `Dangerous global ${dotted} called (${event.opcode})`, where, evidence));
          else if (verdict === 'unknown') {
            // NEWOBJ/NEWOBJ_EX only run cls.__new__ on a class (CPython refuses non-types): a reference-level risk.
            if (event.opcode === 'NEWOBJ' || event.opcode === 'NEWOBJ_EX') {
              const severity = options.config.strict ? 'high' : 'medium';
              add(
                makeFinding(
                  'MS-PKL-004',
                  `Non-allowlisted class ${dotted} instantiated (${event.opcode})`,
                  where,
                  evidence,
                  severity,
                ),
              );
            } else add(makeFinding('MS-PKL-003', `Non-allowlisted ${dotted} called (${event.opcode})`, where, evidence));
          }
          const isLoader = NESTED_LOADERS.has(dotted) || LOADER_NAMES.has(target.name.split('.').pop() ?? '');
          if (isLoader && event.args?.kind === 'tuple') {
            for (const arg of event.args.items) {
              const bytes = arg.kind === 'bytes' ? arg.value : arg.kind === 'str' ? latin1Bytes(arg.value) : undefined;
              if (!bytes || nestedCount >= MAX_NESTED_PER_PICKLE) continue;
              nestedCount++;
              add(
                makeFinding('MS-PKL-007', `Pickle bytes handed to ${dotted}`, where, {
                  module: target.module,
                  name: target.name,
                  bytes: bytes.length,
                }),
              );
              await scanNested(bytes, `pickle@${event.offset}`, where);
            }
          }
          break;
        }
        case 'build':
        case 'mutate': {
          if (event.target.kind !== 'global') break;
          const target = resolved(event.target);
          const what = target ? `${target.module}.${target.name}` : describe(event.target);
          add(
            makeFinding(
              'MS-PKL-006',
              `${event.type === 'build' ? 'BUILD' : event.opcode} mutates the imported object ${what}`,
              loc({ offset: event.offset, opcodeIndex: event.opcodeIndex }),
              { target: what },
            ),
          );
          break;
        }
        case 'nonconstant-global':
          add(
            makeFinding('MS-PKL-005', event.detail, loc({ offset: event.offset, opcodeIndex: event.opcodeIndex }), {
              detail: event.detail,
            }),
          );
          break;
        case 'ext':
          add(
            makeFinding(
              'MS-PKL-011',
              `Extension registry code ${event.code}`,
              loc({ offset: event.offset, opcodeIndex: event.opcodeIndex }),
              { code: event.code },
            ),
          );
          break;
        case 'frame-overrun':
          add(
            makeFinding(
              'MS-PKL-012',
              'An opcode argument runs past the end of its FRAME',
              loc({ offset: event.offset, opcodeIndex: event.opcodeIndex }),
            ),
          );
          break;
        case 'limit':
          add(
            makeFinding(
              'MS-PKL-010',
              `Limit ${event.limit} reached; the rest of the pickle was not inspected`,
              loc({ offset: event.offset, opcodeIndex: event.opcodeIndex }),
              { limit: event.limit },
            ),
          );
          break;
        case 'embedded': {
          if (nestedCount >= MAX_NESTED_PER_PICKLE) break;
          nestedCount++;
          const where = loc({ offset: event.offset, opcodeIndex: event.opcodeIndex });
          await scanNested(data.subarray(event.start, event.end), `pickle@${event.start}`, where);
          break;
        }
        case 'bytes':
        case 'text': {
          if (nestedCount >= MAX_NESTED_PER_PICKLE || nestedAt.has(event.opcodeIndex)) break;
          const decoded = event.type === 'bytes' ? { bytes: event.value, encoding: 'raw' } : decodeEncodedPickle(event.value);
          if (!decoded || decoded.bytes.length < 4 || !looksLikePickle(decoded.bytes)) break;
          nestedCount++;
          nestedAt.add(event.opcodeIndex);
          const where = loc({ offset: event.offset, opcodeIndex: event.opcodeIndex });
          const inner = await scanNested(decoded.bytes, `pickle@${event.offset}`, where);
          const unsafe = inner.some((f) => f.severity === 'medium' || f.severity === 'high' || f.severity === 'critical');
          const message = unsafe
            ? `Pickle stored as ${decoded.encoding} data carries unsafe content`
            : `Pickle stored as ${decoded.encoding} data (its content looks safe)`;
          add(
            makeFinding(
              'MS-PKL-007',
              message,
              where,
              { bytes: decoded.bytes.length, encoding: decoded.encoding },
              unsafe ? 'high' : 'low',
            ),
          );
          break;
        }
      }
    }
    if (run.error) {
      const where = loc({ offset: run.error.offset, opcodeIndex: run.error.opcodeIndex });
      if (pickleIndex > 0 && run.opcodes <= 1 && findings.length === before) {
        add(
          makeFinding('MS-PKL-013', `${data.length - offset} bytes after the last pickle are not a pickle`, where, {
            bytes: data.length - offset,
          }),
        );
        break;
      }
      const isLimit = run.events.some((e) => e.type === 'limit');
      if (!isLimit) {
        const seriousBefore = findings.some((f) => f.severity !== 'info' && f.severity !== 'low');
        if (seriousBefore)
          add(
            makeFinding('MS-PKL-008', `Pickle breaks after findings: ${run.error.message}`, where, { error: run.error.message }),
          );
        else
          add(
            makeFinding('MS-PKL-009', `Pickle could not be fully parsed: ${run.error.message}`, where, {
              error: run.error.message,
            }),
          );
      }
      errors.push({ code: 'FORMAT_INVALID', message: run.error.message, location: where });
      break;
    }
    pickles++;
    offset = run.end;
  }
  if (pickles >= maxPickles && offset < data.length && options.maxPickles === undefined) {
    add(
      makeFinding(
        'MS-PKL-010',
        `Limit MAX_PICKLES_PER_STREAM reached at offset ${offset}`,
        { pickleIndex: pickles, offset },
        { limit: 'MAX_PICKLES_PER_STREAM' },
      ),
    );
  }
  return { findings, errors, pickles, end: offset };

  async function scanNested(bytes: Uint8Array, member: string, where: FindingLocation): Promise<Finding[]> {
    if (options.depth + 1 > MAX_PICKLE_NESTING) {
      add(
        makeFinding('MS-PKL-010', 'Limit MAX_PICKLE_NESTING reached: a nested pickle was not inspected', where, {
          limit: 'MAX_PICKLE_NESTING',
        }),
      );
      return [];
    }
    const inner = options.nested
      ? await options.nested(bytes, member)
      : await scanPickleStream(bytes, { ...options, depth: options.depth + 1, members: [...options.members, member] });
    for (const finding of inner.findings) add(finding);
    errors.push(...inner.errors);
    return inner.findings;
  }
}

/** Strings longer than this are not tried as encoded pickles (bounds decoding work on huge text). */
export const MAX_ENCODED_PICKLE_CHARS = 64 * 1024 * 1024;

/** A string holding a base64- or hex-encoded pickle (decoded), if it is one. */
function decodeEncodedPickle(text: string): { bytes: Uint8Array; encoding: string } | undefined {
  if (text.length > MAX_ENCODED_PICKLE_CHARS) return undefined;
  const trimmed = text.trim();
  if (/^(?:[0-9a-fA-F]{2})+$/.test(trimmed)) return { bytes: Buffer.from(trimmed, 'hex'), encoding: 'hex' };
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed.replace(/\s+/g, ''))) {
    const bytes = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
    return { bytes, encoding: 'base64' };
  }
  if (trimmed.charCodeAt(0) === 0x80 || looksLikePickle(latin1Bytes(trimmed.slice(0, 2))))
    return { bytes: latin1Bytes(text), encoding: 'text' };
  return undefined;
}

function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}
