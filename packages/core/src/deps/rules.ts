/**
 * The rules of `modelsec deps` (dependency and CI audit). They are part of the one rule catalogue (scan/rules),
 * so docs/rules.md documents them with the scanner's rules and SARIF output describes them the same way.
 */
import type { RuleSpec } from '../scan/rules/types.js';
import type { Reference } from '../scan/types.js';

const CWE_1104: Reference = { id: 'CWE-1104', url: 'https://cwe.mitre.org/data/definitions/1104.html' };
const CWE_506: Reference = { id: 'CWE-506', url: 'https://cwe.mitre.org/data/definitions/506.html' };
const CWE_427: Reference = { id: 'CWE-427', url: 'https://cwe.mitre.org/data/definitions/427.html' };
const CWE_494: Reference = { id: 'CWE-494', url: 'https://cwe.mitre.org/data/definitions/494.html' };
const CWE_829: Reference = { id: 'CWE-829', url: 'https://cwe.mitre.org/data/definitions/829.html' };
const CWE_353: Reference = { id: 'CWE-353', url: 'https://cwe.mitre.org/data/definitions/353.html' };
const CWE_78: Reference = { id: 'CWE-78', url: 'https://cwe.mitre.org/data/definitions/78.html' };
const CWE_349: Reference = { id: 'CWE-349', url: 'https://cwe.mitre.org/data/definitions/349.html' };
const ATLAS_T0010: Reference = { id: 'AML.T0010', url: 'https://atlas.mitre.org/techniques/AML.T0010' };
const ATLAS_T0010_001: Reference = { id: 'AML.T0010.001', url: 'https://atlas.mitre.org/techniques/AML.T0010.001' };
const OWASP_LLM03: Reference = { id: 'LLM03:2025', url: 'https://genai.owasp.org/llmrisk/llm032025-supply-chain/' };
const OSV_SCHEMA: Reference = { id: 'OSV schema', url: 'https://ossf.github.io/osv-schema/' };
const OPENSSF_MAL: Reference = {
  id: 'OpenSSF malicious-packages',
  url: 'https://github.com/ossf/malicious-packages',
};
const PYTORCH_TORCHTRITON: Reference = {
  id: 'PyTorch torchtriton advisory (Dec 2022)',
  url: 'https://pytorch.org/blog/compromised-nightly-dependency/',
};
const PIP_SECURE_INSTALLS: Reference = {
  id: 'pip secure installs',
  url: 'https://pip.pypa.io/en/stable/topics/secure-installs/',
};
const PYTHON_SITE: Reference = { id: 'Python site module (.pth files)', url: 'https://docs.python.org/3/library/site.html' };
const GH_HARDENING: Reference = {
  id: 'GitHub Actions security hardening',
  url: 'https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions',
};
const GH_PWN_REQUEST: Reference = {
  id: 'GitHub Security Lab: preventing pwn requests',
  url: 'https://securitylab.github.com/resources/github-actions-preventing-pwn-requests/',
};

export const DEPS_RULES: readonly RuleSpec[] = [
  {
    id: 'MS-DEP-001',
    title: 'Known vulnerable package version',
    severity: 'high',
    outcome: 'finding',
    summary:
      "A locked or pinned package version is affected by an OSV vulnerability record (matched offline with OSV's semantics: ECOSYSTEM ranges ordered by PEP 440 for PyPI and semver for npm, SEMVER ranges, listed versions; withdrawn records ignored; records that alias each other merged into one finding). The finding takes the record's CVSS v3 base score, else its database's rating, else medium; the default severity shown here is only the catalogue's.",
    why: 'Code the model pipeline imports at training or serving time has a published weakness; model-serving stacks (web frameworks, tokenizers, deserialisers) are reachable from untrusted input.',
    fix: 'Upgrade to the fixed version the finding names (or a later one) and regenerate the lockfile.',
    references: [CWE_1104, OSV_SCHEMA, ATLAS_T0010, OWASP_LLM03],
  },
  {
    id: 'MS-DEP-002',
    title: 'Known malicious package',
    severity: 'critical',
    outcome: 'finding',
    summary:
      'A package of the project is named in an OSV `MAL-` record (the OpenSSF malicious-packages database, as osv.dev exports it) for the version it uses.',
    why: 'The package was published to attack whoever installs it: its install hooks or its import steal credentials, tokens and model-registry keys, or plant a backdoor. Installing it once is enough.',
    fix: 'Remove the package, treat every machine and CI runner that installed it as compromised (rotate its secrets), and pin the intended package with hashes.',
    references: [CWE_506, OPENSSF_MAL, ATLAS_T0010_001, OWASP_LLM03],
  },
  {
    id: 'MS-DEP-003',
    title: 'Requirements resolved from more than one index',
    severity: 'high',
    outcome: 'finding',
    summary:
      'A file makes the installer look for packages on more than one index (`--extra-index-url` besides the index, several `[[tool.uv.index]]` or Pipfile `[[source]]` entries, a private conda channel besides public ones), and packages are not bound to one index. The finding names the indexes and the unbound packages. Whether a name also exists on the public index cannot be known offline: every unbound package is listed.',
    why: "pip and Pipenv take the highest version found on any index, so anyone who publishes a package's name on the public index with a higher version replaces the private one (dependency confusion; torchtriton shadowed PyTorch nightly's own package this way).",
    fix: 'Bind each private package to its index (uv: `[tool.uv.sources]` with an `explicit = true` index; Pipenv: `index = "name"` per package), or serve everything from one index that proxies the public one, and use hashes.',
    references: [CWE_427, PYTORCH_TORCHTRITON, ATLAS_T0010_001, OWASP_LLM03],
  },
  {
    id: 'MS-DEP-004',
    title: 'Known dependency-confusion name',
    severity: 'high',
    outcome: 'finding',
    summary:
      "A package name from the documented list of names used in dependency-confusion attacks on ML projects (torchtriton, the name of PyTorch nightly builds' Triton package that was claimed on PyPI in December 2022, and the like).",
    why: "The public package of that name was malicious, or is not the one the project means: installing it from the public index runs the attacker's code.",
    fix: "Use the package's current name from the intended index (PyTorch renamed torchtriton to pytorch-triton), bound to that index, with hashes.",
    references: [CWE_427, PYTORCH_TORCHTRITON, ATLAS_T0010_001],
  },
  {
    id: 'MS-DEP-005',
    title: 'Typosquat of a popular ML package',
    severity: 'medium',
    outcome: 'finding',
    summary:
      'A package name is one edit (insertion, deletion, substitution, transposition), a changed separator or a look-alike character away from a popular ML package on the documented list (torch, transformers, numpy, safetensors, huggingface-hub, ...), and is not itself a known legitimate package. High when an OSV `MAL-` record names the package.',
    why: 'Typosquats of ML libraries carry infostealers and backdoors; one mistyped line in a requirements file installs them on every training and serving machine.',
    fix: 'Correct the name to the intended package. If the name is right, suppress the finding with a reason.',
    references: [CWE_506, OPENSSF_MAL, ATLAS_T0010_001, OWASP_LLM03],
  },
  {
    id: 'MS-DEP-006',
    title: 'Unpinned requirement',
    severity: 'low',
    outcome: 'finding',
    summary:
      'A requirement of an application requirements file (requirements*.txt) or conda environment is a range or has no version at all, so each install may resolve another release. Library manifests (pyproject.toml) and lockfiles are not judged by this rule.',
    why: 'An unpinned install takes whatever was published last: a compromised release (or a malicious one after an account takeover) reaches the pipeline without a change to the repository.',
    fix: 'Pin exact versions (`==`) from a resolver (pip-compile, uv pip compile, conda-lock), with `--hash` where possible.',
    references: [CWE_1104, CWE_494, PIP_SECURE_INSTALLS],
  },
  {
    id: 'MS-DEP-007',
    title: 'Hash missing where hashes are in use',
    severity: 'medium',
    outcome: 'finding',
    summary:
      'A requirement has no `--hash` while the same file checks hashes (`--require-hashes`, or other requirements carry `--hash`), or a locked package has no hash while the lockfile gives hashes for the others.',
    why: 'Hash checking guards against a changed artifact on the index only when every artifact is hashed; the unhashed one can be swapped (and pip refuses a partially hashed file, which tempts people to drop hashes altogether).',
    fix: 'Regenerate the file with hashes for every package (`pip-compile --generate-hashes`, `uv pip compile --generate-hashes`).',
    references: [CWE_353, CWE_494, PIP_SECURE_INSTALLS],
  },
  {
    id: 'MS-DEP-008',
    title: 'Direct URL or VCS requirement',
    severity: 'medium',
    outcome: 'finding',
    summary:
      'A requirement installs from a URL or a version-control repository (`name @ https://...`, `git+https://...`, a lockfile source of type git or url) instead of a published release. Low when a hash or a full commit id pins the content.',
    why: "What a URL or a branch serves can change without a version change, outside the index's immutability and the OSV database's view; a VCS install also runs the repository's build code.",
    fix: 'Depend on a published release of the package, or pin the URL with a hash (`#sha256=`, `--hash`) or the VCS reference with a full commit id.',
    references: [CWE_494, CWE_829, PIP_SECURE_INSTALLS],
  },
  {
    id: 'MS-DEP-009',
    title: 'Local wheel or path requirement',
    severity: 'low',
    outcome: 'finding',
    summary:
      'A requirement installs a local wheel, archive or directory (`./dist/pkg.whl`, `file:...`, `-e .`, a lockfile `path`/`directory` source) whose origin the lockfile cannot show.',
    why: 'A wheel checked into the repository or copied onto the build machine is not the published release and is outside any vulnerability database; its provenance is whoever put it there.',
    fix: "Publish the package to an index you control and depend on the release, or record the wheel's hash and where it was built.",
    references: [CWE_494, CWE_829],
  },
  {
    id: 'MS-DEP-010',
    title: 'Start-up hook in a .pth file',
    severity: 'high',
    outcome: 'finding',
    summary:
      "A `.pth` file of an installed-package tree (`--site-packages`) has lines that start with `import`: Python's site module executes them at every interpreter start, before any code of the program. Medium when every such line only imports a module by name (`import _virtualenv`); high when a line runs more than that (statements after `;`, exec/eval, decoding, process or network calls).",
    why: 'A package that ships a .pth hook runs code in every Python process of the environment, even processes that never import it (the 2026 compromised LLM proxy release used exactly this); a hidden hook survives uninstalling the package it came with.',
    fix: "Find which package installed the file (the finding names it), remove it and the package, and rebuild the environment from a lockfile with hashes. Suppress hooks you have reviewed (setuptools' distutils-precedence.pth, editable installs) with a reason.",
    references: [CWE_506, CWE_829, PYTHON_SITE, ATLAS_T0010_001],
  },
  {
    id: 'MS-DEP-011',
    title: 'Model, pickle or archive inside an installed package',
    severity: 'info',
    outcome: 'finding',
    summary:
      "An installed package carries a pickle, model file or archive in its package data (`--site-packages`). The file is scanned with the scanner engine and the scanner's own findings (MS-PKL-..., MS-ENG-...) are reported against the package with their own severities; this rule records that the file is there.",
    why: 'Package data is loaded by the package at import or first use, with no review by the user: a pickle in a package is code the package runs.',
    fix: 'Review the scanner findings for the file; replace pickles in package data with safe formats (safetensors, JSON).',
    references: [ATLAS_T0010_001, OWASP_LLM03],
  },
  {
    id: 'MS-DEP-012',
    title: 'Action not pinned to a full commit SHA',
    severity: 'medium',
    outcome: 'finding',
    summary:
      'A workflow step or job uses a third-party action or reusable workflow (`uses: owner/repo@ref`, not `actions/*` or `github/*`) by a tag or branch instead of a full 40-character commit SHA, or a Docker action by a tag instead of a digest. High when the job receives secrets (`secrets.*` in its env, inputs or `secrets:`; `secrets: inherit`).',
    why: 'Tags and branches can be moved: an attacker who takes over the action repository re-points them at a stealer, and every workflow that uses the tag runs it with its secrets (tags of a popular security action were force-pushed this way in 2026).',
    fix: 'Pin the full commit SHA of the reviewed release (`uses: owner/repo@<40 hex> # v1.2.3`) and let a bot (Dependabot, Renovate) update it.',
    references: [CWE_829, CWE_494, GH_HARDENING],
  },
  {
    id: 'MS-DEP-013',
    title: 'pull_request_target checks out the pull request',
    severity: 'high',
    outcome: 'finding',
    summary:
      "A workflow triggered by `pull_request_target` checks out the pull request's head (`ref:` from `github.event.pull_request.head`, `github.head_ref` or `refs/pull/...`).",
    why: 'pull_request_target runs with the base repository\'s secrets and a write token; building or running the checked-out code of a fork\'s pull request gives that fork the secrets (a "pwn request").',
    fix: "Use `pull_request` for building untrusted code; if a privileged step is needed, run it in a separate workflow_run workflow that never executes the pull request's code.",
    references: [CWE_829, GH_PWN_REQUEST, GH_HARDENING],
  },
  {
    id: 'MS-DEP-014',
    title: 'Remote script piped into a shell',
    severity: 'medium',
    outcome: 'finding',
    summary:
      'A `run:` step downloads a script and pipes it into an interpreter (`curl ... | sh`, `wget -O- ... | bash`, `| python`).',
    why: "Whatever the server returns at that moment runs on the runner with the job's secrets, unpinned and unverified.",
    fix: 'Download a pinned release, check its hash or signature, then run it; or use a pinned action or a package manager.',
    references: [CWE_494, CWE_78, GH_HARDENING],
  },
  {
    id: 'MS-DEP-015',
    title: 'Cache keyed on attacker-controlled input',
    severity: 'medium',
    outcome: 'finding',
    summary:
      'An `actions/cache` (or setup-* cache) step builds its `key` or `restore-keys` from input a pull request author or commenter controls (`github.head_ref`, `github.event.pull_request.title`/`head.ref`, issue or comment bodies). High in a workflow triggered by `pull_request_target` or `workflow_run`.',
    why: "Caches are shared with the default branch's runs: an attacker who chooses the key can write a poisoned cache entry that a privileged workflow restores (cache poisoning), running their code with its secrets.",
    fix: 'Key caches only on lockfile hashes (`hashFiles(...)`), the OS and trusted values; never restore caches written by untrusted runs in privileged workflows.',
    references: [CWE_349, GH_HARDENING],
  },
];
