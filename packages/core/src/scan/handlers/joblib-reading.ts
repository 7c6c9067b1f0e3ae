/**
 * joblib.load's reading of a pickle stream (joblib/numpy_pickle.py, 1.2): its NumpyUnpickler runs BUILD, and when
 * the object built is a `NumpyArrayWrapper` it reads the array from the file right there:
 * - dtype with objects (`dtype.hasobject`, which numpy takes from the flags of the dtype's pickled state): a nested
 *   `pickle.load(file)` of a plain pickle, then unpickling goes on after its STOP;
 * - otherwise, when the wrapper has `numpy_array_alignment_bytes` (joblib >= 1.2), one padding-length byte and that
 *   many padding bytes, then shape x itemsize raw bytes (the element count is the int64 product of the shape, as
 *   `np.multiply.reduce` computes it, wrapping); then unpickling goes on.
 * `NDArrayWrapper`/`ZNDArrayWrapper` (joblib < 0.10) read a side file instead and take nothing from the stream.
 * This is the afterBuild hook of the pickle VM (scan/pickle/vm.ts RunOptions).
 */
import type { AfterBuild, RunOptions, SymValue } from '../pickle/vm.js';

/** The class objects joblib's load_build recognises, by every name that resolves to them. */
const ARRAY_WRAPPERS = new Set([
  'joblib.numpy_pickle.NumpyArrayWrapper',
  'sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper',
]);
const SIDE_FILE_WRAPPERS = new Set([
  'joblib.numpy_pickle_compat.NDArrayWrapper',
  'joblib.numpy_pickle_compat.ZNDArrayWrapper',
  'joblib.numpy_pickle.NDArrayWrapper',
  'joblib.numpy_pickle.ZNDArrayWrapper',
  'sklearn.externals.joblib.numpy_pickle_compat.NDArrayWrapper',
  'sklearn.externals.joblib.numpy_pickle_compat.ZNDArrayWrapper',
]);

/** numpy's NPY_ITEM_HASOBJECT flag in a dtype's pickled state (`(version, endian, subarray, names, fields, elsize, alignment, flags)`). */
const NPY_ITEM_HASOBJECT = 1n;

function qualified(value: SymValue | undefined): string | undefined {
  if (value?.kind !== 'global') return undefined;
  return `${value.module}.${value.name}`;
}

/** copyreg's constructors that return an instance of their first argument (`cls.__new__(cls, ...)` and the like). */
const INSTANCE_OF_FIRST_ARGUMENT = new Set([
  'copyreg._reconstructor',
  'copyreg.__newobj__',
  'copyreg.__newobj_ex__',
  'copy_reg._reconstructor',
  'copy_reg.__newobj__',
]);

/** The class an object was made from: NEWOBJ/REDUCE of the class, or copyreg's `_reconstructor`/`__newobj__(cls, ...)`. */
function classOf(target: SymValue): string | undefined {
  if (target.kind !== 'call') return undefined;
  const callee = qualified(target.callee);
  if (callee !== undefined && INSTANCE_OF_FIRST_ARGUMENT.has(callee)) {
    return target.args.kind === 'tuple' ? qualified(target.args.items[0]) : undefined;
  }
  return callee;
}

/** True when the wrapper class is one joblib's unpickler treats as an array placeholder. */
export function isJoblibWrapperName(module: string, name: string): boolean {
  const q = `${module}.${name}`;
  return ARRAY_WRAPPERS.has(q) || SIDE_FILE_WRAPPERS.has(q);
}

/**
 * Attributes BUILD gave the object, keyed by str, as CPython's load_build sets them: a dict state updates
 * `__dict__`; a `(state, slotstate)` pair updates `__dict__` from state, then `setattr`s every slotstate item, so a
 * slotstate `shape` overrides the state's (the walk must read the sizes joblib reads).
 */
function attributes(states: readonly SymValue[]): Map<string, SymValue> | undefined {
  const attrs = new Map<string, SymValue>();
  const apply = (dict: SymValue | undefined): boolean => {
    if (dict?.kind === 'none') return true;
    if (dict?.kind !== 'dict' || dict.entries.length !== dict.length) return false;
    for (const [k, v] of dict.entries) {
      if (k.kind !== 'str') return false;
      attrs.set(k.value, v);
    }
    return true;
  };
  for (const state of states) {
    const pair = state.kind === 'tuple' && state.items.length === 2 && state.length === 2;
    if (!apply(pair ? state.items[0] : state)) return undefined;
    if (pair && !apply(state.items[1])) return undefined;
  }
  return attrs;
}

interface DtypeFacts {
  hasObject: boolean;
  itemsize: number;
}

/** itemsize and hasobject of a `numpy.dtype(typestr, align, copy)` object with its BUILD state, as numpy sets them. */
function dtypeFacts(value: SymValue | undefined): DtypeFacts | undefined {
  if (value?.kind !== 'call' || qualified(value.callee) !== 'numpy.dtype' || value.args.kind !== 'tuple') return undefined;
  const typestr = value.args.items[0];
  if (typestr?.kind !== 'str') return undefined;
  // The whole string is one type character and size: numpy.dtype('i4,O') (a comma list), '(2,)O' (a subarray) and
  // the like build structured dtypes whose fields may hold objects (hasobject: joblib unpickles the data), so a
  // string read only by its first character is not known here.
  const match = /^([<>|=]?)([a-zA-Z?])(\d*)$/.exec(typestr.value);
  if (!match) return undefined;
  const kind = match[2] as string;
  const digits = match[3] ? Number(match[3]) : undefined;
  const state = value.states?.[value.states.length - 1];
  let hasObject = kind === 'O';
  let elsize: number | undefined;
  if (state) {
    if (state.kind !== 'tuple' || state.items.length < 8) return undefined;
    const flags = state.items[7];
    const size = state.items[5];
    if (flags?.kind !== 'int' || size?.kind !== 'int') return undefined;
    hasObject = (flags.value & NPY_ITEM_HASOBJECT) !== 0n;
    elsize = Number(size.value);
  }
  let itemsize: number | undefined;
  if (kind === 'S' || kind === 'a' || kind === 'V' || kind === 'U')
    itemsize = elsize !== undefined && elsize > 0 ? elsize : digits !== undefined ? digits * (kind === 'U' ? 4 : 1) : undefined;
  else if (kind === 'b' || kind === '?') itemsize = 1;
  else if (kind === 'M' || kind === 'm') itemsize = 8;
  else if (kind === 'O') itemsize = 8;
  else itemsize = digits;
  if (itemsize === undefined || !Number.isSafeInteger(itemsize) || itemsize < 0) return undefined;
  return { hasObject, itemsize };
}

/**
 * The wrappers whose side file joblib.load hands to `numpy.load(path, allow_pickle=True)` (NDArrayWrapper.read):
 * any file that is not an .npy or .npz is unpickled there. ZNDArrayWrapper reads its side file as zlib'd array
 * bytes (no pickle).
 */
const PICKLING_SIDE_FILE_WRAPPERS = new Set([...SIDE_FILE_WRAPPERS].filter((name) => name.endsWith('.NDArrayWrapper')));

/** A side file a legacy wrapper names: its name when constant, where its BUILD is, whether numpy.load unpickles it. */
export interface SideFile {
  name?: string;
  /** The value, described, when it is not a constant str (a computed path). */
  computed?: string;
  offset: number;
  unpickled: boolean;
}

/** What joblib read after a BUILD, for the report (side files named by legacy wrappers). */
export interface JoblibReadingNotes {
  sideFiles: SideFile[];
}

/**
 * Whether `os.path.join(dirname, name)` leaves the loaded file's directory: an absolute name (POSIX or Windows,
 * drive-relative `C:x` included) replaces dirname, and a `..` segment climbs out of it.
 */
export function sideFileEscapes(name: string): boolean {
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name)) return true;
  return name.split(/[\\/]/).some((segment) => segment === '..');
}

/** The afterBuild hook of joblib.load (see the module comment). A wrapper it cannot follow ends the reading. */
export function joblibRunOptions(notes: JoblibReadingNotes = { sideFiles: [] }): RunOptions {
  return {
    afterBuild(target, _state, filePos, data, offset): AfterBuild | undefined {
      const cls = classOf(target);
      if (!cls) return undefined;
      if (SIDE_FILE_WRAPPERS.has(cls)) {
        const attrs = target.kind === 'call' ? attributes(target.states ?? []) : undefined;
        const filename = attrs?.get('filename');
        const unpickled = PICKLING_SIDE_FILE_WRAPPERS.has(cls);
        if (filename?.kind === 'str') notes.sideFiles.push({ name: filename.value, offset, unpickled });
        // No filename at all: read() raises AttributeError. Anything else is a path computed at load time.
        else if (filename && filename.kind !== 'int' && filename.kind !== 'float' && filename.kind !== 'none')
          notes.sideFiles.push({ computed: filename.kind, offset, unpickled });
        return undefined;
      }
      if (!ARRAY_WRAPPERS.has(cls) || target.kind !== 'call') return undefined;
      const attrs = attributes(target.states ?? []);
      const cannot = { skip: data.length + 1 }; // joblib's reading is not known: stop here (reported as a parse error)
      if (!attrs) return cannot;
      const dtype = dtypeFacts(attrs.get('dtype'));
      if (!dtype) return cannot;
      if (dtype.hasObject) return { nested: { start: filePos } };
      const shape = attrs.get('shape');
      if (shape?.kind !== 'tuple' || shape.items.length !== shape.length) return cannot;
      let count = 1n;
      for (const dim of shape.items) {
        if (dim.kind === 'int') count = BigInt.asIntN(64, count * BigInt.asIntN(64, dim.value));
        else if (dim.kind === 'bool') count = BigInt.asIntN(64, count * (dim.value ? 1n : 0n));
        else return cannot;
      }
      if (count < 0n) return cannot; // np.empty refuses a negative size: joblib stops
      let skip = 0;
      const alignment = attrs.get('numpy_array_alignment_bytes');
      if (alignment !== undefined && alignment.kind !== 'none') {
        if (filePos >= data.length) return cannot;
        skip = 1 + (data[filePos] as number);
      }
      const total = BigInt(skip) + count * BigInt(dtype.itemsize);
      if (total > BigInt(Number.MAX_SAFE_INTEGER)) return cannot;
      return { skip: Number(total) };
    },
  };
}
