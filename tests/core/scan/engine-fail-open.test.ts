/**
 * Regression fixtures for the engine's fail-open classes (issue 11), each named after its class, built here and
 * scanned through the engine entry the CLI uses (scanBytes) or the built CLI itself, each caught; benign twins stay
 * clean. Classes:
 * - config shipped inside the model (a model's own .modelsec.json suppressing its payload);
 * - symlinks leaving the scanned root, and --max-file-size applied to the link instead of what is read;
 * - incomplete passes the default gate (a 9-deep zip around os.system, an unknown container);
 * - detection treated as a gate (a pickle detection does not call a pickle never meets the pickle VM).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memorySource } from '../../../packages/core/src/formats/byte-source.js';
import { detectFormat } from '../../../packages/core/src/scan/detect.js';
import { scanBytes } from '../../../packages/core/src/scan/engine.js';
import { DEFAULT_GATE, evaluateGate } from '../../../packages/core/src/scan/gate.js';
import { atLeast, type FileReport } from '../../../packages/core/src/scan/types.js';
import { runCli } from '../../helpers/cli.js';
import { PickleBuilder, writeZip } from '../../helpers/fixture-builders.js';

const tmp = mkdtempSync(join(tmpdir(), 'modelsec-fail-open-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
/** os.system('id') in protocol 0, as text: GLOBAL, MARK, STRING, TUPLE, REDUCE, STOP. */
const PROTO0_PAYLOAD = latin1("cos\nsystem\n(S'id'\ntR.");
const OS_SYSTEM_PICKLE = new PickleBuilder().proto(2).global('os', 'system').unicode('id').tuple1().reduce().stop().bytes();

function write(rel: string, bytes: Uint8Array | string): string {
  const path = join(tmp, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, bytes);
  return path;
}

interface CliReport {
  files: (FileReport & { symlink?: { target: string; leavesRoot?: true } })[];
  gate: { pass: boolean; failures: { path: string; reason: string; rules: string[] }[] };
}

const rulesOf = (report: FileReport) => report.findings.filter((f) => !f.suppressed).map((f) => f.ruleId);
const caught = (report: FileReport) => !evaluateGate([report], DEFAULT_GATE).pass;

describe('config shipped inside the model', () => {
  const model = join(tmp, 'config-in-model', 'model');
  write('config-in-model/model/weights.pkl', OS_SYSTEM_PICKLE);
  const modelConfig = JSON.stringify({
    scan: {
      allowedGlobals: ['os.system', 'os.*', 'posix.*'],
      suppressions: [
        { ruleId: 'MS-PKL-001', path: '**', reason: 'trust me' },
        { ruleId: 'MS-PKL-002', path: '**', reason: 'trust me' },
      ],
    },
  });
  write('config-in-model/model/.modelsec.json', modelConfig);
  const weights = join(model, 'weights.pkl');
  const sha256 = createHash('sha256').update(OS_SYSTEM_PICKLE).digest('hex');

  it('a critical os.system pickle with its own .modelsec.json still fails, from outside and from inside the model', async () => {
    for (const [cwd, target] of [
      [join(tmp, 'config-in-model'), 'model'],
      [model, '.'],
      [model, 'weights.pkl'],
    ] as const) {
      const run = await runCli(['scan', target, '--format', 'json'], { cwd });
      expect(run.code, `${cwd} ${target}\n${run.stderr}`).toBe(1);
      const report = run.json<CliReport>();
      const pickle = report.files.find((f) => f.path.endsWith('weights.pkl'));
      expect(pickle?.findings.find((f) => f.ruleId === 'MS-PKL-001')?.suppressed, `${cwd} ${target}`).toBeUndefined();
      expect(pickle?.verdict).toBe('findings');
    }
    const text = await runCli(['scan', 'model'], { cwd: join(tmp, 'config-in-model') });
    expect(text.stderr).toContain(`not reading ${join(model, '.modelsec.json')}`);
  });

  it("the user's config applies: --config, MODELSEC_CONFIG, the working directory's when it is outside the scan", async () => {
    const userConfig = write(
      'config-in-model/user.json',
      JSON.stringify({ scan: { suppressions: [{ ruleId: 'MS-PKL-001', sha256, reason: 'reviewed this exact file' }] } }),
    );
    const flag = await runCli(['scan', weights, '--config', userConfig, '--format', 'json'], { cwd: model });
    expect(flag.code).toBe(0);
    expect(flag.json<CliReport>().files[0]?.findings.find((f) => f.ruleId === 'MS-PKL-001')?.suppressed).toEqual({
      reason: 'reviewed this exact file',
    });
    const env = await runCli(['scan', weights], { cwd: model, env: { MODELSEC_CONFIG: userConfig } });
    expect(env.code).toBe(0);
    // The working directory upward, when it is not inside a scanned path.
    write('config-in-model/work/.modelsec.json', JSON.stringify(JSON.parse(await readText(userConfig))));
    const upward = await runCli(['scan', weights], { cwd: join(tmp, 'config-in-model', 'work') });
    expect(upward.code).toBe(0);
    expect(upward.stdout).toContain('suppressed: reviewed this exact file');
  });

  it('a suppression pinned to a sha256 does not match another file with the same name', async () => {
    const other = write('config-in-model/other/weights.pkl', concat(OS_SYSTEM_PICKLE.subarray(0, -1), latin1('0N.')));
    const userConfig = write(
      'config-in-model/pinned.json',
      JSON.stringify({ scan: { suppressions: [{ ruleId: 'MS-PKL-001', path: '**/weights.pkl', sha256, reason: 'r' }] } }),
    );
    expect((await runCli(['scan', weights, '--config', userConfig])).code).toBe(0);
    const run = await runCli(['scan', other, '--config', userConfig, '--format', 'json']);
    expect(run.code).toBe(1);
    expect(run.json<CliReport>().files[0]?.findings.find((f) => f.ruleId === 'MS-PKL-001')?.suppressed).toBeUndefined();
  });
});

async function readText(path: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(path, 'utf8');
}

describe('symlink leaving the root', () => {
  const outside = write('links/outside/payload.pkl', OS_SYSTEM_PICKLE);
  const root = join(tmp, 'links', 'model');
  write('links/model/config.json', '{"model_type":"tiny"}');
  symlinkSync(outside, join(root, 'pytorch_model.bin'));
  symlinkSync('../../nowhere/secret', join(root, 'dangling-outside.bin'));
  symlinkSync('missing-inside.bin', join(root, 'dangling-inside.bin'));

  it('is a high finding (MS-ENG-007) naming the target, never followed nor dropped', async () => {
    const run = await runCli(['scan', root, '--format', 'json']);
    expect(run.code).toBe(1);
    const report = run.json<CliReport>();
    const byName = Object.fromEntries(report.files.map((f) => [f.path.slice(root.length + 1), f]));
    expect(Object.keys(byName)).toEqual(['config.json', 'dangling-inside.bin', 'dangling-outside.bin', 'pytorch_model.bin']);
    const link = byName['pytorch_model.bin'];
    expect(link?.symlink).toEqual({ target: outside, leavesRoot: true });
    expect(link?.findings.map((f) => `${f.ruleId}:${f.severity}`)).toEqual(['MS-ENG-007:high']);
    // The target was not read: its os.system is not in the report, and the digest is that of the link text.
    expect(link?.sha256).toBe(createHash('sha256').update(outside).digest('hex'));
    expect(byName['dangling-outside.bin']?.findings.map((f) => `${f.ruleId}:${f.severity}`)).toEqual(['MS-ENG-007:high']);
    expect(byName['dangling-inside.bin']?.findings.map((f) => `${f.ruleId}:${f.severity}`)).toEqual(['MS-ENG-007:low']);
    expect(report.gate.failures.map((f) => f.path.slice(root.length + 1))).toEqual(['dangling-outside.bin', 'pytorch_model.bin']);
  });

  it('--max-file-size applies to what is read (the target), not to the link', async () => {
    const dir = join(tmp, 'links', 'sizes');
    write('links/sizes/big.safetensors', new Uint8Array(4096));
    symlinkSync('big.safetensors', join(dir, 'alias.safetensors'));
    const run = await runCli(['scan', dir, '--format', 'json', '--max-file-size', '1000']);
    const report = run.json<CliReport>();
    expect(report.files.map((f) => [f.path.slice(dir.length + 1), f.size, rulesOf(f).join(',')])).toEqual([
      ['alias.safetensors', 4096, 'MS-ENG-003'],
      ['big.safetensors', 4096, 'MS-ENG-003'],
    ]);
    expect(report.files[0]?.symlink).toEqual({ target: `${dir}/big.safetensors` });
    expect(run.code).toBe(1);
  });
});

describe('a Hugging Face cache snapshot scanned as a local directory', () => {
  // huggingface_hub's layout: <cache>/models--ORG--NAME/{blobs/<etag>, snapshots/<commit>/<name> -> ../../blobs/<etag>}.
  const repo = join(tmp, 'hub-cache', 'models--org--tiny');
  const snapshot = join(repo, 'snapshots', '0123abcd');
  write('hub-cache/models--org--tiny/blobs/aaa', '{"model_type":"tiny"}');
  write('hub-cache/models--org--tiny/blobs/bbb', OS_SYSTEM_PICKLE);
  write('hub-cache/models--org--other/blobs/ccc', '{"model_type":"other"}');
  write('hub-cache/models--org--tiny/snapshots/0123abcd/README.md', '# tiny\n');
  symlinkSync('../../blobs/aaa', join(snapshot, 'config.json'));
  mkdirSync(join(snapshot, 'sub'));
  symlinkSync('../../../blobs/aaa', join(snapshot, 'sub', 'config.json'));

  it("links into the repository's own blobs/ are its files, read as their targets: clean stays clean", async () => {
    const run = await runCli(['scan', snapshot, '--format', 'json']);
    const report = run.json<CliReport>();
    expect(report.files.map((f) => [f.path.slice(snapshot.length + 1), rulesOf(f).join(',')])).toEqual([
      ['README.md', ''],
      ['config.json', ''],
      ['sub/config.json', ''],
    ]);
    expect(report.files[1]?.symlink).toEqual({ target: join(repo, 'blobs', 'aaa') });
    expect(run.code).toBe(0);
  });

  it("a payload blob is scanned through its link; a link to another repository's blobs still leaves the root", async () => {
    symlinkSync('../../blobs/bbb', join(snapshot, 'pytorch_model.bin'));
    symlinkSync('../../../models--org--other/blobs/ccc', join(snapshot, 'other.json'));
    try {
      const run = await runCli(['scan', snapshot, '--format', 'json']);
      const report = run.json<CliReport>();
      const byName = Object.fromEntries(report.files.map((f) => [f.path.slice(snapshot.length + 1), f]));
      expect(byName['pytorch_model.bin']?.findings.some((f) => f.severity === 'critical')).toBe(true);
      expect(byName['other.json']?.findings.map((f) => `${f.ruleId}:${f.severity}`)).toEqual(['MS-ENG-007:high']);
      expect(run.code).toBe(1);
    } finally {
      rmSync(join(snapshot, 'pytorch_model.bin'));
      rmSync(join(snapshot, 'other.json'));
    }
  });

  it('the same layout outside a snapshots/ directory gets no such allowance', async () => {
    const fake = join(tmp, 'hub-cache', 'not-a-cache', 'model');
    write('hub-cache/not-a-cache/blobs/aaa', '{"model_type":"tiny"}');
    mkdirSync(fake, { recursive: true });
    symlinkSync('../blobs/aaa', join(fake, 'config.json'));
    const run = await runCli(['scan', fake, '--format', 'json']);
    expect(run.json<CliReport>().files.map((f) => rulesOf(f).join(','))).toEqual(['MS-ENG-007']);
    expect(run.code).toBe(1);
  });
});

describe('an archive member that does not decompress is not clean', () => {
  it('a deflate stream corrupt from its first byte is incomplete (MS-ARC-003), as a cut one is', async () => {
    const zip = writeZip([{ name: 'archive/data.pkl', data: OS_SYSTEM_PICKLE, method: 'deflate' }]);
    const bytes = Uint8Array.from(zip);
    // The local header is 30 bytes plus the name; its first data byte 0xff is the reserved block type 3.
    bytes[30 + 'archive/data.pkl'.length] = 0xff;
    const file = write('corrupt-member/model.pt', bytes);
    const run = await runCli(['scan', file, '--format', 'json']);
    const report = run.json<CliReport>();
    expect(report.files[0]?.findings.map((f) => f.ruleId)).toContain('MS-ARC-003');
    expect(report.files[0]?.verdict).toBe('incomplete');
    expect(run.code).toBe(1);
  });
});

/** `depth` zips, each holding the next; the innermost holds the pickle. */
function nestedZips(depth: number, inner: Uint8Array): Uint8Array {
  let bytes = writeZip([{ name: 'payload.pkl', data: inner }]);
  for (let i = 1; i < depth; i++) bytes = writeZip([{ name: `level${depth - i}.zip`, data: bytes }]);
  return bytes;
}

describe('incomplete passes the default gate', () => {
  const deep = write('incomplete/nested-9-deep.zip', nestedZips(9, OS_SYSTEM_PICKLE));
  const unknown = write(
    'incomplete/unknown-container.bin',
    concat(
      latin1('MSCF\x00\x00'),
      Uint8Array.from({ length: 200 }, (_, i) => (i * 37) & 0xff),
    ),
  );

  it('a 9-deep zip around os.system: incomplete (MS-ENG-005), exit 1 by default, 0 only with --allow-incomplete', async () => {
    const run = await runCli(['scan', deep, '--format', 'json']);
    expect(run.code).toBe(1);
    const file = run.json<CliReport>().files[0];
    expect(file?.verdict).toBe('incomplete');
    expect(rulesOf(file as FileReport)).toContain('MS-ENG-005');
    expect((await runCli(['scan', deep, '--allow-incomplete'])).code).toBe(0);
    // One level less is fully inspected: the payload is found.
    const eight = await scanBytes(nestedZips(8, OS_SYSTEM_PICKLE), {}, 'nested-8-deep.zip');
    expect(rulesOf(eight)).toContain('MS-PKL-001');
  });

  it('an unknown container: incomplete, exit 1 by default; --allow-incomplete passes it, never a finding at high', async () => {
    const run = await runCli(['scan', unknown, '--format', 'json']);
    expect(run.code).toBe(1);
    expect(run.json<CliReport>().gate.failures).toEqual([
      { path: unknown, reason: 'incomplete', maxSeverity: 'medium', rules: ['MS-ENG-001'] },
    ]);
    expect((await runCli(['scan', unknown, '--allow-incomplete'])).code).toBe(0);
    const both = await runCli(['scan', unknown, join(tmp, 'config-in-model', 'model', 'weights.pkl'), '--allow-incomplete']);
    expect(both.code).toBe(1);
    expect(both.stdout).toMatch(/gate: FAIL/);
  });
});

/** Rewrites a zip's offsets as if `prefix` bytes came before it (what `zip -A` does to a self-extracting archive). */
function withPrefix(prefix: Uint8Array, zip: Uint8Array): Uint8Array {
  const out = concat(prefix, zip);
  const view = new DataView(out.buffer);
  const eocd = out.length - 22;
  const cdOffset = view.getUint32(eocd + 16, true);
  view.setUint32(eocd + 16, cdOffset + prefix.length, true);
  let pos = prefix.length + cdOffset;
  while (view.getUint32(pos, true) === 0x02014b50) {
    view.setUint32(pos + 42, view.getUint32(pos + 42, true) + prefix.length, true);
    pos += 46 + view.getUint16(pos + 28, true) + view.getUint16(pos + 30, true) + view.getUint16(pos + 32, true);
  }
  return out;
}

/** A ustar archive of regular files (what Python's tarfile writes, minus the PAX extras). */
function ustar(members: [string, Uint8Array | string][]): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const [name, content] of members) {
    const data = typeof content === 'string' ? latin1(content) : content;
    const header = new Uint8Array(512);
    header.set(latin1(name), 0);
    header.set(latin1('0000644\0'), 100);
    header.set(latin1('0000000\0'), 108);
    header.set(latin1('0000000\0'), 116);
    header.set(latin1(`${data.length.toString(8).padStart(11, '0')}\0`), 124);
    header.set(latin1('00000000000\0'), 136);
    header.set(latin1('        '), 148);
    header[156] = 0x30;
    header.set(latin1('ustar\x0000'), 257);
    const sum = header.reduce((a, b) => a + b, 0);
    header.set(latin1(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
    blocks.push(header, data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  return concat(...blocks);
}

describe('detection treated as a gate: the pickle reading catches what detection does not call a pickle', () => {
  const cases: { name: string; bytes: Uint8Array; detectedAs?: string }[] = [
    {
      // BININT2 then POP: a first opcode outside the usual protocol 0/1 start list.
      name: 'protocol-0-unusual-first-opcode.pkl',
      bytes: concat(latin1('M\x01\x000'), PROTO0_PAYLOAD),
    },
    {
      // BINFLOAT swallows bytes 1-8 (byte 8 is '{'), EMPTY_DICT is '}': bytes 0-9 read as a safetensors header start.
      name: 'pickle-looking-like-safetensors.safetensors',
      bytes: concat(latin1('G\x00\x00\x00\x00\x00\x00\x00{}00'), PROTO0_PAYLOAD),
      detectedAs: 'safetensors',
    },
    {
      // BINBYTES of 0x685a bytes whose length field starts 'Zh': the file opens with bz2's 'BZh'.
      name: 'pickle-looking-like-bz2.joblib',
      bytes: concat(latin1('BZh\x00\x00'), new Uint8Array(0x685a), latin1('0'), PROTO0_PAYLOAD),
      detectedAs: 'joblib',
    },
    {
      // 5,000 NONE/POP pairs before the payload: longer than any detection skim.
      name: 'long-skim-before-stop.pkl',
      bytes: concat(latin1('N0'.repeat(5000)), PROTO0_PAYLOAD),
    },
  ];
  for (const c of cases) {
    it(`${c.name}: critical, fails the gate`, async () => {
      // Detection may or may not be fooled (it was when these were found: `detectedAs`); the verdict must not depend on it.
      const detected = await detectFormat(memorySource(c.bytes), { name: c.name });
      if (c.detectedAs) expect([c.detectedAs, 'pickle']).toContain(detected);
      const report = await scanBytes(c.bytes, {}, c.name);
      expect(
        report.findings.some((f) => f.ruleId === 'MS-PKL-001' && f.severity === 'critical'),
        JSON.stringify(report),
      ).toBe(true);
      expect(caught(report)).toBe(true);
      // The same bytes inside an archive (a nested member) are read the same way.
      const zipped = await scanBytes(writeZip([{ name: `inner/${c.name}`, data: c.bytes }]), {}, `${c.name}.zip`);
      expect(zipped.findings.some((f) => f.ruleId === 'MS-PKL-001')).toBe(true);
    });
  }

  it('safetensors/pickle and zip/pickle polyglots: both readings reported (MS-ENG-006, high), the payload critical', async () => {
    const zipPickle = withPrefix(OS_SYSTEM_PICKLE, writeZip([{ name: 'config.json', data: '{"a":1}' }]));
    const report = await scanBytes(zipPickle, {}, 'model.keras');
    const polyglot = report.findings.find((f) => f.ruleId === 'MS-ENG-006');
    expect(polyglot?.severity).toBe('high');
    expect(polyglot?.evidence).toEqual({ readings: ['pickle', 'zip'] });
    expect(rulesOf(report)).toContain('MS-PKL-001');
    // The zip reading scans what zipfile finds behind the pickle: a payload there is caught too.
    const hidden = withPrefix(
      new PickleBuilder().proto(2).none().stop().bytes(),
      writeZip([{ name: 'archive/data.pkl', data: OS_SYSTEM_PICKLE }]),
    );
    const behind = await scanBytes(hidden, {}, 'prepended.pt');
    expect(rulesOf(behind)).toContain('MS-PKL-001');
    expect(behind.findings.find((f) => f.ruleId === 'MS-ENG-006')?.evidence).toEqual({ readings: ['pickle', 'pytorch-zip'] });
  });

  it('a zip appended to a tar is a second reading (polyglot); a checkpoint stored IN a tar is its member, not one', async () => {
    const checkpoint = writeZip([{ name: 'archive/data.pkl', data: new PickleBuilder().proto(2).none().stop().bytes() }]);
    const sagemaker = ustar([
      ['model.pth', checkpoint],
      ['code/inference.py', 'import torch\n'],
      ['code/requirements.txt', 'torch==2.3.1\n'],
    ]);
    const member = await scanBytes(sagemaker, {}, 'model.tar');
    expect(member.format).toBe('tar');
    expect(member.findings.filter((f) => f.ruleId === 'MS-ENG-006' || f.incomplete)).toEqual([]);
    const tarThenZip = withPrefix(
      ustar([['README.md', '# model\n']]),
      writeZip([{ name: 'archive/data.pkl', data: OS_SYSTEM_PICKLE }]),
    );
    const appended = await scanBytes(tarThenZip, {}, 'model.tar');
    expect(appended.format).toBe('tar');
    expect(rulesOf(appended)).toContain('MS-PKL-001');
    expect(appended.findings.find((f) => f.ruleId === 'MS-ENG-006')?.evidence).toEqual({ readings: ['tar', 'pytorch-zip'] });
  });

  it('benign twins: ordinary files whose bytes start like opcodes stay clean (CPython rejects them before any effect)', async () => {
    // An object-dtype .npy (its data is a pickle of ['cat', 'dog']) in an npz, as numpy.savez writes it.
    const header = "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }";
    const padded = header.padEnd(64 * Math.ceil((10 + header.length + 1) / 64) - 10 - 1, ' ');
    const npyObject = concat(
      latin1(`\x93NUMPY\x01\x00${String.fromCharCode(padded.length + 1, 0)}${padded}\n`),
      new PickleBuilder().proto(3).mark().unicode('cat').unicode('dog').raw('l.').bytes(),
    );
    const twins: Record<string, Uint8Array> = {
      // Detection's skim reads it to a STOP ("pickle"); CPython rejects it at byte 0 (TUPLE without MARK).
      'requirements.txt': latin1('torch==2.3.1\ntransformers>=4.40\nnumpy\n'),
      'modeling_tiny.py': latin1('import torch\nfrom torch import nn\n\nclass Tiny(nn.Module):\n    pass\n'),
      'configuration_tiny.py': latin1('class TinyConfig:\n    def __init__(self):\n        self.x = 1\n'),
      LICENSE: latin1('(c) 2024 The Authors. MIT License.\n'),
      'labels.csv': latin1('id,label\n0,cat\n1,dog\n'),
      'config.json': latin1('{"model_type": "tiny", "hidden_size": 8}'),
      'empty-object-array.npz': writeZip([{ name: 'arr_0.npy', data: npyObject }]),
      // A msgpack map of 2 (0x82) reads as EXT1: CPython's extension registry is empty, the unpickler raises there.
      'flax_model.msgpack': concat(
        Uint8Array.of(0x82, 0xa4),
        latin1('bert'),
        Uint8Array.of(0x81, 0xa1),
        latin1('w'),
        Uint8Array.of(0xc0, 0xa1),
        latin1('v'),
        Uint8Array.of(0x93, 0x01, 0x02, 0x03),
      ),
    };
    for (const [name, bytes] of Object.entries(twins)) {
      const report = await scanBytes(bytes, {}, name);
      expect(
        report.findings.filter((f) => f.ruleId.startsWith('MS-PKL') || f.ruleId === 'MS-ENG-006'),
        name,
      ).toEqual([]);
      expect(
        report.findings.filter((f) => atLeast(f.severity, 'high')),
        name,
      ).toEqual([]);
    }
  });
});
