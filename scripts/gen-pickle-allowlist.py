#!/usr/bin/env python3
"""
Generates packages/core/src/scan/pickle/allowlist.generated.ts: the exact qualified names that pickles made by
numpy, scipy, scikit-learn, torch, pandas, joblib and xgboost reference, enumerated from the installed libraries
(Debian's python3-numpy, python3-scipy, python3-sklearn, python3-torch, python3-pandas, python3-joblib,
python3-xgboost), and the places where those libraries re-export dangerous modules and functions.

Regenerate (writes the file, prints a summary on stderr):
    ${MODELSEC_PYTHON:-/usr/bin/python3} scripts/gen-pickle-allowlist.py

What goes in (names are `module.qualname` as pickle writes them: the DEFINING module, never a re-export):
- CALL: classes defined in the scanned packages (what pickle instantiates: NEWOBJ, REDUCE, copyreg._reconstructor;
  their __init__/__new__/__setstate__ only build the object), numpy/scipy ufuncs and numpy's public array functions,
  torch.nn.functional's functions, torch's tensor operations. Calling them with any arguments builds data.
- DATA: other functions of the scanned packages, public or private (metrics, kernels, losses, scorers stored as
  callbacks inside estimators), enum members (`Class.MEMBER`) and singletons pickled by reference (pandas' `NA`). Safe to reference; a load-time call of one is not proven safe.
- Modules that do I/O, spawn processes, talk to the network, compile or import code, or exist for testing are not
  scanned at all (EXCLUDED_MODULES), and functions doing file I/O are removed by name (IO_FUNCTIONS).
- ALIASES: attributes of the scanned modules that ARE a dangerous module or function (`torch.os` is `os`,
  `torch.serialization.pickle` is `pickle`): a dotted name walking through them resolves to the dangerous one.
"""
import enum
import importlib
import inspect
import json
import os
import pkgutil
import sys
import types
import warnings

warnings.simplefilter('ignore')
os.environ.setdefault('CUDA_VISIBLE_DEVICES', '')

PACKAGES = ['numpy', 'scipy', 'sklearn', 'torch', 'pandas', 'joblib', 'xgboost']

# Submodule trees never scanned: I/O, processes, network, code loading/compilation, test helpers, build tooling.
EXCLUDED_MODULES = [
    'numpy.distutils', 'numpy.f2py', 'numpy.testing', 'numpy.lib.npyio', 'numpy.lib._datasource', 'numpy.lib.format',
    'numpy.core.memmap', 'numpy.ctypeslib', 'numpy.compat', 'numpy.conftest', 'numpy._pyinstaller', 'numpy.lib.utils',
    'numpy.tests', 'numpy.typing', 'numpy._typing', 'numpy.array_api', 'numpy.core._internal', 'numpy.lib.recfunctions',
    'scipy.io', 'scipy.datasets', 'scipy.misc', 'scipy._lib', 'scipy.conftest', 'scipy.weave', 'scipy.LowLevelCallable',
    'scipy.integrate._ode', 'scipy.optimize._shgo_lib',
    'sklearn.utils._testing', 'sklearn.utils.estimator_checks', 'sklearn.datasets', 'sklearn.externals',
    'sklearn._build_utils', 'sklearn.conftest', 'sklearn.utils._show_versions', 'sklearn.experimental',
    'sklearn.utils._joblib', 'sklearn.utils.parallel', 'sklearn.utils.fixes', 'sklearn._config',
    'torch.hub', 'torch.distributed', 'torch.multiprocessing', 'torch.utils', 'torch.jit', 'torch.package', 'torch.fx',
    'torch._dynamo', 'torch._inductor', 'torch.onnx', 'torch.profiler', 'torch.autograd.profiler', 'torch.testing',
    'torch.cuda', 'torch.backends', 'torch.library', 'torch._C', 'torch._ops', 'torch.ops', 'torch.serialization',
    'torch._sources', 'torch._jit_internal', 'torch.overrides', 'torch._utils_internal', 'torch.__config__',
    'torch.__future__', 'torch._namedtensor_internals', 'torch.contrib', 'torch._lazy', 'torch._prims', 'torch._refs',
    'torch._decomp', 'torch._subclasses', 'torch._functorch', 'torch.func', 'torch.export', 'torch._export',
    'torch.compiler', 'torch._logging', 'torch.mps', 'torch.xpu', 'torch._vmap_internals', 'torch._classes',
    'torch.autograd.graph', 'torch.ao.ns', 'torch.nn.parallel', 'torch.monitor', 'torch._deploy', 'torch.storage',
    'torch._storage_docs', 'torch._tensor_docs', 'torch._torch_docs', 'torch.special._docs', 'torch.quantization.fx',
    'torch.ao.quantization.fx', 'torch.ao.quantization.quantizer', 'torch.masked._docs', 'torch._guards',
    'pandas.io', 'pandas.util', 'pandas.testing', 'pandas._testing', 'pandas.plotting', 'pandas.conftest',
    'pandas.tests', 'pandas.core.config_init', 'pandas._config', 'pandas.api', 'pandas.compat', 'pandas._version',
    'pandas.core.computation',
    'joblib',  # only its array wrappers (listed below) belong in a pickle
    'xgboost.tracker', 'xgboost.rabit', 'xgboost.collective', 'xgboost.dask', 'xgboost.spark', 'xgboost.testing',
    'xgboost.callback', 'xgboost.plotting', 'xgboost.libpath', 'xgboost.federated', 'xgboost.config',
]
# Modules of a scanned tree kept although their tree is excluded.
INCLUDED_MODULES = ['joblib.numpy_pickle', 'joblib.numpy_pickle_compat', 'torch.storage', 'torch.jit._pickle']

# Functions (any module) that read/write files, open connections, run code: never CALL or DATA.
IO_FUNCTIONS = {
    'load', 'loads', 'save', 'savez', 'savez_compressed', 'savetxt', 'loadtxt', 'genfromtxt', 'fromfile', 'fromregex',
    'tofile', 'memmap', 'open_memmap', 'recfromcsv', 'recfromtxt', 'lookfor', 'info', 'source', 'who', 'get_include',
    'show_config', 'test', 'from_file', 'set_printoptions', 'set_string_function', 'seterrcall', 'setbufsize',
    'load_library', 'read_pickle', 'to_pickle', 'eval', 'exec', 'compile', 'system', 'run', 'dump', 'dumps', 'save_model',
    'load_model', 'set_config', 'config_context', 'set_num_threads', 'set_flush_denormal', 'manual_seed', 'seed',
    'set_default_dtype', 'set_default_tensor_type', 'set_printoptions', 'use_deterministic_algorithms', 'import_module',
    'set_option', 'reset_option', 'option_context', 'register_extension_dtype', 'set_eng_float_format', 'show_versions',
    'deprecate', 'deprecate_with_doc', 'byte_bounds', 'safe_eval', 'getfile', 'fetch', 'download',
}

# Classes (any module) that open files or URLs when built.
IO_CLASSES = {'DataSource', 'NpzFile', 'memmap', 'BagObj', 'HDFStore', 'ExcelFile', 'ExcelWriter', 'DMatrix',
              'DeviceQuantileDMatrix', 'QuantileDMatrix', 'DataIter', 'PytestTester', 'TempMemmap'}
# Functions that change process-wide state (error handlers, dispatch tables, docstrings, print options): never CALL.
import re  # noqa: E402
STATE_MUTATOR = re.compile(r'^(set_|seterr|setbufsize|register|restore|add_newdoc|add_docstring|implement_array_function'
                           r'|array_function_|disp$|deprecate)')

DANGEROUS_MODULE_ROOTS = {
    'os', 'nt', 'posix', 'subprocess', '_posixsubprocess', 'sys', 'socket', 'runpy', 'shutil', 'pty', 'pickle',
    '_pickle', 'builtins', 'importlib', 'ctypes', 'marshal', 'code', 'codeop', 'pdb', 'bdb', 'multiprocessing',
    'asyncio', 'webbrowser', 'urllib', 'http', 'ftplib', 'smtplib', 'telnetlib', 'ssl', 'tempfile', 'glob', 'pkgutil',
    'zipimport', 'cProfile', 'profile', 'timeit', 'trace', 'doctest', 'pydoc', 'site', 'sysconfig', 'operator',
    '_operator', 'io', '_io', 'requests', 'dill', 'cloudpickle', 'platform', 'threading', '_thread', 'signal',
    'inspect', 'linecache', 'tarfile', 'zipfile', 'shelve', 'dbm', 'venv', 'ensurepip', 'pip', 'logging', 'uuid',
}

seen_modules = {}


def excluded(name):
    if any(name == m or name.startswith(m + '.') for m in INCLUDED_MODULES):
        return False
    if '.tests' in name or '.testing' in name or name.endswith('.conftest') or '._tests' in name:
        return True
    return any(name == m or name.startswith(m + '.') for m in EXCLUDED_MODULES)


def walk(package):
    root = importlib.import_module(package)
    names = [package]
    if hasattr(root, '__path__'):
        for info in pkgutil.walk_packages(root.__path__, package + '.', onerror=lambda _: None):
            names.append(info.name)
    for name in INCLUDED_MODULES:
        if name.startswith(package + '.') and name not in names:
            names.append(name)
    for name in sorted(set(names)):
        if excluded(name) or '__main__' in name.split('.'):
            continue
        try:
            with open(os.devnull, 'w') as devnull:
                old = sys.stdout, sys.stderr
                sys.stdout = sys.stderr = devnull
                try:
                    module = importlib.import_module(name)
                finally:
                    sys.stdout, sys.stderr = old
        except BaseException:  # noqa: BLE001 - optional dependencies missing: the module cannot be loaded anyway
            continue
        seen_modules[name] = module


for package in PACKAGES:
    walk(package)

call = {}
data = {}
aliases = {}


def add(table, module, name):
    table.setdefault(module, set()).add(name)


def qual(obj):
    module = getattr(obj, '__module__', None)
    qualname = getattr(obj, '__qualname__', None) or getattr(obj, '__name__', None)
    if not isinstance(module, str) or not isinstance(qualname, str) or '<' in qualname:
        return None
    return module, qualname


def dangerous_module(name):
    return name.split('.')[0] in DANGEROUS_MODULE_ROOTS


ufunc = type(__import__('numpy').add)
for modname, module in sorted(seen_modules.items()):
    for attr, obj in sorted(vars(module).items()):
        if attr.startswith('__') and not attr.startswith('__pyx_unpickle_'):
            continue
        # Re-exports of dangerous modules / functions (aliases a dotted name can walk through).
        if isinstance(obj, types.ModuleType):
            if dangerous_module(obj.__name__):
                aliases[f'{modname}.{attr}'] = obj.__name__
            continue
        # Singletons pickled by reference (`__reduce__` returns their name: pandas' NA): data, found by pickle under
        # their type's module.
        if not (inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj)):
            try:
                reduced = obj.__reduce__() if type(obj).__reduce__ is not object.__reduce__ else None
            except Exception:  # noqa: BLE001 - objects that refuse pickling are not in pickles
                reduced = None
            home = getattr(obj, '__module__', None)
            if isinstance(reduced, str) and reduced == attr and home == modname and not dangerous_module(modname):
                add(data, modname, attr)
                continue
        q = qual(obj)
        # (Cython enums report importlib._bootstrap as their module: not a re-export.)
        if q and q[0] != 'importlib._bootstrap' and (inspect.isfunction(obj) or inspect.isbuiltin(obj) or inspect.isclass(obj)) and dangerous_module(q[0]):
            if not (inspect.isclass(obj) and q[0] == 'builtins'):
                aliases[f'{modname}.{attr}'] = f'{q[0]}.{q[1]}'
        if isinstance(obj, ufunc):
            # ufuncs pickle by name in numpy.core._multiarray_umath (numpy) or their scipy module.
            if modname.startswith('numpy') or modname.startswith('scipy'):
                home = 'numpy.core._multiarray_umath' if modname.startswith('numpy') else modname
                add(call, home, obj.__name__)
            continue
        if not q or q[0] != modname:
            continue  # only what this module defines (never a re-export)
        if attr in IO_FUNCTIONS:
            continue
        module_name, qualname = q
        if inspect.isclass(obj):
            # Exceptions, metaclasses (calling one creates a class) and (un)picklers (loaders) are not data to build.
            if issubclass(obj, (BaseException, type)) or 'Pickler' in qualname or 'Unpickler' in qualname:
                add(data, module_name, qualname)
                continue
            if qualname in IO_CLASSES:
                continue
            add(call, module_name, qualname)
            if issubclass(obj, enum.Enum):
                for member in obj.__members__:
                    add(data, module_name, f'{qualname}.{member}')
        elif inspect.isfunction(obj) or inspect.isbuiltin(obj):
            if attr.startswith('__pyx_unpickle_'):
                # Cython's reconstructor: __pyx_unpickle_X(cls, checksum, state) builds cls (modelled by the scanner).
                add(call, module_name, qualname)
                continue
            if attr.startswith('_'):
                # Private functions are stored as callbacks too (GridSearchCV's sklearn.metrics._scorer.
                # _passthrough_scorer): safe to reference, never to call.
                add(data, module_name, qualname)
                continue
            pure = not STATE_MUTATOR.match(attr) and not any(part.startswith('_') for part in module_name.split('.')[1:]) and (
                module_name.startswith('numpy')
                or module_name.startswith('torch.nn.functional')
                or module_name.startswith('torch.functional')
                or module_name.startswith('scipy.special')
            )
            add(call if pure else data, module_name, qualname)

# The public numeric APIs of scikit-learn whose functions are stored inside partials (`SelectKBest(partial(
# mutual_info_classif, random_state=0))`, `make_scorer`-free custom scoring, `FunctionTransformer(partial(normalize,
# norm='l1'))`): the functions each package exports in `__all__` and defines in its own tree compute on the arrays
# they are given and return arrays or numbers (a callable argument, such as a `metric`, is judged as a call of it
# by the scanner). Left out: functions with `n_jobs` (they start joblib worker processes) and everything above.
PUBLIC_NUMERIC_APIS = ['sklearn.metrics', 'sklearn.metrics.pairwise', 'sklearn.metrics.cluster',
                       'sklearn.feature_selection', 'sklearn.preprocessing']
for api in PUBLIC_NUMERIC_APIS:
    module = seen_modules.get(api)
    for attr in getattr(module, '__all__', []) if module else []:
        obj = getattr(module, attr, None)
        q = qual(obj) if inspect.isfunction(obj) else None
        if not q or attr.startswith('_') or attr in IO_FUNCTIONS or STATE_MUTATOR.match(attr):
            continue
        if not (q[0] == api or q[0].startswith(api + '.')) or 'n_jobs' in inspect.signature(obj).parameters:
            continue
        data.get(q[0], set()).discard(q[1])
        add(call, q[0], q[1])

# torch's tensor operations live in torch._C._VariableFunctions and are exposed as torch.<name>; they pickle as
# torch.<name> (their __module__ is 'torch').
import torch  # noqa: E402

for attr, obj in sorted(vars(torch).items()):
    if attr.startswith('_') or attr in IO_FUNCTIONS:
        continue
    if inspect.isbuiltin(obj) and getattr(obj, '__module__', None) in ('torch', 'torch._C._VariableFunctions', None):
        add(call, 'torch', attr)
    elif isinstance(obj, (torch.dtype, torch.layout, torch.memory_format, torch.qscheme)):
        add(call, 'torch', attr)
    elif inspect.isclass(obj) and attr.endswith('Storage'):
        add(call, 'torch', attr)
    elif attr in ('Tensor', 'Size', 'device', 'Generator', 'finfo', 'iinfo', 'dtype', 'layout', 'memory_format'):
        add(call, 'torch', attr)

versions = {}
for package in PACKAGES:
    versions[package] = importlib.import_module(package).__version__
versions['python'] = sys.version.split()[0]


def render(table):
    lines = []
    for module in sorted(table):
        names = ' '.join(sorted(table[module]))
        lines.append(f"  '{module}': '{names}',")
    return '\n'.join(lines)


out = f'''/**
 * GENERATED by scripts/gen-pickle-allowlist.py from the installed libraries: do not edit by hand.
 * Regenerate: ${{MODELSEC_PYTHON:-/usr/bin/python3}} scripts/gen-pickle-allowlist.py
 * Sources: {', '.join(f'{k} {v}' for k, v in sorted(versions.items()))}.
 *
 * Every table maps a module to the space-separated qualified names it defines (pickle references objects by their
 * defining module and qualname). CALL: safe to call with any arguments (classes pickles instantiate, ufuncs, pure
 * array functions). DATA: safe to reference (functions stored as callbacks, enum members `Class.MEMBER`).
 * ALIASES: `module.attribute` of those libraries that is a dangerous module or function, and what it is.
 */

export const GENERATED_ALLOWLIST_SOURCES: Readonly<Record<string, string>> = {{
{chr(10).join(f"  {k}: '{v}'," for k, v in sorted(versions.items()))}
}};

export const GENERATED_CALL: Readonly<Record<string, string>> = {{
{render(call)}
}};

export const GENERATED_DATA: Readonly<Record<string, string>> = {{
{render(data)}
}};

export const GENERATED_ALIASES: Readonly<Record<string, string>> = {{
{chr(10).join(f"  '{k}': '{v}'," for k, v in sorted(aliases.items()))}
}};
'''
target = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'packages', 'core', 'src', 'scan', 'pickle',
                      'allowlist.generated.ts')
with open(target, 'w') as f:
    f.write(out)
# The repo's formatter lays the table out (line widths); the content is the generator's.
import subprocess  # noqa: E402

subprocess.run(['npx', 'biome', 'format', '--write', target], cwd=os.path.dirname(target), check=False,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
count = lambda t: sum(len(v) for v in t.values())  # noqa: E731
print(f'modules {len(seen_modules)}, call {count(call)}, data {count(data)}, aliases {len(aliases)} -> '
      f'{os.path.normpath(target)}', file=sys.stderr)
