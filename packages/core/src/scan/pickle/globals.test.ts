import { describe, expect, it } from 'vitest';
import { PickleBuilder } from '#test-support/fixture-builders';
import { classifyGlobal } from './globals.js';
import { scanPickleStream } from './scan-pickle.js';

const verdict = (module: string, name: string, protocol = 4, allowed: string[] = []) =>
  classifyGlobal(module, name, { protocol, allowed }).verdict;

describe('classifyGlobal: exact names, no prefix allowlisting, no tail matching', () => {
  it('TorchScript list rebuilders are allowlisted, not matched against _pickle', () => {
    expect(verdict('torch.jit._pickle', 'build_intlist')).toBe('call');
  });
  it('a class of an allowlisted library is allowlisted by its exact name only', () => {
    expect(verdict('sklearn.linear_model._base', 'LinearRegression')).toBe('call');
    expect(verdict('sklearn.linear_model._base', 'not_a_real_name')).toBe('unknown');
    expect(verdict('sklearn.utils', 'made_up_helper')).toBe('unknown');
  });
  it('re-exports of dangerous functions under ML libraries resolve to them', () => {
    expect(classifyGlobal('sklearn.utils.discovery', 'import_module', { protocol: 4 })).toMatchObject({
      verdict: 'dangerous',
      name: 'importlib.import_module',
    });
    expect(verdict('torch', 'os.system')).toBe('dangerous');
    expect(verdict('torch', 'builtins.exec')).toBe('dangerous');
    expect(verdict('pathlib', 'os.system')).toBe('dangerous');
  });
  it('dunders and __main__ modules are dangerous', () => {
    expect(verdict('copyreg', '_reconstructor.__globals__')).toBe('dangerous');
    expect(verdict('numpy', 'ndarray.__class__.__subclasses__')).toBe('dangerous');
    expect(verdict('venv.__main__', 'x')).toBe('dangerous');
    expect(verdict('__main__', 'MyModel')).toBe('unknown');
  });
  it('attributes of allowlisted classes are data (enum members, bound methods); builtin methods are callable', () => {
    expect(verdict('transformers.trainer_utils', 'IntervalStrategy.STEPS')).toBe('data');
    expect(verdict('torch.optim.lr_scheduler', 'OneCycleLR._annealing_cos')).toBe('data');
    expect(verdict('builtins', 'str.lower')).toBe('call');
  });
  it('fix_imports applies below protocol 3 only', () => {
    expect(verdict('copy_reg', '_reconstructor', 2)).toBe('call');
    expect(verdict('copy_reg', '_reconstructor', 4)).toBe('unknown');
    expect(verdict('__builtin__', 'eval', 2)).toBe('dangerous');
    expect(verdict('__builtin__', 'eval', 4)).toBe('dangerous');
  });
  it('name patterns are confined and refuse names dangerous modules define', () => {
    expect(verdict('transformers.models.bert.modeling_bert', 'BertModel')).toBe('call');
    expect(verdict('transformers.models.bert.modeling_bert', 'Popen')).toBe('unknown');
    expect(verdict('transformers.models.bert.configuration_bert', 'BertConfig')).toBe('call');
  });
  it("the user's allowlist (never the model's) admits exact names or a module tree", () => {
    expect(verdict('mypkg.models', 'Net', 4, ['mypkg.*'])).toBe('call');
    expect(verdict('mypkg.models', 'Net', 4, ['mypkg.other'])).toBe('unknown');
  });
});

const scan = async (bytes: Uint8Array, strict = false) =>
  (await scanPickleStream(bytes, { config: { allowedGlobals: [], strict }, members: [], depth: 0 })).findings.map(
    (f) => `${f.ruleId} ${f.severity}${f.incomplete ? ' incomplete' : ''}`,
  );

describe('scanPickleStream: callables judged by what they do with their arguments', () => {
  const P = () => new PickleBuilder().proto(2);
  it('functools.partial is judged by the function it binds', async () => {
    const ok = P().global('functools', 'partial').global('numpy', 'clip').tuple1().reduce().stop().bytes();
    expect(await scan(ok)).toEqual([]);
    const bad = P().global('functools', 'partial').global('os', 'system').tuple1().reduce().stop().bytes();
    expect(await scan(bad)).toContain('MS-PKL-001 critical');
    const unknown = P().global('functools', 'partial').global('mypkg', 'helper').tuple1().reduce().stop().bytes();
    expect(await scan(unknown)).toEqual(['MS-PKL-003 high']);
  });
  it('a defaultdict factory is called later: judged as a call', async () => {
    const bad = P().global('collections', 'defaultdict').global('os', 'system').tuple1().reduce().stop().bytes();
    expect(await scan(bad)).toContain('MS-PKL-001 critical');
  });
  it('getattr with a dunder name is dangerous; with an unresolvable owner it is high', async () => {
    const dunder = P()
      .global('builtins', 'getattr')
      .global('copyreg', '_reconstructor')
      .unicode('__globals__')
      .tuple2()
      .reduce()
      .stop()
      .bytes();
    expect(await scan(dunder)).toContain('MS-PKL-002 high');
    const computed = P().global('builtins', 'getattr').global('os', 'path').unicode('x').tuple2().reduce().stop().bytes();
    expect((await scan(computed)).some((f) => f.startsWith('MS-PKL-00'))).toBe(true);
  });
  it('an unknown class: instantiated is medium (high with --strict), called is high', async () => {
    const built = P().global('mypkg.models', 'Net').emptyTuple().newobj().stop().bytes();
    expect(await scan(built)).toEqual(['MS-PKL-004 medium']);
    expect(await scan(built, true)).toEqual(['MS-PKL-004 high']);
    const called = P().global('mypkg.models', 'Net').emptyTuple().reduce().stop().bytes();
    expect(await scan(called)).toEqual(['MS-PKL-003 high']);
  });
  it('a loader given a path (data the file does not hold) is critical', async () => {
    const bytes = P().global('torch', 'load').unicode('/tmp/x.pt').tuple1().reduce().stop().bytes();
    expect(await scan(bytes)).toContain('MS-PKL-001 critical');
  });
  it('a nested pickle behind a codec this scanner cannot decode is incomplete, never silent', async () => {
    const bytes = P()
      .global('pickle', 'loads')
      .global('bz2', 'decompress')
      .binbytes(new Uint8Array([0x42, 0x5a, 0x68, 0x39]))
      .tuple1()
      .reduce()
      .tuple1()
      .reduce()
      .stop()
      .bytes();
    const findings = await scan(bytes);
    expect(findings).toContain('MS-PKL-010 medium incomplete');
    expect(findings).toContain('MS-PKL-001 critical');
  });
  it('builtins.type with three arguments creates a class: high', async () => {
    const bytes = P().global('builtins', 'type').unicode('X').emptyTuple().raw([0x7d]).tuple3().reduce().stop().bytes();
    expect(await scan(bytes)).toContain('MS-PKL-003 high');
  });
});
