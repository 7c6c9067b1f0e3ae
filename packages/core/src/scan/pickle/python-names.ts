/**
 * Python's rules for module names, as the unpicklers meet them. find_class imports the module with `__import__`:
 *
 * - Every module of the standard library and of an installed distribution is named by dot-separated identifiers
 *   (PEP 3131; they are imported by `import` statements). Any other name (`mport torch` from a `.py` file read as
 *   INST, ` os`, `os\r`) finds nothing on a standard sys.path: `__import__` raises ModuleNotFoundError before
 *   anything is imported and the load stops at that opcode. (Only a file planted on sys.path under that exact name
 *   could answer, and planting one is code execution already.)
 * - CPython's FrozenImporter looks a name up as a C string (`_imp.find_frozen`): the name ends at its first NUL, so
 *   `os\0` or `os\0anything` imports the frozen `os` (checked on CPython 3.11.2 and 3.11.7: `pickle.loads(b'cos\0\n
 *   system\n...')` runs os.system). Such a name is resolved to the frozen module it really loads.
 */

/** A Python identifier (PEP 3131: letters, `_`, then letters, digits, marks, connectors). */
const IDENTIFIER = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u;

/** Longest module name considered (CPython has no limit; MAX_GLOBAL_NAME_BYTES bounds the line already). */
const MAX_MODULE_NAME_CHARS = 1024;

/**
 * CPython's frozen modules, reachable by a NUL-suffixed name (`_imp._frozen_module_names()` on 3.11.2 and 3.11.7;
 * 3.12 and 3.13 freeze the same set). `os.path` is left out: its parent `os` is not a package, so
 * `os.path\0` raises ("'os' is not a package").
 */
const FROZEN_MODULES = new Set([
  '__hello__',
  '__hello_alias__',
  '__hello_only__',
  '__phello__',
  '__phello__.__init__',
  '__phello__.ham',
  '__phello__.ham.__init__',
  '__phello__.ham.eggs',
  '__phello__.spam',
  '__phello_alias__',
  '__phello_alias__.spam',
  '_collections_abc',
  '_frozen_importlib',
  '_frozen_importlib_external',
  '_sitebuiltins',
  'abc',
  'codecs',
  'genericpath',
  'importlib.machinery',
  'importlib.util',
  'io',
  'ntpath',
  'os',
  'posixpath',
  'runpy',
  'site',
  'stat',
  'zipimport',
]);

/** Frozen packages: a submodule name whose NUL falls in an earlier part still resolves through them. */
const FROZEN_PACKAGES = new Set(['__phello__', '__phello__.ham', '__phello_alias__']);

const isDottedIdentifiers = (name: string): boolean => name.split('.').every((part) => IDENTIFIER.test(part));

/**
 * The module `__import__(module)` really loads, or undefined when it raises before importing anything.
 * `os` → `os`; `os\0junk` → `os` (frozen lookup stops at NUL); `mport torch`, `os\r`, `subprocess\0` → undefined.
 */
export function resolveModuleName(module: string): string | undefined {
  if (module.length === 0 || module.length > MAX_MODULE_NAME_CHARS) return undefined;
  const nul = module.indexOf('\0');
  if (nul < 0) return isDottedIdentifiers(module) ? module : undefined;
  const prefix = module.slice(0, nul);
  if (prefix.length === 0 || !isDottedIdentifiers(prefix) || !FROZEN_MODULES.has(prefix)) return undefined;
  // A dot after the NUL makes the frozen module a parent package: only a frozen package can be one.
  if (module.indexOf('.', nul) >= 0 && !FROZEN_PACKAGES.has(prefix)) return undefined;
  return prefix;
}

/** Whether `__import__` could import this name at all (see resolveModuleName). */
export function isImportableModuleName(module: string): boolean {
  return resolveModuleName(module) !== undefined;
}
