/**
 * Typosquats of popular ML packages (MS-DEP-005): a name one edit away (Damerau-Levenshtein: insertion,
 * deletion, substitution, adjacent transposition), spelt with its separators changed or dropped, or with look-alike
 * characters (Cyrillic/Greek letters, 0/o, 1/l, rn/m, vv/w) from a name on POPULAR_ML_PACKAGES. Edits are only
 * counted for popular names of five characters or more (one edit from `jax` or `onnx` is an unrelated word);
 * shorter names are matched by separators and look-alikes only. Known legitimate neighbours are never flagged.
 */
import type { DeclaredPackage } from '../bom/dependency-types.js';
import { ruleById } from '../scan/rules/index.js';
import { normalizeName, packageKey } from './names.js';
import type { OsvIndex } from './osv-load.js';
import { isMalicious } from './severity.js';
import type { DepsFinding } from './types.js';

/** Popular ML packages whose names are squatted (PyPI names in PEP 503 form; npm names as published). */
export const POPULAR_ML_PACKAGES: Readonly<Record<'pypi' | 'npm', readonly string[]>> = {
  pypi: [
    'accelerate',
    'bitsandbytes',
    'datasets',
    'diffusers',
    'einops',
    'evaluate',
    'gradio',
    'huggingface-hub',
    'jax',
    'keras',
    'langchain',
    'lightgbm',
    'litellm',
    'llama-index',
    'mlflow',
    'numpy',
    'onnx',
    'onnxruntime',
    'openai',
    'optimum',
    'pandas',
    'peft',
    'pytorch-lightning',
    'safetensors',
    'scikit-learn',
    'scipy',
    'sentence-transformers',
    'sentencepiece',
    'tensorflow',
    'tiktoken',
    'tokenizers',
    'torch',
    'torchaudio',
    'torchvision',
    'transformers',
    'triton',
    'ultralytics',
    'vllm',
    'xgboost',
  ],
  npm: [
    '@huggingface/hub',
    '@huggingface/inference',
    '@huggingface/transformers',
    '@tensorflow/tfjs',
    '@xenova/transformers',
    'langchain',
    'onnxruntime-node',
    'onnxruntime-web',
    'openai',
  ],
};

/**
 * Real packages within one edit of a popular name, each a separate, legitimate project: never reported as squats.
 * The list holds every such name among PyPI's 15,000 most downloaded projects (none among npm's 20,000 most
 * downloaded packages matched), plus a few well-known others.
 */
export const LEGITIMATE_NEIGHBOURS: ReadonlySet<string> = new Set([
  'pypi:ctransformers', // GGML model bindings (not transformers)
  'pypi:dataset', // a database toolkit (not Hugging Face datasets)
  'pypi:datazets', // example data sets for the erdogant libraries
  'pypi:ngboost', // natural gradient boosting (not xgboost)
  'pypi:openapi', // OpenAPI tooling (not openai)
  'pypi:panda', // an old, unrelated project (not pandas)
  'pypi:scapy', // the packet manipulation library (not scipy)
  'pypi:scipp', // multi-dimensional data arrays with labelled dimensions (not scipy)
  'pypi:tokenize-rt', // a wrapper around the standard tokenize module (not tokenizers)
  'pypi:tokenizer', // a Japanese tokenizer (not Hugging Face tokenizers)
  'pypi:torchx', // PyTorch's own job launcher (not torch)
  'pypi:x-transformers', // a transformer implementation library (not Hugging Face transformers)
]);

/** Characters that render like a Latin letter or digit (folded before comparison). */
const HOMOGLYPHS: Readonly<Record<string, string>> = {
  а: 'a',
  е: 'e',
  о: 'o',
  р: 'p',
  с: 'c',
  у: 'y',
  х: 'x',
  і: 'i',
  ј: 'j',
  ѕ: 's',
  ο: 'o',
  α: 'a',
  ν: 'v',
  τ: 't',
  ι: 'i',
  κ: 'k',
  ρ: 'p',
  '0': 'o',
  '1': 'l',
  '|': 'l',
};

function foldHomoglyphs(name: string): string {
  let out = '';
  for (const ch of name.normalize('NFKC')) out += HOMOGLYPHS[ch] ?? ch;
  return out.replace(/rn/g, 'm').replace(/vv/g, 'w');
}

function skeleton(name: string): string {
  return name.replace(/[-_.]/g, '');
}

/** Damerau-Levenshtein (optimal string alignment) distance, stopping early above 1. */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  if (a.length === b.length) {
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    if (a.slice(i + 1) === b.slice(i + 1)) return true; // substitution
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2); // transposition
  }
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  let i = 0;
  while (i < short.length && short[i] === long[i]) i++;
  return short.slice(i) === long.slice(i + 1);
}

/** How a name imitates a popular one, or undefined. */
export function squatOf(ecosystem: 'pypi' | 'npm', name: string): { target: string; how: string } | undefined {
  const n = normalizeName(ecosystem, name);
  const popular = POPULAR_ML_PACKAGES[ecosystem];
  if (popular.includes(n) || LEGITIMATE_NEIGHBOURS.has(`${ecosystem}:${n}`)) return undefined;
  const folded = foldHomoglyphs(n);
  for (const target of popular) {
    if (folded === target) return { target, how: 'look-alike characters' };
    if (skeleton(n) === skeleton(target)) return { target, how: 'changed separators' };
    if (ecosystem === 'npm' && n.includes('/') === false && target.includes('/') && n === target.split('/')[1]) continue; // an unscoped name equal to a scoped package's base name is a different package
    if (target.length >= 5 && withinOneEdit(skeleton(folded), skeleton(target))) return { target, how: 'one edit away' };
  }
  return undefined;
}

/** MS-DEP-005 for every package whose name imitates a popular ML package. */
export function typosquatFindings(packages: readonly DeclaredPackage[], index: OsvIndex): DepsFinding[] {
  const findings: DepsFinding[] = [];
  const rule = ruleById('MS-DEP-005');
  for (const pkg of packages) {
    if (pkg.ecosystem !== 'pypi' && pkg.ecosystem !== 'npm') continue;
    const squat = squatOf(pkg.ecosystem, pkg.name);
    if (!squat) continue;
    const mal = index
      .recordsFor(packageKey(pkg.ecosystem, pkg.name))
      .filter(isMalicious)
      .map((r) => r.id)
      .sort();
    findings.push({
      ruleId: 'MS-DEP-005',
      severity: mal.length > 0 ? 'high' : 'medium',
      message: `${pkg.name} looks like a typosquat of ${squat.target} (${squat.how})${mal.length ? `; named in ${mal.join(', ')}` : ''}`,
      file: pkg.source,
      package: { ecosystem: pkg.ecosystem, name: pkg.name, ...(pkg.version ? { version: pkg.version } : {}), purl: pkg.purl },
      evidence: { imitates: squat.target, how: squat.how, ...(mal.length ? { malicious: mal } : {}) },
      references: [...(rule?.references ?? [])],
    });
  }
  return findings;
}
