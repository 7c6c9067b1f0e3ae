/**
 * Bypasses of the pickle family found by the probe of 2026-12-03 (issue 11), one fixture per class, scanned through
 * the engine entry the CLI uses (scanBytes) and judged by the default gate. Each hostile fixture was proven to run
 * its payload under CPython 3.11's `pickle.load` (and torch 1.13's `torch.load`, which unpickles a raw file's first
 * pickle as the legacy magic number) before the fix, while the default gate passed it; each benign twin was written
 * by the real library and stays clean. The payloads are pathlib methods that write files: since the probe of
 * 2026-12-04 those are dangerous names (EFFECTFUL_METHODS), so being reached by a call is MS-PKL-001.
 */
import { describe, expect, it } from 'vitest';
import { scanBytes } from '../../../packages/core/src/scan/engine.js';
import { DEFAULT_GATE, evaluateGate } from '../../../packages/core/src/scan/gate.js';
import { classifyGlobal } from '../../../packages/core/src/scan/pickle/globals.js';
import type { FileReport } from '../../../packages/core/src/scan/types.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

function lines(report: FileReport): string {
  return report.findings.map((f) => `${f.severity} ${f.ruleId} ${f.message}`).join('\n');
}

async function expectFails(bytes: Uint8Array, name: string, rule?: string): Promise<void> {
  const report = await scanBytes(bytes, {}, name);
  expect(evaluateGate([report], DEFAULT_GATE).pass, lines(report)).toBe(false);
  if (rule)
    expect(
      report.findings.map((f) => f.ruleId),
      lines(report),
    ).toContain(rule);
}

async function expectClean(bytes: Uint8Array, name: string): Promise<void> {
  const report = await scanBytes(bytes, {}, name);
  expect(
    report.findings.filter((f) => ['medium', 'high', 'critical'].includes(f.severity)),
    lines(report),
  ).toEqual([]);
  expect(evaluateGate([report], DEFAULT_GATE).pass, lines(report)).toBe(true);
}

/**
 * Class "instance-attribute-shadows-method": CPython looks the methods the load calls up on the INSTANCE, so a BUILD
 * that puts a callable in an object's `__dict__` under that method's name makes the load (or a callable given the
 * object) call it, with no REDUCE the scanner could see. The callable is a bound method of an allowlisted class
 * (`getattr(PosixPath(p), 'write_text')`, judged "data" while it is only held), so writing any file (a `.pth` in
 * site-packages: code on the next interpreter start) passed the gate as clean.
 */
describe('instance attributes that shadow the methods the load calls', () => {
  // ns = types.SimpleNamespace(); BUILD {'__setstate__': PosixPath('/tmp/pp/pwned1').write_text};
  // BUILD 'owned-by-setstate' -> load_build calls inst.__setstate__(state): the file is written.
  const SETSTATE = hex(
    '80048c0574797065738c0f53696d706c654e616d6573706163659329527d8c0c5f5f73657473746174655f5f8c086275696c74696e738c07676574' +
      '61747472938c07706174686c69628c09506f73697850617468938c0e2f746d702f70702f70776e65643185528c0a77726974655f74657874865273' +
      '628c116f776e65642d62792d7365747374617465622e',
  );
  // BUILD {'append': PosixPath('/tmp/pp/pwned2').write_text}; APPEND 'owned-by-append' -> do_append calls obj.append.
  const APPEND = hex(
    '80048c0574797065738c0f53696d706c654e616d6573706163659329527d8c06617070656e648c086275696c74696e738c0767657461747472938c' +
      '07706174686c69628c09506f73697850617468938c0e2f746d702f70702f70776e65643285528c0a77726974655f74657874865273628c0f6f776e' +
      '65642d62792d617070656e64612e',
  );
  // builtins.dict(ns) with ns.keys = PosixPath('/tmp/pp/pwned3').touch -> dict_update_arg calls ns.keys(): created.
  const KEYS = hex(
    '80048c086275696c74696e738c0464696374938c0574797065738c0f53696d706c654e616d6573706163659329527d8c046b6579738c086275696c' +
      '74696e738c0767657461747472938c07706174686c69628c09506f73697850617468938c0e2f746d702f70702f70776e65643385528c05746f7563' +
      '688652736285522e',
  );
  // torch._utils._rebuild_tensor_v2(ns, 0, (), (), False, OrderedDict()) with ns.untyped = PosixPath(p).touch and
  // ns.dtype = torch.float32 -> _rebuild_tensor calls storage.untyped(): created (then AttributeError on None).
  const ARGUMENT_METHOD = hex(
    '80048c0c746f7263682e5f7574696c738c125f72656275696c645f74656e736f725f763293288c0574797065738c0f53696d706c654e616d65737061' +
      '63659329527d8c07756e74797065648c086275696c74696e738c0767657461747472938c07706174686c69628c09506f73697850617468938c0e2f' +
      '746d702f70702f70776e65643485528c05746f7563688652738c0564747970658c05746f7263688c07666c6f617433329373624b00292989' +
      '8c0b636f6c6c656374696f6e738c0b4f7264657265644469637493295274522e',
  );

  it('a callable BUILD stores as __setstate__ is called by the next BUILD', async () => {
    await expectFails(SETSTATE, 'instance-attribute-setstate.pkl', 'MS-PKL-001');
  });
  it('a callable BUILD stores as append is called by APPEND', async () => {
    await expectFails(APPEND, 'instance-attribute-append.pkl', 'MS-PKL-001');
  });
  it('a callable BUILD stores as keys is called by dict(obj)', async () => {
    await expectFails(KEYS, 'instance-attribute-keys.pkl', 'MS-PKL-001');
  });
  it('a callable attribute of an argument is called by the callable it is given to', async () => {
    await expectFails(ARGUMENT_METHOD, 'instance-attribute-argument-method.pkl', 'MS-PKL-001');
  });
  it('benign twin: pickle.dumps(types.SimpleNamespace(lr=0.1, name="x", sizes=[1, 2]), 4) is clean', async () => {
    await expectClean(
      hex(
        '8004954e000000000000008c057479706573948c0f53696d706c654e616d6573706163659493942952947d94288c026c7294473fb999999999' +
          '999a8c046e616d65948c0178948c0573697a6573945d94284b014b026575622e',
      ),
      'simple-namespace.pkl',
    );
  });
});

/**
 * Class "setstate-calls-shadowed-method": a class whose Python `__setstate__` takes the state into `self.__dict__`
 * and then calls a method of self (torch's `Optimizer.__setstate__` calls `self._hook_for_profile()`) calls the
 * callable the state put there. Built by copyreg._reconstructor, so nothing the scanner saw was a call.
 */
describe('a __setstate__ that calls methods the state shadows', () => {
  // copyreg._reconstructor(torch.optim.sgd.SGD, object, None); BUILD {'_hook_for_profile':
  // PosixPath('/tmp/pp/pwned5').touch, 'defaults': {}} -> torch.load (legacy: the first pickle) created the file.
  const OPTIMIZER = hex(
    '80048c07636f70797265678c0e5f7265636f6e7374727563746f72938c0f746f7263682e6f7074696d2e7367648c03534744938c086275696c' +
      '74696e738c066f626a656374934e87527d8c115f686f6f6b5f666f725f70726f66696c658c086275696c74696e738c0767657461747472938c' +
      '07706174686c69628c09506f73697850617468938c0e2f746d702f70702f70776e65643585528c05746f7563688652738c0864656661756c74' +
      '737d73622e',
  );
  it('a callable stored as the method Optimizer.__setstate__ calls is called', async () => {
    await expectFails(OPTIMIZER, 'setstate-calls-optimizer.pt', 'MS-PKL-001');
  });
  it('benign twin: torch.save(torch.optim.Adam([Parameter(zeros(1))], lr=0.1)) (legacy format) is clean', async () => {
    await expectClean(
      hex(
        '80028a0a6cfc9c46f9206aa850192e80024de9032e80027d710028581000000070726f746f636f6c5f76657273696f6e71014de903580d' +
          '0000006c6974746c655f656e6469616e710288580a000000747970655f73697a657371037d710428580500000073686f727471054b0258' +
          '03000000696e7471064b0458040000006c6f6e6771074b0475752e800263746f7263682e6f7074696d2e6164616d0a4164616d0a710029' +
          '8171017d710228580800000064656661756c747371037d71042858020000006c727105473fb999999999999a5805000000626574617371' +
          '06473feccccccccccccd473feff7ced916872b86710758030000006570737108473e45798ee2308c3a580c0000007765696768745f6465' +
          '63617971094b005807000000616d7367726164710a8958080000006d6178696d697a65710b895807000000666f7265616368710c4e580a' +
          '00000063617074757261626c65710d89580e000000646966666572656e746961626c65710e8958050000006675736564710f8975580500' +
          '00007374617465711063636f6c6c656374696f6e730a64656661756c74646963740a7111635f5f6275696c74696e5f5f0a646963740a71' +
          '12857113527114580c000000706172616d5f67726f75707371155d71167d7117285806000000706172616d7371185d711963746f726368' +
          '2e5f7574696c730a5f72656275696c645f706172616d657465720a711a63746f7263682e5f7574696c730a5f72656275696c645f74656e' +
          '736f725f76320a711b2828580700000073746f72616765711c63746f7263680a466c6f617453746f726167650a711d5808000000383035' +
          '3234333834711e5803000000637075711f4b014e747120514b004b018571214b018571228963636f6c6c656374696f6e730a4f72646572' +
          '6564446963740a71232952712474712552712688682329527127877128527129616805473fb999999999999a680668076808473e45798e' +
          'e2308c3a68094b00680a89680b89680c4e680d89680e89680f89756175622e80025d7100580800000038303532343338347101612e0100' +
          '00000000000000000000',
      ),
      'optimizer-benign.pt',
    );
  });
});

/**
 * Class "callable-returned-by-a-call": a callable can reach those implicit calls as the RESULT of a call the scanner
 * did not read as handing it back: a partial built by `copyreg.__newobj__(partial, f, ...)`, `dict.get({'k': f},
 * 'k')`, `max([f])`. Each wrote its file under pickle.load while the scan was clean.
 */
describe('callables handed back by a call', () => {
  // ns.append = copyreg.__newobj__(functools.partial, PosixPath('/tmp/pp/pwned7').write_text, 'pwned...'); APPEND None
  const NEWOBJ_PARTIAL = hex(
    '80048c0574797065738c0f53696d706c654e616d6573706163659329527d8c06617070656e648c07636f70797265678c0a5f5f6e65776f' +
      '626a5f5f938c0966756e63746f6f6c738c077061727469616c938c086275696c74696e738c0767657461747472938c07706174686c6962' +
      '8c09506f73697850617468938c0e2f746d702f70702f70776e65643785528c0a77726974655f7465787486528c1770776e65642d62792d' +
      '6e65776f626a2d7061727469616c875273624e612e',
  );
  // ns.append = builtins.dict.get({'k': PosixPath('/tmp/pp/pwned8').write_text}, 'k'); APPEND 'pwned-by-dict-get'
  const DICT_GET = hex(
    '80048c0574797065738c0f53696d706c654e616d6573706163659329527d8c06617070656e648c086275696c74696e738c076765746174' +
      '7472938c086275696c74696e738c0464696374938c0367657486527d8c016b8c086275696c74696e738c0767657461747472938c077061' +
      '74686c69628c09506f73697850617468938c0e2f746d702f70702f70776e65643885528c0a77726974655f746578748652738c016b8652' +
      '73628c1170776e65642d62792d646963742d676574612e',
  );
  // ns.__setstate__ = builtins.max([PosixPath('/tmp/pp/pwned9').write_text]); BUILD 'pwned-by-max'
  const MAX = hex(
    '80048c0574797065738c0f53696d706c654e616d6573706163659329527d8c0c5f5f73657473746174655f5f8c086275696c74696e738c' +
      '036d6178935d8c086275696c74696e738c0767657461747472938c07706174686c69628c09506f73697850617468938c0e2f746d702f70' +
      '702f70776e65643985528c0a77726974655f74657874865261855273628c0c70776e65642d62792d6d6178622e',
  );
  it('a partial built by copyreg.__newobj__ calls its function', async () => {
    await expectFails(NEWOBJ_PARTIAL, 'returned-callable-newobj-partial.pkl', 'MS-PKL-001');
  });
  it('dict.get hands back the callable stored under a constant key', async () => {
    await expectFails(DICT_GET, 'returned-callable-dict-get.pkl', 'MS-PKL-001');
  });
  it('max of one callable is that callable', async () => {
    await expectFails(MAX, 'returned-callable-max.pkl', 'MS-PKL-001');
  });
});

/**
 * Class "fix-imports-table": below protocol 3 find_class maps names through `_compat_pickle`; the scanner's copy
 * lacked 25 module and 75 name mappings (`_socket.fromfd` is `socket.fromfd`, `urllib.urlopen` is
 * `urllib.request.urlopen`), and private modules behind dangerous ones (`_socket`, `_ctypes`, `_imp`, `_pyio`...)
 * were not dangerous, so the judged name was not the one loaded.
 */
describe('fix_imports as CPython 3.11 applies it', () => {
  it('maps every Python 2 name to the module CPython loads, and judges that', () => {
    expect(classifyGlobal('_socket', 'fromfd', { protocol: 2 })).toMatchObject({ verdict: 'dangerous', name: 'socket.fromfd' });
    expect(classifyGlobal('urllib', 'urlopen', { protocol: 2 })).toMatchObject({ verdict: 'dangerous' });
    expect(classifyGlobal('exceptions', 'ValueError', { protocol: 2 })).toMatchObject({ verdict: 'call' });
    expect(classifyGlobal('_ctypes', 'dlopen', { protocol: 4 }).verdict).toBe('dangerous');
    expect(classifyGlobal('_frozen_importlib_external', 'SourceFileLoader', { protocol: 4 }).verdict).toBe('dangerous');
  });
});

/**
 * Class "mutator-calls-shadowed-method": the methods SETITEM(S), APPEND(S) and ADDITEMS call on an object that is not
 * a plain container are its class's Python `__setitem__`/`append`/`extend`/`add`, which may call methods of self
 * that a BUILD shadowed (torch's `ModuleDict.__setitem__` calls `self.add_module(key, module)`).
 */
describe('a __setitem__ that calls a method the state shadows', () => {
  // copyreg._reconstructor(ModuleDict, object, None); BUILD {'add_module': PosixPath('/tmp/pp/pwned10').write_text};
  // SETITEM 'pwned-by-setitem', None -> add_module(key, None) = write_text('pwned-by-setitem', None) (torch.load).
  const MODULE_DICT = hex(
    '80048c07636f70797265678c0e5f7265636f6e7374727563746f72938c1a746f7263682e6e6e2e6d6f64756c65732e636f6e7461696e65' +
      '728c0a4d6f64756c6544696374938c086275696c74696e738c066f626a656374934e87527d8c0a6164645f6d6f64756c658c086275696c' +
      '74696e738c0767657461747472938c07706174686c69628c09506f73697850617468938c0f2f746d702f70702f70776e6564313085528c' +
      '0a77726974655f74657874865273628c1070776e65642d62792d7365746974656d4e732e',
  );
  it('SETITEM on a ModuleDict calls the add_module the state stored', async () => {
    await expectFails(MODULE_DICT, 'mutator-calls-module-dict.pt', 'MS-PKL-001');
  });
});

/**
 * False alarm "legacy-module-persid": torch.save(module, _use_new_zipfile_serialization=False) stores a whole module's
 * class as the persistent id ('module', cls, source_file, source), which torch's legacy persistent_load returns as
 * the class; NEWOBJ of it was "NEWOBJ calls persid" (high) on every such checkpoint. The class is now what is judged.
 */
describe('whole modules saved in the legacy format', () => {
  it('benign twin: torch.save(torch.nn.Identity(), f, _use_new_zipfile_serialization=False) is clean', async () => {
    await expectClean(
      hex(
        '80028a0a6cfc9c46f9206aa850192e80024de9032e80027d710028581000000070726f746f636f6c5f76657273696f6e71014de903580d' +
          '0000006c6974746c655f656e6469616e710288580a000000747970655f73697a657371037d710428580500000073686f727471054b0258' +
          '03000000696e7471064b0458040000006c6f6e6771074b0475752e80022858060000006d6f64756c65710063746f7263682e6e6e2e6d6f' +
          '64756c65732e6c696e6561720a4964656e746974790a710158390000002f7573722f6c69622f707974686f6e332f646973742d7061636b' +
          '616765732f746f7263682f6e6e2f6d6f64756c65732f6c696e6561722e7079710258e5020000636c617373204964656e74697479284d6f' +
          '64756c65293a0a20202020722222224120706c616365686f6c646572206964656e74697479206f70657261746f72207468617420697320' +
          '617267756d656e742d696e73656e7369746976652e0a0a20202020417267733a0a2020202020202020617267733a20616e792061726775' +
          '6d656e742028756e75736564290a20202020202020206b77617267733a20616e79206b6579776f726420617267756d656e742028756e75' +
          '736564290a0a2020202053686170653a0a20202020202020202d20496e7075743a203a6d6174683a60282a29602c207768657265203a6d' +
          '6174683a602a60206d65616e7320616e79206e756d626572206f662064696d656e73696f6e732e0a20202020202020202d204f75747075' +
          '743a203a6d6174683a60282a29602c2073616d652073686170652061732074686520696e7075742e0a0a202020204578616d706c65733a' +
          '3a0a0a20202020202020203e3e3e206d203d206e6e2e4964656e746974792835342c20756e757365645f617267756d656e74313d302e31' +
          '2c20756e757365645f617267756d656e74323d46616c7365290a20202020202020203e3e3e20696e707574203d20746f7263682e72616e' +
          '646e283132382c203230290a20202020202020203e3e3e206f7574707574203d206d28696e707574290a20202020202020203e3e3e2070' +
          '72696e74286f75747075742e73697a652829290a2020202020202020746f7263682e53697a65285b3132382c2032305d290a0a20202020' +
          '2222220a20202020646566205f5f696e69745f5f2873656c662c202a617267733a20416e792c202a2a6b77617267733a20416e7929202d' +
          '3e204e6f6e653a0a20202020202020207375706572284964656e746974792c2073656c66292e5f5f696e69745f5f28290a0a2020202064' +
          '656620666f72776172642873656c662c20696e7075743a2054656e736f7229202d3e2054656e736f723a0a202020202020202072657475' +
          '726e20696e7075740a710374710451298171057d7106285808000000747261696e696e67710788580b0000005f706172616d6574657273' +
          '710863636f6c6c656374696f6e730a4f726465726564446963740a71092952710a58080000005f62756666657273710b68092952710c58' +
          '1b0000005f6e6f6e5f70657273697374656e745f627566666572735f736574710d635f5f6275696c74696e5f5f0a7365740a710e5d710f' +
          '857110527111580f0000005f6261636b776172645f686f6f6b73711268092952711358160000005f69735f66756c6c5f6261636b776172' +
          '645f686f6f6b71144e580e0000005f666f72776172645f686f6f6b73711568092952711658120000005f666f72776172645f7072655f68' +
          '6f6f6b73711768092952711858110000005f73746174655f646963745f686f6f6b73711968092952711a581a0000005f6c6f61645f7374' +
          '6174655f646963745f7072655f686f6f6b73711b68092952711c581b0000005f6c6f61645f73746174655f646963745f706f73745f686f' +
          '6f6b73711d68092952711e58080000005f6d6f64756c6573711f68092952712075622e80025d71002e',
      ),
      'identity-legacy.pt',
    );
  });
});
