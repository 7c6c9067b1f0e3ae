/**
 * What allowlisted callables do with their arguments (read from their sources: CPython 3.11 copyreg.py,
 * functools.py, collections; torch/_tensor.py, torch/_utils.py 1.13-2.x; numpy/core/multiarray; pandas
 * core/indexes/base.py; scikit-learn's Cython trees; Cython's __pyx_unpickle_* reconstructors). A callable that calls
 * or instantiates an argument is judged by that argument: `_rebuild_from_type_v2(os.system, ...)` runs os.system.
 *
 * Roles of an argument:
 * - `called`: the callable calls it now (`func(*args)`), or stores it to be called later (a partial's func, a
 *   defaultdict's factory, a tensor's backward hooks): judged as a call of it.
 * - `instantiated`: the callable builds an instance of it without calling it with arguments (`cls.__new__(cls)`
 *   and a state restore), as NEWOBJ does: judged as NEWOBJ of it.
 * - `data`: only held or read.
 * Callables without a model: a callable argument (a global, an attribute resolved by getattr, a partial) is taken
 * as `called` (the worst reading), except by the builtin containers, which only iterate their argument.
 */
import { gunzipSync, inflateSync, unzipSync } from 'node:zlib';

export type ArgRole = 'called' | 'instantiated' | 'data';

export interface CallModel {
  /** Role of each positional argument (missing positions: `rest`). */
  args: readonly ArgRole[];
  rest?: ArgRole;
  /** Role of the first item of BUILD states applied to the result (functools.partial's __setstate__ sets func). */
  buildStateFirst?: ArgRole;
  /**
   * BUILD states `(func, args, kwds, dict)` bind arguments (functools.partial's __setstate__): the items of
   * state[1] and the values of state[2] get the `rest` role, as positional arguments given to the call do.
   */
  buildStateBinds?: true;
  /** Index of the argument whose items are all `called` (backward hooks dicts). */
  hooksArg?: number;
  /** copyreg._reconstructor: argument 1 (base) is called unless it is builtins.object. */
  reconstructor?: true;
}

const REBUILD_TENSOR_HOOKS = (index: number): CallModel => ({ args: [], rest: 'data', hooksArg: index });

export const CALL_MODELS: ReadonlyMap<string, CallModel> = new Map<string, CallModel>([
  ['copyreg._reconstructor', { args: ['instantiated', 'data', 'data'], reconstructor: true }],
  ['copyreg.__newobj__', { args: ['instantiated'], rest: 'data' }],
  ['copyreg.__newobj_ex__', { args: ['instantiated'], rest: 'data' }],
  // A partial's bound arguments are handed to its function whenever it is called: a callable among them is taken
  // as called, as an unmodelled callable's arguments are (`partial(sorted, [p], key=f)` calls f(p)).
  ['functools.partial', { args: ['called'], rest: 'called', buildStateFirst: 'called', buildStateBinds: true }],
  ['_functools.partial', { args: ['called'], rest: 'called', buildStateFirst: 'called', buildStateBinds: true }],
  ['collections.defaultdict', { args: ['called'], rest: 'data' }],
  ['torch._tensor._rebuild_from_type', { args: ['called', 'instantiated', 'data', 'data'] }],
  ['torch._tensor._rebuild_from_type_v2', { args: ['called', 'instantiated', 'data', 'data'] }],
  ['torch._utils._rebuild_wrapper_subclass', { args: ['instantiated'], rest: 'data' }],
  ['torch._utils._rebuild_tensor_v2', REBUILD_TENSOR_HOOKS(5)],
  ['torch._utils._rebuild_tensor_v3', REBUILD_TENSOR_HOOKS(5)],
  ['torch._utils._rebuild_qtensor', REBUILD_TENSOR_HOOKS(6)],
  ['torch._utils._rebuild_parameter', REBUILD_TENSOR_HOOKS(2)],
  ['torch._utils._rebuild_parameter_with_state', REBUILD_TENSOR_HOOKS(2)],
  ['numpy.core.multiarray._reconstruct', { args: ['instantiated'], rest: 'data' }],
  ['numpy._core.multiarray._reconstruct', { args: ['instantiated'], rest: 'data' }],
  ['numpy.core._multiarray_umath._reconstruct', { args: ['instantiated'], rest: 'data' }],
  ['numpy.ma.core._mareconstruct', { args: ['instantiated', 'instantiated'], rest: 'data' }],
  ['pandas.core.indexes.base._new_Index', { args: ['instantiated'], rest: 'data' }],
  // _new_DatetimeIndex(cls, d): cls._simple_new(...) or cls.__new__(cls, **d); _new_IntervalIndex: cls.from_arrays(**d);
  // _new_PeriodIndex(cls, **d): cls(values, ...). Each calls into the class it is given.
  ['pandas.core.indexes.datetimes._new_DatetimeIndex', { args: ['called'], rest: 'data' }],
  ['pandas.core.indexes.interval._new_IntervalIndex', { args: ['called'], rest: 'data' }],
  ['pandas.core.indexes.period._new_PeriodIndex', { args: ['called'], rest: 'data' }],
]);

/** scikit-learn's `newObj(obj)`: `obj.__new__(obj)`, then BUILD restores the state. */
const SKLEARN_NEW_OBJ: CallModel = { args: ['instantiated'] };

/** Cython's generated reconstructor `__pyx_unpickle_<Class>(cls, checksum, state)`: builds cls (`cls.__new__(cls)`). */
export const CYTHON_UNPICKLE: CallModel = { args: ['instantiated'], rest: 'data' };

/** Builtin types whose constructors only iterate or convert their argument (never call it). */
export const DATA_ONLY_CALLABLES: ReadonlySet<string> = new Set(
  'list tuple set frozenset dict bytes bytearray str int float complex bool slice range object enumerate zip reversed sorted len'
    .split(' ')
    .map((t) => `builtins.${t}`)
    .concat(['collections.OrderedDict', 'collections.Counter', 'collections.deque', 'builtins.type']),
);

export function modelOf(name: string): CallModel | undefined {
  const model = CALL_MODELS.get(name);
  if (model) return model;
  const last = name.slice(name.lastIndexOf('.') + 1);
  if (last.startsWith('__pyx_unpickle_')) return CYTHON_UNPICKLE;
  // scikit-learn's Cython reconstructor `newObj(obj): return obj.__new__(obj)` (neighbors' trees, metrics'
  // DistanceMetric), defined in each module that reduces to it.
  if (last === 'newObj' && name.startsWith('sklearn.')) return SKLEARN_NEW_OBJ;
  return undefined;
}

/**
 * Loaders whose argument is itself a pickle (or an archive of pickles): the bytes they get are scanned as a nested
 * file; a loader given anything else (a path, computed data) loads what the scanner cannot see (dangerous).
 * Value: index of the argument that holds the bytes or the file object.
 */
export const NESTED_LOADERS: ReadonlyMap<string, number> = new Map([
  ['pickle.loads', 0],
  ['pickle.load', 0],
  ['_pickle.loads', 0],
  ['_pickle.load', 0],
  ['pickle._loads', 0],
  ['pickle._load', 0],
  ['pickle.Unpickler', 0],
  ['_pickle.Unpickler', 0],
  ['pickle._Unpickler', 0],
  ['torch.load', 0],
  ['torch.serialization.load', 0],
  ['torch.storage._load_from_bytes', 0],
  ['torch.jit.load', 0],
  ['torch.jit._serialization.load', 0],
  ['dill.loads', 0],
  ['dill.load', 0],
  ['dill._dill.loads', 0],
  ['dill._dill.load', 0],
  ['cloudpickle.loads', 0],
  ['cloudpickle.load', 0],
  ['joblib.load', 0],
  ['joblib.numpy_pickle.load', 0],
  ['numpy.load', 0],
  ['numpy.lib.npyio.load', 0],
  ['numpy.loads', 0],
  ['pandas.read_pickle', 0],
  ['pandas.io.pickle.read_pickle', 0],
]);

/** Why a decoding stopped short: a codec this scanner cannot run, a budget, or the codec raising. */
export type DecodeFailure = { failure: 'unsupported' | 'budget' | 'error'; detail: string };

/** Decoders pickles use to rebuild bytes (and to hide nested pickles): name → how to apply them. */
type Decoder = (args: readonly (Uint8Array | string | undefined)[], limit: number) => Uint8Array | DecodeFailure;

function bytesOf(value: Uint8Array | string | undefined): Uint8Array | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return value;
  const out = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) out[i] = value.charCodeAt(i) & 0xff;
  return out;
}

function textOf(value: Uint8Array | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : Buffer.from(value).toString('latin1');
}

function inflate(data: Uint8Array, limit: number, kind: 'zlib' | 'gzip' | 'auto'): Uint8Array | DecodeFailure {
  try {
    const opts = { maxOutputLength: Math.max(1, limit) };
    return kind === 'zlib' ? inflateSync(data, opts) : kind === 'gzip' ? gunzipSync(data, opts) : unzipSync(data, opts);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/maxOutputLength|Cannot create a Buffer larger/i.test(message))
      return { failure: 'budget', detail: `decompressed data exceeds ${limit} bytes` };
    return { failure: 'error', detail: message };
  }
}

/** Base64 as binascii.a2b_base64 reads it (non-alphabet bytes skipped, stops at padding). */
function base64(value: Uint8Array | string | undefined, urlsafe = false): Uint8Array | undefined {
  const text = textOf(value);
  if (text === undefined) return undefined;
  const cleaned = (urlsafe ? text.replace(/-/g, '+').replace(/_/g, '/') : text).replace(/[^A-Za-z0-9+/=]/g, '');
  return Buffer.from(cleaned, 'base64');
}

function hex(value: Uint8Array | string | undefined): Uint8Array | DecodeFailure {
  const text = textOf(value)?.replace(/\s+/g, '');
  if (text === undefined || !/^(?:[0-9a-fA-F]{2})*$/.test(text)) return { failure: 'error', detail: 'not hex' };
  return Buffer.from(text, 'hex');
}

const UNSUPPORTED = (codec: string): DecodeFailure => ({
  failure: 'unsupported',
  detail: `${codec} is not decoded by this scanner`,
});

/** codecs.decode / _codecs.decode by codec name (the bytes-to-bytes codecs; text codecs give the bytes back). */
function codecDecode(args: readonly (Uint8Array | string | undefined)[], limit: number): Uint8Array | DecodeFailure {
  const codec = (textOf(args[1]) ?? 'utf-8').toLowerCase().replace(/[-\s]/g, '_');
  const data = args[0];
  switch (codec) {
    case 'base64':
    case 'base64_codec':
    case 'base_64':
      return base64(data) ?? { failure: 'error', detail: 'no data' };
    case 'hex':
    case 'hex_codec':
      return hex(data);
    case 'zlib':
    case 'zlib_codec':
    case 'zip':
      return inflate(bytesOf(data) ?? new Uint8Array(), limit, 'zlib');
    case 'bz2':
    case 'bz2_codec':
      return UNSUPPORTED('bz2');
    default:
      // Text codecs (utf-8, latin-1, ...): the pickle sees a str; its bytes are what a later encode gives back.
      return bytesOf(data) ?? { failure: 'error', detail: 'no data' };
  }
}

export const DECODERS: ReadonlyMap<string, Decoder> = new Map<string, Decoder>([
  ['zlib.decompress', (a, limit) => inflate(bytesOf(a[0]) ?? new Uint8Array(), limit, 'auto')],
  ['gzip.decompress', (a, limit) => inflate(bytesOf(a[0]) ?? new Uint8Array(), limit, 'gzip')],
  ['bz2.decompress', () => UNSUPPORTED('bz2')],
  ['lzma.decompress', () => UNSUPPORTED('lzma/xz')],
  ['base64.b64decode', (a) => base64(a[0]) ?? { failure: 'error', detail: 'no data' }],
  ['base64.standard_b64decode', (a) => base64(a[0]) ?? { failure: 'error', detail: 'no data' }],
  ['base64.decodebytes', (a) => base64(a[0]) ?? { failure: 'error', detail: 'no data' }],
  ['base64.decodestring', (a) => base64(a[0]) ?? { failure: 'error', detail: 'no data' }],
  ['base64.urlsafe_b64decode', (a) => base64(a[0], true) ?? { failure: 'error', detail: 'no data' }],
  ['base64.b16decode', (a) => hex(a[0])],
  ['base64.b32decode', () => UNSUPPORTED('base32')],
  ['base64.b32hexdecode', () => UNSUPPORTED('base32hex')],
  ['base64.a85decode', () => UNSUPPORTED('ascii85')],
  ['base64.b85decode', () => UNSUPPORTED('base85')],
  ['binascii.a2b_base64', (a) => base64(a[0]) ?? { failure: 'error', detail: 'no data' }],
  ['binascii.a2b_hex', (a) => hex(a[0])],
  ['binascii.unhexlify', (a) => hex(a[0])],
  ['binascii.a2b_qp', () => UNSUPPORTED('quoted-printable')],
  ['binascii.a2b_uu', () => UNSUPPORTED('uuencode')],
  ['builtins.bytes.fromhex', (a) => hex(a[0])],
  ['builtins.bytearray.fromhex', (a) => hex(a[0])],
  ['codecs.decode', codecDecode],
  ['_codecs.decode', codecDecode],
  // encode(str, 'latin1') is how protocol 0-2 pickles carry bytes; other encodings give the same bytes for ASCII.
  ['_codecs.encode', (a) => bytesOf(a[0]) ?? { failure: 'error', detail: 'no data' }],
  ['codecs.encode', (a) => bytesOf(a[0]) ?? { failure: 'error', detail: 'no data' }],
  ['builtins.bytes', (a) => bytesOf(a[0]) ?? new Uint8Array()],
  ['builtins.bytearray', (a) => bytesOf(a[0]) ?? new Uint8Array()],
  // File-like wrappers: the loader reads what they wrap.
  ['io.BytesIO', (a) => bytesOf(a[0]) ?? new Uint8Array()],
  ['_io.BytesIO', (a) => bytesOf(a[0]) ?? new Uint8Array()],
  ['gzip.GzipFile', (a, limit) => inflate(bytesOf(a[3]) ?? new Uint8Array(), limit, 'gzip')],
  ['bz2.BZ2File', () => UNSUPPORTED('bz2')],
  ['lzma.LZMAFile', () => UNSUPPORTED('lzma/xz')],
]);
