#!/usr/bin/env python3
"""
Generates packages/core/src/scan/pickle/setstate-calls.generated.ts: for each class of the installed numpy, scipy,
scikit-learn, torch, pandas, joblib (and the stdlib modules pickles name) whose `__setstate__`, `__setitem__`,
`append`, `extend` or `add` (the methods the load calls: BUILD, SETITEM(S), APPEND(S), ADDITEMS) is written in
Python and calls a method of `self` (`self.NAME(...)` or `self.NAME.attr(...)`, through super() too), the names it
calls. BUILD puts a file's state in `self.__dict__`, where it shadows the class's methods: a callable stored under
one of these names is then called by the load (`Optimizer.__setstate__` calls `self._hook_for_profile()`,
`ModuleDict.__setitem__` calls `self.add_module(...)`), so the judge treats it as called (scan-pickle.ts).

Regenerate (writes the file, prints a summary on stderr):
    ${MODELSEC_PYTHON:-/usr/bin/python3} scripts/gen-pickle-setstate-calls.py
"""
import ast
import importlib
import inspect
import os
import pkgutil
import sys
import textwrap
import warnings

warnings.filterwarnings('ignore')
ROOTS = ['numpy', 'scipy', 'sklearn', 'torch', 'pandas', 'joblib', 'collections', 'functools', 'argparse', 'types',
         'pathlib', 'datetime', 'random', 'logging', 're', 'enum', 'typing', 'decimal', 'fractions', 'uuid',
         'ipaddress', 'array', 'copy', 'configparser', 'json']
SKIP = ('.tests', '.testing', 'test_', '._vendor', '.conftest', '__main__', 'benchmarks')
OUT = os.path.join(os.path.dirname(__file__), '..', 'packages', 'core', 'src', 'scan', 'pickle',
                   'setstate-calls.generated.ts')


# The methods the load calls on an object: BUILD (__setstate__), SETITEM(S), APPEND, APPENDS, ADDITEMS; and the
# type-level methods the builtins a pickle calls (str, len, list, set, sorted, int, bytes...: BUILTIN_DUNDERS in
# scan-pickle.ts) and dict/set insertion (__hash__, __eq__) call on their arguments.
METHODS = ('__setstate__', '__setitem__', 'append', 'extend', 'add',
           '__repr__', '__str__', '__len__', '__length_hint__', '__iter__', '__next__', '__getitem__', '__reversed__',
           '__hash__', '__lt__', '__index__', '__int__', '__float__', '__complex__', '__trunc__', '__bool__',
           '__bytes__', 'keys',
           # Called on the loaded object whatever the user does with it: at garbage collection.
           '__del__')
# (object.__str__, in C, calls type(self).__repr__: the judge looks a str() up under both names.)


def self_calls(fn, method):
    """Names N of `self.N(...)` calls in fn, `N.` for names only reached as `self.N.x(...)`, and whether it calls
    super().__setstate__."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except Exception:
        return set(), False
    f = tree.body[0] if tree.body else None
    if not isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) or not f.args.args:
        return set(), False
    me = f.args.args[0].arg
    names, sup = set(), False
    for node in ast.walk(f):
        if not isinstance(node, ast.Call):
            continue
        func, chain = node.func, []
        while isinstance(func, ast.Attribute):
            chain.append(func.attr)
            func = func.value
        if isinstance(func, ast.Name) and func.id == me and chain and not chain[-1].startswith('__'):
            names.add(chain[-1] if len(chain) == 1 else chain[-1] + '.')
        if isinstance(func, ast.Call) and isinstance(func.func, ast.Name) and func.func.id == 'super' and chain == [method]:
            sup = True
        if isinstance(func, ast.Name) and chain and chain[0] == method and func.id != me:
            sup = True  # Base.method(self, ...)
    return names, sup


def main():
    modules = set()
    for root in ROOTS:
        try:
            pkg = importlib.import_module(root)
        except BaseException:
            continue
        modules.add(root)
        if hasattr(pkg, '__path__'):
            for info in pkgutil.walk_packages(pkg.__path__, root + '.', onerror=lambda n: None):
                if not any(p in info.name for p in SKIP):
                    modules.add(info.name)
    out = {}
    for name in sorted(modules):
        try:
            module = importlib.import_module(name)
        except BaseException:
            continue
        for cls in list(vars(module).values()):
            if not inspect.isclass(cls) or getattr(cls, '__module__', None) != name:
                continue
            for method in METHODS:
                called = set()
                for klass in cls.__mro__:
                    fn = vars(klass).get(method)
                    if fn is None:
                        continue
                    if not hasattr(fn, '__code__'):
                        break
                    names, sup = self_calls(fn, method)
                    called |= names
                    called -= {n + '.' for n in called if not n.endswith('.')}
                    if not sup:
                        break
                if called:
                    out[f'{name}.{cls.__qualname__}#{method}'] = ' '.join(sorted(called))
    lines = [
        '// Generated by scripts/gen-pickle-setstate-calls.py from the installed libraries. Do not edit.',
        '/**',
        ' * `module.qualname#method` -> the methods of `self` that Python method calls, for the methods the load calls on',
        ' * an object (__setstate__ by BUILD, __setitem__ by SETITEM(S), append/extend by APPEND(S), add by ADDITEMS) and',
        ' * the type-level methods builtins and dict/set insertion call (__str__, __len__, __iter__, __hash__...) and',
        ' * __del__. `name.` means the method only calls an attribute of that attribute (`self.name.x(...)`).',
        ' */',
        'export const LOAD_METHOD_SELF_CALLS: Readonly<Record<string, string>> = {',
    ]
    for key in sorted(out):
        lines.append(f"  '{key}': '{out[key]}',")
    lines.append('};')
    with open(OUT, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    print(f'{len(out)} classes from {len(modules)} modules', file=sys.stderr)


if __name__ == '__main__':
    main()
