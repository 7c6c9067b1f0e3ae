/**
 * Scanning a pickle stream: runs the symbolic VM over every pickle in the stream and judges what loading it would
 * do. Each global is judged by its exact name (globals.ts) AND by how the stream uses it:
 * - called: REDUCE/INST/OBJ on it, or handed to a callable that calls it (models.ts: `_rebuild_from_type_v2(f, ...)`
 *   calls f, `partial(f)` exists to call f, an unmodelled callable is taken to call a callable argument);
 * - instantiated: NEWOBJ, or built by a reconstructor (`copyreg._reconstructor(cls, object, None)`): only the
 *   class's own `__new__` and state restore run;
 * - referenced: only held as data.
 * The severity line: a dangerous global reached by a call is critical, referenced high; a global outside the
 * allowlist reached by a call is high (the scanner cannot prove what it runs), instantiated or referenced medium
 * (importing a library class and restoring its state runs that library's own object protocol), raised to high by
 * --strict. `getattr` with constant operands is resolved to the attribute it names, which is judged instead.
 */
import { createHash } from 'node:crypto';
import type { Finding, FindingLocation, HandlerConfig, ScanBudget, ScanIssue, Severity } from '../types.js';
import { makeFinding } from './findings.js';
import { type Classification, classifyGlobal, fixImports, isImportableModuleName } from './globals.js';
import { MAX_FINDINGS_PER_RULE, MAX_NESTED_PER_PICKLE, MAX_PICKLE_NESTING, MAX_PICKLES_PER_STREAM } from './limits.js';
import { type ArgRole, DATA_ONLY_CALLABLES, DECODERS, type DecodeFailure, modelOf, NESTED_LOADERS } from './models.js';
import { ALREADY_IMPORTED_NAMES } from './module-names.generated.js';
import { OPCODES } from './opcodes.js';
import { LOAD_METHOD_SELF_CALLS } from './setstate-calls.generated.js';
import { type CallValue, describe, type GlobalValue, type PickleRun, type RunOptions, runPickle, type SymValue } from './vm.js';

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
  /** The top-level file's budget: bytes decoded from inside the pickle (zlib, base64...) are charged to it. */
  budget?: ScanBudget;
  /**
   * Told of every VM run of the stream (one per pickle), before it is judged: callers that need facts of the runs
   * (which globals they import, where the first one skipped bytes) read them here instead of running the VM again.
   */
  onRun?: (run: PickleRun, offset: number) => void;
  /**
   * When CPython rejects the first pickle before any opcode with an effect (or the stream is empty), return an inert
   * result with nothing reported (the reading of bytes a loader may be pointed at but that need not be a pickle).
   */
  quietIfInert?: boolean;
}

export interface PickleScanResult {
  findings: Finding[];
  errors: ScanIssue[];
  /** Pickles read completely (up to STOP). */
  pickles: number;
  /** Offset after the last complete pickle. */
  end: number;
  /** True when CPython rejects the stream before any opcode with an effect (it is not a pickle that does anything). */
  inert: boolean;
}

/** How a global is used by the stream, weakest first. */
type Use = 'referenced' | 'instantiated' | 'called';
const USE_RANK: Record<Use, number> = { referenced: 0, instantiated: 1, called: 2 };

/** torch's `_maybe_decode_ascii(saved_id[0]) == 'module'` (str, or bytes from a Python 2 save). */
function isModuleTag(tag: SymValue): boolean {
  if (tag.kind === 'str') return tag.value === 'module';
  return tag.kind === 'bytes' && tag.value.length === 6 && String.fromCharCode(...tag.value) === 'module';
}

/** Something the stream can call: a global, or an attribute resolved from one (getattr with constant operands). */
interface Target {
  module: string;
  name: string;
  protocol: number;
  /** The object that carries it (a GlobalValue, or the getattr call whose result it is). */
  key: object;
  offset: number;
  opcodeIndex: number;
  via?: string;
}

interface Mark {
  target: Target;
  use: Use;
  where: FindingLocation;
  how: string;
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
  const base = (): FindingLocation => (options.members.length ? { members: [...options.members] } : {});
  const maxPickles = Math.min(options.maxPickles ?? MAX_PICKLES_PER_STREAM, MAX_PICKLES_PER_STREAM);
  let offset = 0;
  let pickles = 0;
  let inert = false;
  const nested = { count: 0, limitReported: false };
  if (data.length === 0) {
    if (options.quietIfInert) return { findings, errors, pickles: 0, end: 0, inert: true };
    const where = { ...base(), offset: 0 };
    add(makeFinding('MS-PKL-009', 'Pickle could not be fully parsed: the stream is empty', where, { error: 'empty' }));
    errors.push({ code: 'FORMAT_INVALID', message: 'empty pickle stream', location: where });
    return { findings, errors, pickles: 0, end: 0, inert: true };
  }
  while (offset < data.length) {
    if (pickles >= maxPickles) break;
    const pickleIndex = pickles;
    const run = runPickle(data, offset, options.vm);
    options.onRun?.(run, offset);
    if (pickleIndex === 0 && options.quietIfInert && run.error && !run.effects)
      return { findings: [], errors: [], pickles: 0, end: 0, inert: true };
    if (run.error && !run.effects && !run.events.some((e) => e.type === 'limit')) {
      // CPython rejects these bytes before anything with an effect: no pickle (trailing data after the last one).
      const where = { ...base(), pickleIndex, offset: run.error.offset };
      if (pickleIndex === 0) {
        inert = true;
        // An extension code (EXT1/2/4) names a global through copyreg's registry, which CPython leaves empty: it
        // stops there, but a process that registered codes would import one. Reported where a pickle is expected.
        for (const e of run.events)
          if (e.type === 'ext')
            add(
              makeFinding(
                'MS-PKL-011',
                `Extension registry code ${e.code}`,
                { ...base(), pickleIndex, offset: e.offset, opcodeIndex: e.opcodeIndex },
                { code: e.code },
              ),
            );
        add(
          makeFinding('MS-PKL-009', `Pickle could not be fully parsed: ${run.error.message}`, where, {
            error: run.error.message,
          }),
        );
        errors.push({ code: 'FORMAT_INVALID', message: run.error.message, location: where });
      } else
        add(
          makeFinding('MS-PKL-013', `${data.length - offset} bytes after the last pickle are not a pickle`, where, {
            bytes: data.length - offset,
          }),
        );
      break;
    }
    await judgeRun(run, data, pickleIndex, options, add, errors, nested);
    if (run.error) break;
    pickles++;
    offset = run.end;
  }
  if (pickles >= maxPickles && offset < data.length && options.maxPickles === undefined) {
    add(
      makeFinding(
        'MS-PKL-010',
        `Limit MAX_PICKLES_PER_STREAM reached at offset ${offset}`,
        { ...base(), pickleIndex: pickles, offset },
        { limit: 'MAX_PICKLES_PER_STREAM' },
      ),
    );
  }
  return { findings, errors, pickles, end: offset, inert };
}

/** Judges one run of the VM (one pickle) and adds its findings. */
async function judgeRun(
  run: PickleRun,
  data: Uint8Array,
  pickleIndex: number,
  options: PicklePassOptions,
  add: (finding: Finding) => void,
  errors: ScanIssue[],
  nested: { count: number; limitReported: boolean },
): Promise<void> {
  const strict = options.config.strict;
  const loc = (offset: number, opcodeIndex: number): FindingLocation => ({
    ...(options.members.length ? { members: [...options.members] } : {}),
    pickleIndex,
    offset,
    opcodeIndex,
  });
  const classified = new Map<string, Classification>();
  const classify = (t: { module: string; name: string; protocol: number }): Classification => {
    const key = `${t.protocol < 3 ? 2 : 3}\u0000${t.module}\u0000${t.name}`;
    let c = classified.get(key);
    if (!c) {
      c = classifyGlobal(t.module, t.name, { protocol: t.protocol, allowed: options.config.allowedGlobals });
      classified.set(key, c);
    }
    return c;
  };
  const marks = new Map<object, Mark>();
  /** Globals whose use is judged by a model instead (a loader given constant bytes: the nested scan decides). */
  const modelled = new Set<object>();
  /** Digests of nested pickles already scanned in this run (a base64 string that is also handed to pickle.loads). */
  const scannedDigests = new Set<string>();
  /** Pickles stored as data, scanned after the loaders (which report them better) had their turn. */
  const stored: { bytes: Uint8Array; where: FindingLocation; member: string; what: string }[] = [];
  const globalsSeen: GlobalValue[] = [];
  /** getattr results and partials, resolved once. */
  const attributeOf = new Map<CallValue, Target | null>();
  /** getattr results whose owner is a global: existing objects of a module (mutating one changes live code). */
  const liveAttributes = new Set<CallValue>();
  let calls = 0;
  let serious = false;
  const report = (finding: Finding) => {
    if (finding.severity === 'medium' || finding.severity === 'high' || finding.severity === 'critical') serious = true;
    add(finding);
  };

  const mark = (target: Target, use: Use, where: FindingLocation, how: string) => {
    const existing = marks.get(target.key);
    if (!existing || USE_RANK[use] > USE_RANK[existing.use]) marks.set(target.key, { target, use, where, how });
  };

  /** What calling `value` calls: a global, an attribute getattr resolved, a partial's function. */
  const targetOf = (value: SymValue, depth = 0): Target | undefined => {
    if (depth > 8) return undefined;
    if (value.kind === 'global')
      return {
        module: value.module,
        name: value.name,
        protocol: value.protocol,
        key: value,
        offset: value.offset,
        opcodeIndex: value.opcodeIndex,
      };
    if (value.kind === 'persid') {
      // torch's legacy persistent_load returns the class of a ('module', cls, file, source) id (a whole module
      // saved with its source; the tag may be str or, from Python 2 era files, bytes), the tar loader's returns
      // saved_id[0] of any tuple: that global is what is called.
      const pid = value.pid.kind === 'tuple' ? value.pid.items : [];
      const first = pid[0];
      if (first?.kind === 'str' || first?.kind === 'bytes')
        return isModuleTag(first) && pid[1] ? targetOf(pid[1], depth + 1) : undefined;
      return first ? targetOf(first, depth + 1) : undefined;
    }
    if (value.kind !== 'call') return undefined;
    const cached = attributeOf.get(value);
    if (cached !== undefined) return cached ?? undefined;
    let result: Target | undefined;
    const callee = targetOf(value.callee, depth + 1);
    const calleeName = callee ? classify(callee).name : undefined;
    const args = value.args.kind === 'tuple' || value.args.kind === 'list' ? value.args.items : [];
    if (calleeName === 'builtins.getattr' && args.length >= 2 && args[1]?.kind === 'str') {
      const attr = args[1].value;
      const owner = args[0] as SymValue;
      const ownerTarget = ownerName(owner, depth);
      if (owner.kind === 'global' || (owner.kind === 'call' && liveAttributes.has(owner))) liveAttributes.add(value);
      // find_class maps a Python 2 name before getattr walks from it (`__builtin__.unicode` is `str` there).
      const owned =
        ownerTarget && ownerTarget.protocol < 3 && ownerTarget.name
          ? { ...ownerTarget, ...fixImports(ownerTarget.module, ownerTarget.name), protocol: 3 }
          : ownerTarget;
      if (owned)
        result = {
          module: owned.module,
          name: owned.name ? `${owned.name}.${attr}` : attr,
          protocol: owned.protocol,
          key: value,
          offset: value.offset,
          opcodeIndex: value.opcodeIndex,
          via: `builtins.getattr(${describe(owner)}, '${attr}')`,
        };
    } else if (calleeName && args[0]) {
      result = returnedTarget(calleeName, args, depth);
    }
    attributeOf.set(value, result ?? null);
    return result;
  };

  /**
   * What a call returns when that is a callable of the stream (so calling the result calls it): a partial's
   * function, however the partial was built (`partial(f)`, NEWOBJ, `copyreg.__newobj__(partial, f)`,
   * `copyreg._reconstructor(partial, partial, f)`), and the builtins that hand back one of their arguments
   * (`max([f])`, `min([f])`, `sum((), f)`, `dict.get({'k': f}, 'k')`).
   */
  const returnedTarget = (calleeName: string, args: readonly SymValue[], depth: number): Target | undefined => {
    const isPartial = (value: SymValue | undefined) => {
      const t = value ? targetOf(value, depth + 1) : undefined;
      const n = t ? classify(t).name : undefined;
      return n === 'functools.partial' || n === '_functools.partial';
    };
    switch (calleeName) {
      case 'functools.partial':
      case '_functools.partial':
        return targetOf(args[0] as SymValue, depth + 1);
      case 'copyreg.__newobj__':
      case 'copyreg.__newobj_ex__':
        return isPartial(args[0]) && args[1] ? targetOf(args[1], depth + 1) : undefined;
      case 'copyreg._reconstructor':
        return isPartial(args[0]) && isPartial(args[1]) && args[2] ? targetOf(args[2], depth + 1) : undefined;
      case 'builtins.max':
      case 'builtins.min': {
        const only = args.length === 1 ? itemsOf(args[0]) : args;
        return only.length === 1 ? targetOf(only[0] as SymValue, depth + 1) : undefined;
      }
      case 'builtins.sum':
        return args[1] && itemsOf(args[0]).length === 0 ? targetOf(args[1], depth + 1) : undefined;
      case 'builtins.dict.get': {
        const [dict, key] = args;
        if (dict?.kind !== 'dict' || key?.kind !== 'str') return undefined;
        const entry = dict.entries.find(([k]) => k.kind === 'str' && k.value === key.value);
        return entry ? targetOf(entry[1], depth + 1) : undefined;
      }
      default:
        return undefined;
    }
  };

  /**
   * The qualified name an attribute lookup starts from: a global itself; an instance built by an allowlisted class
   * (its attributes are that class's); a constant of a builtin type.
   */
  const ownerName = (owner: SymValue, depth: number): { module: string; name: string; protocol: number } | undefined => {
    const direct = targetOf(owner, depth + 1);
    if (direct && owner.kind === 'global') return direct;
    if (owner.kind === 'call') {
      if (direct) return direct; // getattr of a getattr result
      const cls = targetOf(owner.callee, depth + 1);
      if (cls) {
        const c = classify(cls);
        // An instance of a class: its attributes are the class's attributes (bound methods).
        const model = modelOf(c.name);
        const built = model?.args[0] === 'instantiated' && owner.args.kind === 'tuple' ? owner.args.items[0] : undefined;
        const instanceOf = built ? targetOf(built, depth + 1) : cls;
        if (instanceOf) return { module: instanceOf.module, name: instanceOf.name, protocol: instanceOf.protocol };
      }
      return undefined;
    }
    const builtinType: Partial<Record<SymValue['kind'], string>> = {
      str: 'str',
      bytes: 'bytes',
      int: 'int',
      bool: 'bool',
      float: 'float',
      tuple: 'tuple',
      list: 'list',
      dict: 'dict',
      set: 'set',
      none: 'NoneType',
    };
    const type = builtinType[owner.kind];
    return type ? { module: 'builtins', name: type, protocol: 3 } : undefined;
  };

  /** Judges an argument handed to a callable with the given role. */
  const judgeArgument = (arg: SymValue | undefined, role: ArgRole, where: FindingLocation, via: string) => {
    if (!arg || role === 'data') return;
    const target = targetOf(arg);
    if (target)
      mark(
        target,
        role === 'called' ? 'called' : 'instantiated',
        where,
        `passed to ${via}, which ${role === 'called' ? 'calls' : 'instantiates'} it`,
      );
  };

  /** Callable-ish values (a global, a resolved attribute, a partial) among the direct arguments. */
  const callableArgs = (args: readonly SymValue[]) => args.filter((a) => targetOf(a) !== undefined);

  /**
   * Instance attributes BUILD gave each object so far (its dict state and slotstate, in stream order). CPython looks
   * methods up on the instance, so an attribute set by BUILD shadows its class's method: whoever calls that method
   * on the object calls the value instead (a bound `Path.write_text` stored as `__setstate__` or `append`).
   */
  const attributesOf = new Map<object, Map<string, SymValue>>();
  const recordAttributes = (target: SymValue, state: SymValue, where: FindingLocation) => {
    if (target.kind !== 'call' && target.kind !== 'persid' && target.kind !== 'unknown') return;
    const dicts =
      state.kind === 'dict'
        ? [state]
        : state.kind === 'tuple' && state.length === 2
          ? state.items.filter((s): s is Extract<SymValue, { kind: 'dict' }> => s.kind === 'dict')
          : [];
    // A class whose Python __setstate__ calls methods of self after taking the state (generated table): a callable
    // the state holds under one of those names is called, and so are the callable attributes of an object held
    // there (`self.defaults.setdefault(...)`).
    for (const dict of dicts) {
      for (const [key, value] of dict.entries) {
        if (key.kind !== 'str') continue;
        let attributes = attributesOf.get(target);
        if (!attributes) {
          attributes = new Map();
          attributesOf.set(target, attributes);
        }
        attributes.set(key.value, value);
        if (LOADER_CALLED_ATTRIBUTES.has(key.value)) {
          const via = `the instance attribute '${key.value}' (the load calls it on the object)`;
          if (targetOf(value)) judgeArgument(value, 'called', where, via);
          else if (value.kind === 'call' || value.kind === 'unknown' || value.kind === 'persid' || value.kind === 'ext')
            // A value computed at load time may be a callable the scanner cannot name (benign state holds none here).
            report(
              makeFinding('MS-PKL-003', `${describe(value)} is stored as '${key.value}', which the load calls`, where, {
                attribute: key.value,
                callee: describe(value),
              }),
            );
        }
      }
    }
    judgeSelfCalls(target, '__setstate__', where);
    // The object's __del__ runs when it is collected (at the latest when the process exits), whatever the user
    // does with it: the methods of self it calls are called as surely as __setstate__'s.
    judgeSelfCalls(target, '__del__', where);
  };

  /**
   * A Python method of the object's class that the load calls (`__setstate__` by BUILD, `__setitem__` by
   * SETITEM(S), `append`/`extend` by APPEND(S), `add` by ADDITEMS) and that calls methods of self (generated
   * table): the object's instance attributes under those names are called, and so are the callable attributes of
   * an object held there (`self.defaults.setdefault(...)`).
   */
  const judgeSelfCalls = (target: SymValue, method: string, where: FindingLocation) => {
    const attributes = attributesOf.get(target);
    if (!attributes || target.kind !== 'call') return;
    const cls = classOf(target);
    const key = `${cls}#${method}`;
    if (!cls || !Object.hasOwn(LOAD_METHOD_SELF_CALLS, key)) return;
    for (const entry of (LOAD_METHOD_SELF_CALLS[key] as string).split(' ')) {
      // `name.`: the method calls an attribute of self.name (`self._modules.items()`), not self.name itself.
      const direct = !entry.endsWith('.');
      const name = direct ? entry : entry.slice(0, -1);
      const value = attributes.get(name);
      if (!value) continue;
      const via = `${cls}.${method} (it calls self.${name}${direct ? '' : '.<attribute>'})`;
      if (direct && !targetOf(value) && isComputed(value))
        // A value computed at load time (`getattr({'k': f}, 'get')('k')` is f) may be a callable the scanner cannot
        // name; the method calls it.
        report(
          makeFinding('MS-PKL-003', `${describe(value)} is stored as '${name}', which ${cls}.${method} calls`, where, {
            attribute: name,
            callee: describe(value),
          }),
        );
      judgeArgument(value, 'called', where, via);
      judgeArgumentAttributes([value], where, via);
    }
  };

  /**
   * Whether a value is computed at load time in a way that may yield a callable: a call result other than an
   * instance of a class the allowlist admits (an OrderedDict of submodules is no callable), a persistent id, an
   * extension code, an unknown value.
   */
  const isComputed = (value: SymValue): boolean => {
    if (value.kind === 'unknown' || value.kind === 'persid' || value.kind === 'ext') return true;
    if (value.kind !== 'call') return false;
    const cls = classOf(value);
    if (!cls) return true;
    const dot = cls.indexOf('.');
    const c = classify({ module: cls.slice(0, dot), name: cls.slice(dot + 1), protocol: 3 });
    // A class the allowlist admits (CamelCase by Python convention) builds an instance; a function's result is
    // whatever it returns.
    return !(c.verdict === 'call' && /^[A-Z]/.test(cls.slice(cls.lastIndexOf('.') + 1)));
  };

  /**
   * A data-only builtin given objects calls type-level methods of theirs (BUILTIN_DUNDERS): where the object's class
   * writes one in Python and it calls methods of self (generated table), the instance attributes under those names
   * are called (`str(module)` runs `Module.__repr__`, which calls `self.extra_repr()`).
   */
  const judgeBuiltinDunders = (name: string, args: readonly SymValue[], where: FindingLocation) => {
    if (attributesOf.size === 0) return;
    const dunders = BUILTIN_DUNDERS[name];
    if (!dunders) return;
    for (const arg of args.slice(0, 2)) {
      for (const method of dunders.arg) judgeSelfCalls(arg, method, where);
      if (dunders.items) for (const item of itemsOf(arg)) for (const method of dunders.items) judgeSelfCalls(item, method, where);
    }
  };

  /**
   * A BUILD state (or slotstate) that is an object, not a dict: pickle.py's load_build (joblib.load's unpickler)
   * takes `if state:` and then `state.items()` of any object (the C unpickler refuses a non-dict), so the object's
   * `items` attribute is called, and its class's __bool__/__len__ run.
   */
  const judgeStateObjects = (state: SymValue, where: FindingLocation) => {
    if (attributesOf.size === 0) return;
    const parts = state.kind === 'tuple' && state.length === 2 ? state.items : [state];
    for (const part of parts) {
      if (part.kind !== 'call') continue;
      judgeSelfCalls(part, '__bool__', where);
      judgeSelfCalls(part, '__len__', where);
      const value = attributesOf.get(part)?.get('items');
      if (!value) continue;
      if (targetOf(value))
        judgeArgument(value, 'called', where, "the BUILD state's 'items' attribute (pickle.py's load_build calls it)");
      else if (isComputed(value))
        report(
          makeFinding('MS-PKL-003', `${describe(value)} is stored as 'items' of a BUILD state, which load_build calls`, where, {
            attribute: 'items',
            callee: describe(value),
          }),
        );
    }
  };

  /** The class an object was built from: the class a reconstructor instantiates, or the callee itself. */
  const classOf = (object: CallValue): string | undefined => {
    const callee = targetOf(object.callee);
    if (!callee) return undefined;
    const name = classify(callee).name;
    const model = modelOf(name);
    if (model?.args[0] === 'instantiated' && object.args.kind === 'tuple') {
      const built = object.args.items[0] ? targetOf(object.args.items[0]) : undefined;
      return built ? classify(built).name : undefined;
    }
    return name;
  };

  /**
   * Objects among a call's arguments (and in the containers it is given) whose instance attributes hold callables:
   * the callable may call those methods of its argument (`_rebuild_tensor_v2(storage, ...)` calls
   * `storage.untyped()`), so each is judged as called. The builtin containers call none (only `keys`, judged when
   * set).
   */
  const judgeArgumentAttributes = (values: readonly SymValue[], where: FindingLocation, via: string) => {
    if (attributesOf.size === 0) return;
    const seen = new Set<SymValue>();
    const visit = (value: SymValue, depth: number) => {
      if (depth > 4 || seen.has(value)) return;
      seen.add(value);
      const attributes = attributesOf.get(value);
      if (attributes)
        for (const [name, attribute] of attributes)
          if (targetOf(attribute)) judgeArgument(attribute, 'called', where, `${via} as the method '${name}' of its argument`);
      for (const item of itemsOf(value)) visit(item, depth + 1);
      if (value.kind === 'dict') for (const [key] of value.entries) visit(key, depth + 1);
    };
    for (const value of values) visit(value, 0);
  };

  const judgeCall = async (call: CallValue, where: FindingLocation) => {
    calls++;
    const target = targetOf(call.callee);
    const args = call.args.kind === 'tuple' || call.args.kind === 'list' ? call.args.items : [];
    {
      const calleeName = target ? classify(target).name : undefined;
      // getattr reads an attribute (resolved below); the builtin containers call only `keys`.
      if (calleeName !== 'builtins.getattr' && !(calleeName && DATA_ONLY_CALLABLES.has(calleeName)))
        judgeArgumentAttributes(
          call.kwargs?.kind === 'dict' ? [...args, ...call.kwargs.entries.map(([, v]) => v)] : args,
          where,
          calleeName ?? describe(call.callee),
        );
    }
    if (!target) {
      if (
        call.callee.kind === 'call' ||
        call.callee.kind === 'unknown' ||
        call.callee.kind === 'persid' ||
        call.callee.kind === 'ext'
      ) {
        report(
          makeFinding('MS-PKL-003', `${call.opcode} calls ${describe(call.callee)}`, where, {
            opcode: call.opcode,
            callee: describe(call.callee),
          }),
        );
        for (const arg of callableArgs(args)) judgeArgument(arg, 'called', where, describe(call.callee));
      }
      return;
    }
    const c = classify(target);
    const use: Use = call.opcode === 'NEWOBJ' || call.opcode === 'NEWOBJ_EX' ? 'instantiated' : 'called';
    // getattr with constant operands and partial creation are modelled: what they resolve to is judged where used.
    if (c.name === 'builtins.getattr' && args.length >= 2 && args[1]?.kind === 'str') {
      const resolved = targetOf(call);
      if (resolved) mark(resolved, 'referenced', where, `builtins.getattr(${describe(args[0])}, '${args[1].value}')`);
      else
        report(
          makeFinding('MS-PKL-003', `builtins.getattr on ${describe(args[0])}: the attribute cannot be resolved`, where, {
            opcode: call.opcode,
            attribute: args[1].value,
          }),
        );
      return;
    }
    if (c.name === 'builtins.getattr') {
      report(makeFinding('MS-PKL-001', 'builtins.getattr with a computed attribute name', where, { opcode: call.opcode }));
      return;
    }
    const loaderArg = NESTED_LOADERS.get(c.name);
    if (loaderArg !== undefined) {
      const inner = decodeBytes(args[loaderArg], 0);
      if (inner instanceof Uint8Array) {
        modelled.add(target.key);
        // torch writes _load_from_bytes itself (pickling a storage): its content decides. Any other loader called
        // at load time unpickles a second stage: high even when that stage is clean today.
        await scanEmbedded(
          inner,
          where,
          `${c.name}`,
          `Pickle bytes handed to ${c.name}`,
          true,
          c.name !== 'torch.storage._load_from_bytes',
        );
        return;
      }
      if (inner && 'failure' in inner && inner.failure !== 'error') {
        report(
          makeFinding('MS-PKL-010', `Bytes handed to ${c.name} could not be decoded: ${inner.detail}`, where, {
            limit: inner.failure === 'budget' ? 'MAX_DECOMPRESSED_BYTES_PER_FILE' : 'UNSUPPORTED_CODEC',
            loader: c.name,
          }),
        );
      }
      mark(target, 'called', where, `${call.opcode} on data the file does not hold`);
      return;
    }
    mark(target, use, where, call.opcode);
    const model = modelOf(c.name);
    if (model) {
      for (let i = 0; i < args.length; i++) {
        let role = model.args[i] ?? model.rest ?? 'data';
        if (model.reconstructor && i === 1) {
          const baseTarget = targetOf(args[1] as SymValue);
          role = baseTarget && classify(baseTarget).name === 'builtins.object' ? 'data' : 'called';
        }
        judgeArgument(args[i], role, where, c.name);
      }
      if (call.kwargs?.kind === 'dict' && model.rest && model.rest !== 'data')
        for (const [, value] of call.kwargs.entries) judgeArgument(value, model.rest, where, c.name);
      if (model.hooksArg !== undefined) {
        for (const hook of itemsOf(args[model.hooksArg])) judgeArgument(hook, 'called', where, `${c.name} (backward hooks)`);
      }
      return;
    }
    if (DATA_ONLY_CALLABLES.has(c.name)) {
      if (c.name === 'builtins.type' && call.args.kind === 'tuple' && call.args.length === 3)
        report(
          makeFinding('MS-PKL-003', 'builtins.type called with 3 arguments: creates a class', where, { opcode: call.opcode }),
        );
      judgeBuiltinDunders(c.name, args, where);
      return;
    }
    for (const arg of callableArgs(args)) judgeArgument(arg, 'called', where, c.name);
    if (call.kwargs?.kind === 'dict')
      for (const [, value] of call.kwargs.entries) if (targetOf(value)) judgeArgument(value, 'called', where, c.name);
  };

  /** Items of a container (a dict's values, a list/tuple's items, an object's added items). */
  const itemsOf = (value: SymValue | undefined): SymValue[] => {
    if (!value) return [];
    if (value.kind === 'dict') return value.entries.map(([, v]) => v);
    if (value.kind === 'list' || value.kind === 'tuple' || value.kind === 'set') return value.items;
    if (value.kind === 'call') return value.items ?? [];
    return [];
  };

  /**
   * Constant bytes a value evaluates to through the decoders pickles use (zlib, base64, hex, BytesIO...), bounded
   * by the file's decompression budget. A DecodeFailure when a decoder stops; undefined when not constant.
   */
  const decodeBytes = (value: SymValue | undefined, depth: number): Uint8Array | DecodeFailure | undefined => {
    if (!value || depth > 16) return undefined;
    if (value.kind === 'bytes') return value.value;
    // A str handed straight to a loader is a path (torch.load, joblib.load...) or a TypeError (pickle.loads):
    // never pickle bytes. Decoders take str (base64, hex).
    if (value.kind === 'str') return depth > 0 ? latin1Bytes(value.value) : undefined;
    if (value.kind !== 'call') return undefined;
    const target = targetOf(value.callee);
    if (!target) return undefined;
    const decoder = DECODERS.get(classify(target).name);
    if (!decoder) return undefined;
    const raw = value.args.kind === 'tuple' ? value.args.items : [];
    const inputs: (Uint8Array | string | undefined)[] = [];
    for (const arg of raw) {
      if (arg.kind === 'str') inputs.push(arg.value);
      else if (arg.kind === 'none' || arg.kind === 'int' || arg.kind === 'bool') inputs.push(undefined);
      else {
        const inner = decodeBytes(arg, depth + 1);
        if (inner === undefined || !(inner instanceof Uint8Array)) return inner;
        inputs.push(inner);
      }
    }
    const limit = options.budget ? options.budget.remainingDecompressed : MAX_DECODED_BYTES;
    const out = decoder(inputs, Math.min(limit, MAX_DECODED_BYTES));
    if (out instanceof Uint8Array && options.budget && !options.budget.chargeDecompressed(out.length))
      return { failure: 'budget', detail: 'the file\u2019s decompression budget is spent' };
    return out;
  };

  /** Scans bytes that are (or may be) a pickle run by the loader, and reports what was found. */
  const scanEmbedded = async (
    bytes: Uint8Array,
    where: FindingLocation,
    member: string,
    what: string,
    loaded: boolean,
    secondStage = false,
  ) => {
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (scannedDigests.has(digest)) return;
    scannedDigests.add(digest);
    if (nested.count >= MAX_NESTED_PER_PICKLE) {
      if (!nested.limitReported) {
        nested.limitReported = true;
        report(
          makeFinding(
            'MS-PKL-010',
            `Limit MAX_NESTED_PER_PICKLE (${MAX_NESTED_PER_PICKLE}) reached: further nested pickles were not inspected`,
            where,
            { limit: 'MAX_NESTED_PER_PICKLE' },
          ),
        );
      }
      return;
    }
    nested.count++;
    if (options.depth + 1 > MAX_PICKLE_NESTING) {
      report(
        makeFinding('MS-PKL-010', 'Limit MAX_PICKLE_NESTING reached: a nested pickle was not inspected', where, {
          limit: 'MAX_PICKLE_NESTING',
        }),
      );
      return;
    }
    const pickleOnly = () =>
      scanPickleStream(bytes, {
        ...options,
        depth: options.depth + 1,
        members: [...options.members, `pickle@${where.offset ?? 0}`],
      });
    let inner = options.nested ? await options.nested(bytes, `pickle@${where.offset ?? 0}`) : await pickleOnly();
    // Stored bytes the probe read as an effective pickle but the engine does not recognise: read as the pickle a
    // later pickle.loads would (the engine's reading said nothing of their content).
    if (!loaded && options.nested && inner.findings.some((f) => f.ruleId === 'MS-ENG-001')) inner = await pickleOnly();
    // Bytes merely stored (no loader of this load runs them) that turn out not to parse as a pickle are data that
    // began like one (random bytes, a hash, an image): how their reading broke is no part of this file's reading.
    // What they import or call stays reported, and so does a limit reached inside them.
    const kept = loaded ? inner.findings : inner.findings.filter((f) => !STORED_PARSE_RULES.has(f.ruleId));
    for (const finding of kept) add(finding);
    if (loaded) errors.push(...inner.errors);
    else errors.push(...inner.errors.filter((e) => e.code !== 'FORMAT_INVALID'));
    const unsafe = inner.findings.some((f) => !f.suppressed && (f.severity === 'high' || f.severity === 'critical'));
    const severity: Severity = unsafe || secondStage ? 'high' : 'low';
    report(
      makeFinding(
        'MS-PKL-007',
        `${what}${unsafe ? ': it carries unsafe content' : secondStage ? ': a second pickle unpickled at load time' : ' (its content was scanned)'}`,
        where,
        { bytes: bytes.length, member, loaded },
        severity,
      ),
    );
  };

  for (const event of run.events) {
    const where = loc(event.offset, event.opcodeIndex);
    switch (event.type) {
      case 'global':
        globalsSeen.push(event.value);
        break;
      case 'call':
        await judgeCall(event.value, where);
        break;
      case 'build': {
        const target = event.target;
        if (target.kind === 'call') targetOf(target); // resolves (and records) getattr results
        judgeStateObjects(event.state, where);
        recordAttributes(target, event.state, where);
        if (target.kind === 'global' || (target.kind === 'call' && liveAttributes.has(target))) {
          const resolved = targetOf(target);
          const what = resolved ? `${resolved.module}.${resolved.name}` : describe(target);
          report(makeFinding('MS-PKL-006', `BUILD mutates the imported object ${what}`, where, { target: what }));
        } else if (target.kind === 'call') {
          // The class built (through a reconstructor too: `copyreg.__newobj__(partial, f)`).
          const name = classOf(target);
          // functools.partial's __setstate__ replaces the function it calls with the state's first item.
          const model = name ? modelOf(name) : undefined;
          if (model?.buildStateFirst && event.state.kind === 'tuple')
            judgeArgument(event.state.items[0], 'called', where, `${name} (BUILD state)`);
          if (model?.buildStateBinds && event.state.kind === 'tuple') {
            const bound = [...itemsOf(event.state.items[1]), ...itemsOf(event.state.items[2])];
            for (const arg of bound) judgeArgument(arg, model.rest ?? 'data', where, `${name} (bound by its BUILD state)`);
          }
        }
        break;
      }
      case 'mutate': {
        const target = event.target;
        if (target.kind === 'call') targetOf(target);
        for (const method of MUTATOR_METHODS[event.opcode] ?? []) judgeSelfCalls(target, method, where);
        const live = target.kind === 'global' || (target.kind === 'call' && liveAttributes.has(target));
        const resolved = live ? targetOf(target) : undefined;
        if (resolved) {
          const what = `${resolved.module}.${resolved.name}`;
          report(makeFinding('MS-PKL-006', `${event.opcode} mutates the imported object ${what}`, where, { target: what }));
        }
        break;
      }
      case 'hash':
        // A key put in a dict or set: its class's __hash__ runs.
        if (attributesOf.size > 0) judgeSelfCalls(event.value, '__hash__', where);
        break;
      case 'nonconstant-global':
        report(makeFinding('MS-PKL-005', event.detail, where, { detail: event.detail }));
        break;
      case 'ext':
        report(makeFinding('MS-PKL-011', `Extension registry code ${event.code}`, where, { code: event.code }));
        break;
      case 'frame-overrun':
        report(makeFinding('MS-PKL-012', 'An opcode argument runs past the end of its FRAME', where));
        break;
      case 'limit':
        report(
          makeFinding('MS-PKL-010', `Limit ${event.limit} reached; the rest of the pickle was not inspected`, where, {
            limit: event.limit,
          }),
        );
        break;
      case 'embedded':
        await scanEmbedded(
          data.subarray(event.start, event.end),
          where,
          `pickle@${event.start}`,
          'Pickle read by the loader from inside the stream',
          true,
        );
        break;
      case 'bytes':
      case 'text': {
        // Pickle bytes stored as data (raw, hex or base64): not run by this load, but by whoever loads the value.
        const decoded = event.type === 'bytes' ? event.value : decodeEncodedPickle(event.value);
        if (!decoded || decoded.length < 4 || !mayBePickle(decoded)) break;
        const probe = runPickle(decoded);
        if (!probe.stopped && !probe.effects) break;
        // Opening with a rarer opcode, random data (array bytes, hashes) reaches a STOP or a call often enough: such
        // bytes count only when they import a name a module could have (what any payload needs).
        if (!usualFirstByte(decoded) && !probe.events.some((e) => e.type === 'global' && isImportableModuleName(e.module))) break;
        stored.push({
          bytes: decoded,
          where,
          member: `pickle@${event.offset}`,
          what: `Pickle stored as ${event.type === 'bytes' ? 'bytes' : 'encoded text'}`,
        });
        break;
      }
      default:
        break;
    }
  }

  for (const item of stored) await scanEmbedded(item.bytes, item.where, item.member, item.what, false);
  // Every global imported and not called or built: referenced.
  for (const value of globalsSeen) {
    if (!marks.has(value) && !modelled.has(value))
      marks.set(value, {
        target: targetOf(value) as Target,
        use: 'referenced',
        where: loc(value.offset, value.opcodeIndex),
        how: value.opcode,
      });
  }
  // A stream that only imported (no call, no BUILD, no mutation) and then broke: CPython stops at the break, so the
  // imports are all it did (a class-label text file opening `c<module>\n<name>\n`).
  // A persistent id hands its operands to the loader's persistent_load (torch's reads attributes of a class in it):
  // not an import only.
  const importsOnly =
    Boolean(run.error) &&
    calls === 0 &&
    !run.events.some((e) => e.type === 'build' || e.type === 'mutate' || e.type === 'persid');
  const ordered = [...marks.values()].sort((a, b) => (a.where.offset ?? 0) - (b.where.offset ?? 0));
  const brokenImports: string[] = [];
  for (const { target, use, where, how } of ordered) {
    const c = classify(target);
    const evidence: Record<string, unknown> = {
      module: target.module,
      name: target.name,
      use,
      ...('spelled' in target.key && typeof target.key.spelled === 'string' ? { spelled: target.key.spelled } : {}),
      ...(c.name !== `${target.module}.${target.name}` ? { resolved: c.name } : {}),
      ...(c.why ? { why: c.why } : {}),
      ...(target.via ? { via: target.via } : {}),
    };
    const shown = c.name;
    const importEffect = c.verdict === 'dangerous' && /runs (code|its program)/.test(c.why ?? '');
    if (importsOnly) brokenImports.push(shown);
    // A broken stream that only imported: non-dangerous imports are all it did, and so is a dangerous module's name
    // that module does not have, when the module is already imported (`cos\nsin\n` of a label file: `os` is a
    // sys.modules lookup and getattr raises: the load fails at that import, whatever the VM reads after it). Any
    // other dangerous global stays a finding (fail closed: an existing `builtins.exec` cut short is the shape of a
    // payload whose break the file controls; importing a module not yet loaded runs its top-level code, and a file
    // beside the script, on sys.path[0], can shadow the stdlib one).
    if (importsOnly && (c.verdict !== 'dangerous' || (!importEffect && importFailsInert(target)))) continue;
    if (c.verdict === 'call') continue;
    if (c.verdict === 'dangerous') {
      if (use !== 'referenced' || importEffect)
        report(
          makeFinding(
            'MS-PKL-001',
            `Dangerous global ${shown} ${use === 'referenced' ? 'imported (importing it runs code)' : `reached by a call (${how})`}`,
            where,
            evidence,
          ),
        );
      else report(makeFinding('MS-PKL-002', `Dangerous global ${shown} referenced`, where, evidence));
      continue;
    }
    if (c.verdict === 'data') {
      if (use === 'called')
        report(makeFinding('MS-PKL-003', `${shown} is allowlisted as data only and is called (${how})`, where, evidence));
      continue;
    }
    // Not allowlisted.
    if (use === 'called')
      report(makeFinding('MS-PKL-003', `Non-allowlisted ${shown} reached by a call (${how})`, where, evidence));
    else
      report(
        makeFinding(
          'MS-PKL-004',
          use === 'instantiated'
            ? `Non-allowlisted class ${shown} instantiated (${how})`
            : `Non-allowlisted global ${shown} referenced`,
          where,
          evidence,
          strict ? 'high' : 'medium',
        ),
      );
  }
  if (importsOnly && run.error) {
    const where = loc(run.error.offset, run.error.opcodeIndex);
    const names = [...new Set(brokenImports)];
    report(
      makeFinding(
        'MS-PKL-014',
        `Imports ${names.slice(0, 3).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''} and then breaks (${run.error.message}): nothing is called`,
        where,
        { imports: names.slice(0, 20), error: run.error.message },
      ),
    );
  }

  if (run.error) {
    const where = loc(run.error.offset, run.error.opcodeIndex);
    const isLimit = run.events.some((e) => e.type === 'limit');
    if (!isLimit && !importsOnly) {
      if (serious)
        add(makeFinding('MS-PKL-008', `Pickle breaks after findings: ${run.error.message}`, where, { error: run.error.message }));
      add(
        makeFinding('MS-PKL-009', `Pickle could not be fully parsed: ${run.error.message}`, where, {
          error: run.error.message,
        }),
      );
    }
    errors.push({ code: 'FORMAT_INVALID', message: run.error.message, location: where });
  }
}

/**
 * Instance attributes the load itself calls on an object: BUILD calls `inst.__setstate__(state)`, APPEND(S) call
 * `append`/`extend` and ADDITEMS `add` on anything but a list or set, and `dict(obj)`/`dict.update(obj)`/
 * `OrderedDict(obj)` call `obj.keys()` (Modules/_pickle.c load_build, do_append, load_additems; dictobject.c).
 * torch's persistent_load (legacy and zip) hands a storage id's location to default_restore_location, whose
 * deserializers call `location.startswith('cuda')` (and 'mps', 'meta') on it (torch 1.13 serialization.py).
 */
const LOADER_CALLED_ATTRIBUTES: ReadonlySet<string> = new Set(['__setstate__', 'append', 'extend', 'add', 'keys', 'startswith']);

/** ALREADY_IMPORTED_NAMES split into sets, built on first use. */
let importedNames: Map<string, ReadonlySet<string>> | undefined;

/**
 * Whether find_class of this global fails without running anything: its module is one every modelled loader has
 * imported before unpickling (CPython 3.11's start-up modules with `-I -S`, what `import pickle` imports, and `os`,
 * which site, torch, numpy and joblib all import; none defines a module `__getattr__`), so `__import__` is a
 * sys.modules lookup, and the name is one that module has on no platform (module-names.generated.ts), so getattr
 * raises there. Below protocol 4 a dotted name is one getattr of the whole string, which no module has.
 */
function importFailsInert(target: { module: string; name: string; protocol: number }): boolean {
  const { module, name } = target.protocol < 3 ? fixImports(target.module, target.name) : target;
  if (!Object.hasOwn(ALREADY_IMPORTED_NAMES, module)) return false;
  importedNames ??= new Map();
  let names = importedNames.get(module);
  if (!names) {
    names = new Set((ALREADY_IMPORTED_NAMES[module] as string).split(' '));
    importedNames.set(module, names);
  }
  if (target.protocol < 4 && name.includes('.')) return true;
  return !names.has(name.split('.')[0] as string);
}

/**
 * The type-level methods each data-only builtin calls on its arguments (`arg`) and on their items (`items`), as
 * CPython 3.11 implements them (Objects/*.c: PyObject_Str, PyObject_Size, PyObject_GetIter and the iteration
 * protocol, PyNumber_Index/Long/Float, bytes_new, set/dict insertion, list.sort). `__str__` inherited from object
 * calls `__repr__`: both are looked up.
 */
const ITERATION = ['__iter__', '__next__', '__len__', '__length_hint__', '__getitem__'];
const BUILTIN_DUNDERS: Readonly<Record<string, { arg: readonly string[]; items?: readonly string[] }>> = {
  'builtins.str': { arg: ['__str__', '__repr__'] },
  'builtins.len': { arg: ['__len__'] },
  'builtins.bool': { arg: ['__bool__', '__len__'] },
  'builtins.int': { arg: ['__int__', '__index__', '__trunc__'] },
  'builtins.float': { arg: ['__float__', '__index__'] },
  'builtins.complex': { arg: ['__complex__', '__float__', '__index__'] },
  'builtins.range': { arg: ['__index__'] },
  'builtins.bytes': { arg: ['__bytes__', '__index__', ...ITERATION] },
  'builtins.bytearray': { arg: ['__index__', ...ITERATION] },
  'builtins.list': { arg: ITERATION },
  'builtins.tuple': { arg: ITERATION },
  'builtins.enumerate': { arg: ITERATION },
  'builtins.zip': { arg: ITERATION },
  'collections.deque': { arg: ITERATION },
  'builtins.reversed': { arg: ['__reversed__', '__len__', '__getitem__'] },
  'builtins.sorted': { arg: ITERATION, items: ['__lt__'] },
  'builtins.set': { arg: ITERATION, items: ['__hash__'] },
  'builtins.frozenset': { arg: ITERATION, items: ['__hash__'] },
  'builtins.dict': { arg: ['keys', '__getitem__', ...ITERATION], items: ['__hash__'] },
  'collections.OrderedDict': { arg: ['keys', '__getitem__', ...ITERATION], items: ['__hash__'] },
  'collections.Counter': { arg: ['keys', '__getitem__', ...ITERATION], items: ['__hash__'] },
};

/** The methods each mutating opcode calls on an object that is not a plain container (Modules/_pickle.c). */
const MUTATOR_METHODS: Readonly<Record<string, readonly string[]>> = {
  SETITEM: ['__setitem__'],
  SETITEMS: ['__setitem__'],
  APPEND: ['append'],
  APPENDS: ['extend', 'append'],
  ADDITEMS: ['add'],
};

/**
 * How a stored (not loaded) pickle's reading broke or ended: not findings of the file holding the bytes (MS-PKL-009
 * could not be parsed, MS-PKL-013 trailing bytes, MS-PKL-014 imports then breaks, MS-ENG-001 format not recognised).
 */
const STORED_PARSE_RULES: ReadonlySet<string> = new Set(['MS-PKL-009', 'MS-PKL-013', 'MS-PKL-014', 'MS-ENG-001']);

/** Bytes decoded from inside one pickle (base64, zlib...) when no file budget is given: bounds a bomb. */
export const MAX_DECODED_BYTES = 1 << 30;

/** Strings longer than this are not tried as encoded pickles (bounds decoding work on huge text). */
export const MAX_ENCODED_PICKLE_CHARS = 64 * 1024 * 1024;

/**
 * Protocol 2+ header, or a first byte that is an opcode: a pickle needs no PROTO, and any opcode can open one
 * (`I1\n0` pushes and pops an int before a GLOBAL; a FRAME opens protocol 4 data). A narrower set of first bytes
 * let a pickle that a class's `__setstate__` unpickles from its state bytes go unread. The probe run that follows
 * (stopped, or an effect) decides.
 */
function mayBePickle(bytes: Uint8Array): boolean {
  const b0 = bytes[0] as number;
  if (b0 === 0x80) return (bytes[1] as number) <= 5;
  return OPCODES[b0] !== undefined && b0 !== 0x2e; // STOP first: an empty pickle of nothing
}

/** The first bytes pickles usually open with: PROTO, and protocol 0/1's MARK, GLOBAL, lists, dicts, INST, None, strings. */
function usualFirstByte(bytes: Uint8Array): boolean {
  const b0 = bytes[0] as number;
  return (
    b0 === 0x80 ||
    b0 === 0x28 ||
    b0 === 0x63 ||
    b0 === 0x5d ||
    b0 === 0x7d ||
    b0 === 0x69 ||
    b0 === 0x4e ||
    b0 === 0x53 ||
    b0 === 0x56
  );
}

/** A string holding a base64- or hex-encoded pickle (decoded), if it looks like one. Linear regexes. */
function decodeEncodedPickle(text: string): Uint8Array | undefined {
  if (text.length > MAX_ENCODED_PICKLE_CHARS) return undefined;
  const trimmed = text.trim();
  if (/^(?:[0-9a-fA-F]{2})+$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  const compact = trimmed.replace(/\s+/g, '');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact))
    return Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
  if (trimmed.charCodeAt(0) === 0x80) return latin1Bytes(text);
  return undefined;
}

function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}
