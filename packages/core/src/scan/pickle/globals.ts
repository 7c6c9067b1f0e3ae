/**
 * Deciding what a pickle global is, by EXACT names: the allowlist (allowlist.ts: what benign pickles reference, with
 * what they may do with it), the always-dangerous list (exact names, module trees that exist only to run code, do
 * I/O or reach the network, and the documented re-exports of them in ML libraries), everything else unknown. No
 * module prefix admits a callable; no tail of a dotted name is matched against the dangerous list (a dotted name is
 * an attribute walk from its module, resolved through the re-exports it walks through).
 */

import { GENERATED_ALIASES } from './allowlist.generated.js';
import { ALLOW_PATTERNS, ALLOWLIST, type AllowLevel } from './allowlist.js';
import { isImportableModuleName } from './python-names.js';

export { isImportableModuleName };

/** Python 2 module names remapped by `_compat_pickle.IMPORT_MAPPING` (CPython 3.11, all of them). */
export const PY2_MODULE_MAP: Readonly<Record<string, string>> = {
  __builtin__: 'builtins',
  copy_reg: 'copyreg',
  cPickle: 'pickle',
  Queue: 'queue',
  SocketServer: 'socketserver',
  ConfigParser: 'configparser',
  repr: 'reprlib',
  _winreg: 'winreg',
  thread: '_thread',
  dummy_thread: '_dummy_thread',
  UserDict: 'collections',
  UserList: 'collections',
  UserString: 'collections',
  whichdb: 'dbm',
  StringIO: 'io',
  cStringIO: 'io',
  urllib2: 'urllib.request',
  httplib: 'http.client',
  commands: 'subprocess',
  exceptions: 'builtins',
  cookielib: 'http.cookiejar',
  xmlrpclib: 'xmlrpc.client',
  SimpleHTTPServer: 'http.server',
  CGIHTTPServer: 'http.server',
  BaseHTTPServer: 'http.server',
  dbm: 'dbm.ndbm',
  gdbm: 'dbm.gnu',
  anydbm: 'dbm',
  Tkinter: 'tkinter',
  urlparse: 'urllib.parse',
  robotparser: 'urllib.robotparser',
  tkFileDialog: 'tkinter.filedialog',
  tkSimpleDialog: 'tkinter.simpledialog',
  tkColorChooser: 'tkinter.colorchooser',
  tkCommonDialog: 'tkinter.commondialog',
  Dialog: 'tkinter.dialog',
  Tkdnd: 'tkinter.dnd',
  tkFont: 'tkinter.font',
  tkMessageBox: 'tkinter.messagebox',
  ScrolledText: 'tkinter.scrolledtext',
  Tkconstants: 'tkinter.constants',
  Tix: 'tkinter.tix',
  ttk: 'tkinter.ttk',
  markupbase: '_markupbase',
  dbhash: 'dbm.bsd',
  dumbdbm: 'dbm.dumb',
  SimpleXMLRPCServer: 'xmlrpc.server',
  htmlentitydefs: 'html.entities',
  HTMLParser: 'html.parser',
  Cookie: 'http.cookies',
  'test.test_support': 'test.support',
  _abcoll: 'collections.abc',
  _elementtree: 'xml.etree.ElementTree',
  FileDialog: 'tkinter.filedialog',
  SimpleDialog: 'tkinter.simpledialog',
  DocXMLRPCServer: 'xmlrpc.server',
};

/** Python 2 (module, name) pairs remapped by `_compat_pickle.NAME_MAPPING` (CPython 3.11, all of them). */
export const PY2_NAME_MAP: Readonly<Record<string, [string, string]>> = {
  '__builtin__.xrange': ['builtins', 'range'],
  '__builtin__.reduce': ['functools', 'reduce'],
  '__builtin__.intern': ['sys', 'intern'],
  '__builtin__.unichr': ['builtins', 'chr'],
  '__builtin__.unicode': ['builtins', 'str'],
  '__builtin__.long': ['builtins', 'int'],
  'itertools.izip': ['builtins', 'zip'],
  'itertools.imap': ['builtins', 'map'],
  'itertools.ifilter': ['builtins', 'filter'],
  'UserDict.UserDict': ['collections', 'UserDict'],
  'UserList.UserList': ['collections', 'UserList'],
  'UserString.UserString': ['collections', 'UserString'],
  'whichdb.whichdb': ['dbm', 'whichdb'],
  'itertools.ifilterfalse': ['itertools', 'filterfalse'],
  'itertools.izip_longest': ['itertools', 'zip_longest'],
  'UserDict.IterableUserDict': ['collections', 'UserDict'],
  '_socket.fromfd': ['socket', 'fromfd'],
  '_multiprocessing.Connection': ['multiprocessing.connection', 'Connection'],
  'multiprocessing.process.Process': ['multiprocessing.context', 'Process'],
  'multiprocessing.forking.Popen': ['multiprocessing.popen_fork', 'Popen'],
  'urllib.ContentTooShortError': ['urllib.error', 'ContentTooShortError'],
  'urllib.getproxies': ['urllib.request', 'getproxies'],
  'urllib.pathname2url': ['urllib.request', 'pathname2url'],
  'urllib.quote_plus': ['urllib.parse', 'quote_plus'],
  'urllib.quote': ['urllib.parse', 'quote'],
  'urllib.unquote_plus': ['urllib.parse', 'unquote_plus'],
  'urllib.unquote': ['urllib.parse', 'unquote'],
  'urllib.url2pathname': ['urllib.request', 'url2pathname'],
  'urllib.urlcleanup': ['urllib.request', 'urlcleanup'],
  'urllib.urlencode': ['urllib.parse', 'urlencode'],
  'urllib.urlopen': ['urllib.request', 'urlopen'],
  'urllib.urlretrieve': ['urllib.request', 'urlretrieve'],
  'urllib2.HTTPError': ['urllib.error', 'HTTPError'],
  'urllib2.URLError': ['urllib.error', 'URLError'],
  'exceptions.ArithmeticError': ['builtins', 'ArithmeticError'],
  'exceptions.AssertionError': ['builtins', 'AssertionError'],
  'exceptions.AttributeError': ['builtins', 'AttributeError'],
  'exceptions.BaseException': ['builtins', 'BaseException'],
  'exceptions.BufferError': ['builtins', 'BufferError'],
  'exceptions.BytesWarning': ['builtins', 'BytesWarning'],
  'exceptions.DeprecationWarning': ['builtins', 'DeprecationWarning'],
  'exceptions.EOFError': ['builtins', 'EOFError'],
  'exceptions.EnvironmentError': ['builtins', 'EnvironmentError'],
  'exceptions.Exception': ['builtins', 'Exception'],
  'exceptions.FloatingPointError': ['builtins', 'FloatingPointError'],
  'exceptions.FutureWarning': ['builtins', 'FutureWarning'],
  'exceptions.GeneratorExit': ['builtins', 'GeneratorExit'],
  'exceptions.IOError': ['builtins', 'IOError'],
  'exceptions.ImportError': ['builtins', 'ImportError'],
  'exceptions.ImportWarning': ['builtins', 'ImportWarning'],
  'exceptions.IndentationError': ['builtins', 'IndentationError'],
  'exceptions.IndexError': ['builtins', 'IndexError'],
  'exceptions.KeyError': ['builtins', 'KeyError'],
  'exceptions.KeyboardInterrupt': ['builtins', 'KeyboardInterrupt'],
  'exceptions.LookupError': ['builtins', 'LookupError'],
  'exceptions.MemoryError': ['builtins', 'MemoryError'],
  'exceptions.NameError': ['builtins', 'NameError'],
  'exceptions.NotImplementedError': ['builtins', 'NotImplementedError'],
  'exceptions.OSError': ['builtins', 'OSError'],
  'exceptions.OverflowError': ['builtins', 'OverflowError'],
  'exceptions.PendingDeprecationWarning': ['builtins', 'PendingDeprecationWarning'],
  'exceptions.ReferenceError': ['builtins', 'ReferenceError'],
  'exceptions.RuntimeError': ['builtins', 'RuntimeError'],
  'exceptions.RuntimeWarning': ['builtins', 'RuntimeWarning'],
  'exceptions.StopIteration': ['builtins', 'StopIteration'],
  'exceptions.SyntaxError': ['builtins', 'SyntaxError'],
  'exceptions.SyntaxWarning': ['builtins', 'SyntaxWarning'],
  'exceptions.SystemError': ['builtins', 'SystemError'],
  'exceptions.SystemExit': ['builtins', 'SystemExit'],
  'exceptions.TabError': ['builtins', 'TabError'],
  'exceptions.TypeError': ['builtins', 'TypeError'],
  'exceptions.UnboundLocalError': ['builtins', 'UnboundLocalError'],
  'exceptions.UnicodeDecodeError': ['builtins', 'UnicodeDecodeError'],
  'exceptions.UnicodeEncodeError': ['builtins', 'UnicodeEncodeError'],
  'exceptions.UnicodeError': ['builtins', 'UnicodeError'],
  'exceptions.UnicodeTranslateError': ['builtins', 'UnicodeTranslateError'],
  'exceptions.UnicodeWarning': ['builtins', 'UnicodeWarning'],
  'exceptions.UserWarning': ['builtins', 'UserWarning'],
  'exceptions.ValueError': ['builtins', 'ValueError'],
  'exceptions.Warning': ['builtins', 'Warning'],
  'exceptions.ZeroDivisionError': ['builtins', 'ZeroDivisionError'],
  'multiprocessing.AuthenticationError': ['multiprocessing.context', 'AuthenticationError'],
  'multiprocessing.BufferTooShort': ['multiprocessing.context', 'BufferTooShort'],
  'multiprocessing.ProcessError': ['multiprocessing.context', 'ProcessError'],
  'multiprocessing.TimeoutError': ['multiprocessing.context', 'TimeoutError'],
  '__builtin__.basestring': ['builtins', 'str'],
  'exceptions.StandardError': ['builtins', 'Exception'],
  'socket._socketobject': ['socket', 'SocketType'],
};

/** `_compat_pickle`'s mapping, which find_class applies when the stream's protocol is below 3 (fix_imports). */
const PY2_NAMES: ReadonlyMap<string, [string, string]> = new Map(Object.entries(PY2_NAME_MAP));
const PY2_MODULES: ReadonlyMap<string, string> = new Map(Object.entries(PY2_MODULE_MAP));
/** Maps for lookups of arbitrary file-chosen keys (a plain object's property lookup degrades on them). */
const ALIASES: ReadonlyMap<string, string> = new Map(Object.entries(GENERATED_ALIASES));

export function fixImports(module: string, name: string): { module: string; name: string } {
  const pair = PY2_NAMES.get(`${module}.${name}`);
  if (pair) return { module: pair[0], name: pair[1] };
  const mapped = PY2_MODULES.get(module);
  return { module: mapped ?? module, name };
}

/**
 * Module trees (the module and its submodules) that exist to run code, spawn processes, do file or network I/O,
 * load other pickles or code, or introspect the interpreter: every global in them is dangerous.
 */
export const DANGEROUS_MODULES: readonly string[] = [
  '_aix_support',
  '_osx_support',
  // Private modules behind the dangerous public ones, and modules that import, compile or run code, spawn
  // processes, write files or register callbacks run later.
  '_asyncio',
  '_ctypes',
  '_frozen_importlib',
  '_frozen_importlib_external',
  '_imp',
  '_lsprof',
  '_multiprocessing',
  '_posixshmem',
  '_pyio',
  '_signal',
  '_sitebuiltins',
  '_socket',
  '_sqlite3',
  '_ssl',
  '_tkinter',
  '_xxsubinterpreters',
  'atexit',
  'cgi',
  'cgitb',
  'compileall',
  'distutils.archive_util',
  'distutils.ccompiler',
  'distutils.command',
  'distutils.core',
  'distutils.dir_util',
  'distutils.file_util',
  'distutils.spawn',
  'distutils.util',
  'imp',
  'pipes',
  'py_compile',
  'readline',
  'sched',
  'setuptools.archive_util',
  'setuptools.build_meta',
  'setuptools.command',
  'setuptools.sandbox',
  'unittest.mock',
  '_io',
  '_operator',
  '_pickle',
  '_posixsubprocess',
  '_thread',
  '_winapi',
  'aiohttp',
  'asyncio',
  'bdb',
  'cProfile',
  'cloudpickle',
  'code',
  'codeop',
  'commands',
  'ctypes',
  'dill',
  'doctest',
  'ensurepip',
  'ftplib',
  'glob',
  'http',
  'httplib',
  'idlelib',
  'imaplib',
  'importlib',
  'jsonpickle',
  'lib2to3',
  'linecache',
  'mailcap',
  'marshal',
  'msvcrt',
  'multiprocessing',
  'nntplib',
  'nt',
  'numexpr',
  'numpy.distutils',
  'numpy.f2py',
  'numpy.testing',
  'operator',
  'os',
  'pdb',
  'pexpect',
  'pickle',
  'pip',
  'pkgutil',
  'platform',
  'popen2',
  'poplib',
  'posix',
  'profile',
  'pty',
  'pydoc',
  'requests',
  'runpy',
  'sh',
  'shelve',
  'shutil',
  'signal',
  'site',
  'smtplib',
  'socket',
  'socketserver',
  'ssl',
  'subprocess',
  'sys',
  'sysconfig',
  'tarfile',
  'telnetlib',
  'tempfile',
  'threading',
  'timeit',
  'torch._dynamo',
  'torch._inductor',
  'torch.distributed',
  'torch.fx',
  'torch.hub',
  'torch.library',
  'torch.multiprocessing',
  'torch.package',
  'torch.utils.bottleneck',
  'torch.utils.cpp_extension',
  'torch.ops',
  'torch._ops',
  'torch.jit.frontend',
  'torch.onnx',
  'trace',
  'tracemalloc',
  'urllib',
  'urllib3',
  'venv',
  'webbrowser',
  'winreg',
  'wsgiref',
  'xmlrpc',
  'zipapp',
  'zipfile',
  'zipimport',
  'inspect',
  'gc',
  'faulthandler',
  'selectors',
  'select',
  'mmap',
  'fcntl',
  'resource',
  'pwd',
  'grp',
  'termios',
  'tty',
  'crypt',
  'dbm',
  'sqlite3',
  'logging.config',
  'logging.handlers',

  'smtpd',
  'uuid._get_command_stdout',
  'keras.utils',
  'tensorflow.io',
  'mlflow',
  'yaml',
  'jinja2',
  'mako',
  'IPython',
  'ipykernel',
  'jupyter_client',
  'fsspec',
  'boto3',
  'botocore',
  'paramiko',
  'builtins.__builtins__',
];

/** Exact dangerous globals outside those trees (`module.name`; a dotted suffix of one is dangerous too). */
export const DANGEROUS_GLOBALS: readonly string[] = [
  'builtins.eval',
  'builtins.exec',
  'builtins.execfile',
  'builtins.compile',
  'builtins.setattr',
  'builtins.delattr',
  'builtins.open',
  'builtins.file',
  'builtins.__import__',
  'builtins.breakpoint',
  'builtins.globals',
  'builtins.locals',
  'builtins.vars',
  'builtins.input',
  'builtins.apply',
  'builtins.reload',
  'builtins.help',
  'builtins.exit',
  'builtins.quit',
  'builtins.memoryview',
  'builtins.__loader__',
  'builtins.__spec__',
  'builtins.copyright',
  'builtins.credits',
  'builtins.license',

  'types.CodeType',
  'types.FunctionType',
  'types.MethodType',
  'types.ModuleType',
  'types.LambdaType',
  'types.BuiltinFunctionType',
  'types.new_class',
  'types.coroutine',
  'types.GeneratorType',
  'types.FrameType',
  'logging.FileHandler',
  'logging.basicConfig',
  'io.FileIO',
  'io.open',
  'io.open_code',
  'io.TextIOWrapper',
  'io.BufferedReader',
  'io.BufferedWriter',
  'io.BufferedRandom',
  'functools.reduce',
  '_functools.reduce',
  'functools.partialmethod',
  'functools.singledispatch',
  'numpy.load',
  'numpy.lib.npyio.load',
  'numpy.save',
  'numpy.savez',
  'numpy.savetxt',
  'numpy.loadtxt',
  'numpy.genfromtxt',
  'numpy.fromfile',
  'numpy.ctypeslib',
  'numpy.lib.utils',
  'numpy.memmap',
  'numpy.core.memmap',
  'numpy.DataSource',
  'numpy.lib._datasource',
  'numpy.lib.format.open_memmap',
  'numpy.lib.format.read_array',
  'numpy.ndarray.tofile',
  'numpy.ndarray.dump',
  'numpy.testing._private.utils.runstring',
  'torch.load',
  'torch.save',
  'torch.from_file',
  'torch.serialization',
  'torch.storage._load_from_bytes',
  'torch.jit.load',
  // What torch.jit.load calls: each compiles and runs the TorchScript of the archive it is given (the public
  // re-exports are on the generated allowlist as torch namespace callables; a call to one loads code).
  'torch.import_ir_module',
  'torch.import_ir_module_from_buffer',
  'torch._C.import_ir_module',
  'torch._C.import_ir_module_from_buffer',
  'torch._C._import_ir_module_from_package',
  'torch.jit.unsupported_tensor_ops.execWrapper',
  'torch.utils.collect_env',
  'torch._config_module',
  'torch.utils.data.datapipes.utils.decoder',
  'torch._C._jit_pass',
  'torch.classes',
  'torch._classes',
  'pandas.read_pickle',
  'pandas.io',
  'pandas.eval',
  'pandas.core.computation',
  'pandas.read_csv',
  'pandas.read_json',
  'pandas.read_html',
  'pandas.read_sql',
  'pandas.read_table',
  'pandas.read_excel',
  'pandas.read_parquet',
  'pandas.read_feather',
  'pandas.read_hdf',
  'pandas.DataFrame.to_pickle',
  'pandas.DataFrame.to_csv',
  'pandas.DataFrame.query',
  'pandas.DataFrame.eval',
  'joblib.load',
  'joblib.dump',
  'joblib.numpy_pickle.load',
  'joblib.numpy_pickle.NumpyUnpickler',
  'joblib.numpy_pickle_compat.ZipNumpyUnpickler',
  'joblib.parallel',
  'joblib.Parallel',
  'joblib.memory',
  'joblib.externals',
  'copyreg._reconstructor.__globals__',
  'zipfile.ZipFile',
  'tarfile.open',
  'platform.popen',
  'sklearn.utils._testing',
  'sklearn.datasets',
  'xgboost.core.Booster.load_model',
  'xgboost.tracker',
  'scipy.io',
  'scipy.LowLevelCallable',
  'scipy._lib._ccallback',
  'sympy.parsing',
  'sympy.sympify',
  'sympy.core.sympify',
  'gzip.open',
  'gzip.GzipFile.__init__',
  'bz2.open',
  'lzma.open',
  'shelve.open',
  'dbm.open',
];

/**
 * Modules whose IMPORT runs code with effects (opening a browser, printing, running a `__main__` entry point):
 * a GLOBAL naming anything in them is dangerous even when nothing is called. (Any `<package>.__main__` runs its
 * package's command line at import: `venv.__main__`, `pip.__main__`, `unittest.__main__`...)
 */
export const IMPORT_EFFECT_MODULES: readonly string[] = ['antigravity', 'this', 'idlelib', 'turtledemo', 'tkinter.__main__'];

/**
 * Top-level names of dangerous modules, for dotted names walking THROUGH an attribute that is such a module
 * (`('torch', 'os.system')` walks torch.os, which is os): a middle component equal to one of these is taken as that
 * module (the worst reading) unless the full name is allowlisted.
 */
const DANGEROUS_ROOTS: ReadonlySet<string> = new Set([
  ...DANGEROUS_MODULES.filter((m) => !m.includes('.')),
  'builtins',
  '__builtin__',
  '__builtins__',
]);

/**
 * Names a dangerous module defines for running code or commands, reading or writing files: never admitted by an
 * allowlist PATTERN (allowlist.ts), whatever the module (a modeling module doing `from subprocess import Popen`).
 */
const NEVER_PATTERN_ADMITTED: ReadonlySet<string> = new Set(
  (
    'Popen system popen spawn spawnl spawnv spawnve spawnvp execv execve execl execlp execvp call check_call ' +
    'check_output getoutput getstatusoutput run eval exec compile open load loads dump dumps import_module ' +
    'fork forkpty kill remove unlink rmtree rename chmod chown putenv setattr getattr delattr Thread Process ' +
    'urlopen urlretrieve Request socket create_connection'
  ).split(' '),
);

/**
 * Methods of (allowlisted) library classes that write, move or delete files, open them, or run an expression, by
 * the module tree their class lives in. An attribute of an allowlisted class is data while it is only held, but a
 * bound method is a callable stored in the loaded object graph: whoever calls it later (`model.eval()` when the
 * state put `PosixPath(p).unlink` in the instance `__dict__`, where it shadows the class's method; `str(module)`
 * calling `self.extra_repr()`) runs it on the file's own path. These are dangerous names wherever they are held
 * (MS-PKL-002 referenced, MS-PKL-001 called), as their module-level counterparts are (`os.remove`, `numpy.save`).
 * Sources: CPython 3.11 pathlib.Path (concrete-path methods with effects), numpy.ndarray, pandas NDFrame writers
 * (1.5), xgboost's model I/O, torch storages' file mapping.
 */
export const EFFECTFUL_METHODS: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries({
    pathlib: 'touch mkdir rmdir unlink write_text write_bytes chmod lchmod rename replace symlink_to hardlink_to link_to open',
    numpy: 'tofile dump',
    pandas:
      'to_pickle to_csv to_parquet to_excel to_json to_hdf to_sql to_feather to_html to_latex to_markdown to_stata ' +
      'to_xml to_clipboard to_orc to_gbq eval query',
    xgboost: 'load_model save_model dump_model save_raw',
    torch: 'from_file _write_file _share_filename_cpu_ _new_shared_filename_cpu',
  }).map(([tree, names]) => [tree, new Set(names.split(' '))]),
);

/** The effectful method a class attribute `module.Class.attr` names (EFFECTFUL_METHODS), if any. */
function effectfulMethod(module: string, name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const root = module.split('.')[0] as string;
  const attr = name.slice(dot + 1);
  return EFFECTFUL_METHODS.get(root)?.has(attr) ? attr : undefined;
}

export type GlobalVerdict = AllowLevel | 'dangerous' | 'unknown';

export interface Classification {
  verdict: GlobalVerdict;
  /** The name judged: after fix_imports, and through a re-export alias when one was walked. */
  name: string;
  /** Why a dangerous name is dangerous (alias walked, import effect, introspection). */
  why?: string;
}

const DANGEROUS_MODULE_SET: ReadonlySet<string> = new Set(DANGEROUS_MODULES);
const DANGEROUS_GLOBAL_SET: ReadonlySet<string> = new Set(DANGEROUS_GLOBALS);

function inTree(dotted: string, tree: string): boolean {
  return dotted === tree || dotted.startsWith(`${tree}.`);
}

function isDunder(part: string): boolean {
  return part.length > 4 && part.startsWith('__') && part.endsWith('__');
}

/** Matches a user allowlist entry: `module.name` exactly, or `module.*` for every name in that module tree. */
function userAllows(dotted: string, allowed: readonly string[]): boolean {
  return allowed.some((entry) => (entry.endsWith('.*') ? inTree(dotted, entry.slice(0, -2)) : entry === dotted));
}

/** The dangerous reading of a module + dotted name, if any. */
function dangerOf(module: string, name: string, depth = 0): { name: string; why: string } | undefined {
  const dotted = name ? `${module}.${name}` : module;
  // Every dotted prefix of the full name, looked up in sets: linear in the name, whatever the lists' sizes.
  let prefix = '';
  for (const part of dotted.split('.')) {
    prefix = prefix ? `${prefix}.${part}` : part;
    if (DANGEROUS_MODULE_SET.has(prefix)) return { name: dotted, why: `in ${prefix}` };
    if (DANGEROUS_GLOBAL_SET.has(prefix)) return { name: dotted, why: prefix };
  }
  const parts = module.split('.');
  if (parts.length > 1 && parts[parts.length - 1] === '__main__')
    return { name: dotted, why: 'importing a __main__ module runs its program' };
  for (const m of IMPORT_EFFECT_MODULES) if (inTree(module, m)) return { name: dotted, why: `importing ${m} runs code` };
  const segments = name ? name.split('.') : [];
  if (segments.some(isDunder)) return { name: dotted, why: 'dunder attribute (interpreter introspection)' };
  if (depth > 4) return undefined;
  // Re-exports walked by a dotted name: module.a.b where module.a is (an alias of) a dangerous module or function.
  for (let i = 0; i < segments.length; i++) {
    const head = `${module}.${segments.slice(0, i + 1).join('.')}`;
    const alias = ALIASES.get(head);
    if (alias !== undefined) {
      const rest = segments.slice(i + 1).join('.');
      const [aliasModule, ...aliasName] = alias.split('.');
      const target = dangerOf(aliasModule as string, [...aliasName, ...(rest ? [rest] : [])].join('.'), depth + 1);
      if (target) return { name: target.name, why: `${head} is ${alias}` };
      if (!rest) continue;
    }
    // A middle component naming a dangerous module: the attribute walked is (taken to be) that module.
    if (i < segments.length - 1 && DANGEROUS_ROOTS.has(segments[i] as string)) {
      const inner = dangerOf(segments[i] as string, segments.slice(i + 1).join('.'), depth + 1);
      return { name: dotted, why: `walks through ${segments[i]}${inner ? ` (${inner.name})` : ''}` };
    }
  }
  return undefined;
}

/**
 * Classifies a global as find_class receives it. `protocol` is the stream's protocol at that opcode: below 3,
 * find_class first maps Python 2 names (fix_imports); both names are checked for danger, the loaded one for the
 * allowlist. `allowed` is the user's allowlist (exact `module.name` or `module.*`), never the model's.
 */
export function classifyGlobal(
  module: string,
  name: string,
  options: { protocol?: number; allowed?: readonly string[] } = {},
): Classification {
  const mapped = fixImports(module, name);
  const real = (options.protocol ?? 0) < 3 ? mapped : { module, name };
  const dotted = `${real.module}.${real.name}`;
  // find_class imports the module first: a name that is not a dotted sequence of Python identifiers can never be
  // imported (`mport requests` from a `.py` file read as INST), so the opcode raises before any attribute is walked.
  if (!isImportableModuleName(real.module) && !isImportableModuleName(mapped.module))
    return { verdict: 'unknown', name: dotted, why: 'the module name cannot be imported (the load stops there)' };
  // Before the allowlist: a method that writes or deletes files is dangerous whatever table lists its class.
  const effect = effectfulMethod(real.module, real.name) ?? effectfulMethod(mapped.module, mapped.name);
  if (effect)
    return { verdict: 'dangerous', name: dotted, why: `the method ${effect} writes, moves or deletes files, or evaluates` };
  const level = ALLOWLIST.get(dotted);
  if (level) return { verdict: level, name: dotted };
  const danger =
    dangerOf(real.module, real.name) ??
    (mapped.module !== real.module || mapped.name !== real.name ? dangerOf(mapped.module, mapped.name) : undefined);
  if (danger) return { verdict: 'dangerous', name: danger.name, why: danger.why };
  if (options.allowed && userAllows(dotted, options.allowed)) return { verdict: 'call', name: dotted };
  const last = real.name.split('.').pop() ?? '';
  if (!NEVER_PATTERN_ADMITTED.has(last)) {
    for (const { pattern, level: patternLevel } of ALLOW_PATTERNS)
      if (pattern.test(dotted)) return { verdict: patternLevel, name: dotted };
  }
  // An attribute of an allowlisted class (an enum member, a constant, a method held as a value): data. Calling it
  // needs its own entry.
  const dot = real.name.lastIndexOf('.');
  if (dot > 0) {
    const owner = `${real.module}.${real.name.slice(0, dot)}`;
    const ownerLevel = ALLOWLIST.get(owner) ?? ALLOW_PATTERNS.find((p) => p.pattern.test(owner))?.level;
    if (ownerLevel && /^[A-Za-z_][A-Za-z0-9_]*$/.test(last)) return { verdict: 'data', name: dotted };
  }
  return { verdict: 'unknown', name: dotted };
}
