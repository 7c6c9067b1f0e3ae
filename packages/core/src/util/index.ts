export { canonicalJson, sortKeysDeep, stableJson } from './canonical-json.js';
export { type Clock, clockFromEnv, fixedClock, systemClock } from './clock.js';
export { importDependency, isMissingPackage } from './dependency.js';
export { printable, TERMINAL_UNSAFE_CHARACTERS } from './printable.js';
