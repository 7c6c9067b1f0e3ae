/**
 * Python's rules for names, as the unpicklers meet them. find_class imports the module with `__import__`, which
 * finds only dot-separated identifiers (PEP 3131): any other module name raises ModuleNotFoundError before
 * anything is imported, so the load stops at that opcode.
 */

/** A Python identifier (PEP 3131: letters, `_`, then letters, digits, marks, connectors). */
const IDENTIFIER = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u;

/** Longest module name considered (CPython has no limit; MAX_GLOBAL_NAME_BYTES bounds the line already). */
const MAX_MODULE_NAME_CHARS = 1024;

/** Whether `__import__` could import this name: dot-separated identifiers, nothing else. */
export function isImportableModuleName(module: string): boolean {
  if (module.length === 0 || module.length > MAX_MODULE_NAME_CHARS) return false;
  return module.split('.').every((part) => IDENTIFIER.test(part));
}
