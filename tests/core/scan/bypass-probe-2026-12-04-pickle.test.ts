/**
 * Bypasses (and one false alarm) of the pickle family found by the probe of 2026-12-04 (issue 11), one fixture per
 * class, scanned through the engine entry the CLI uses (scanBytes) and judged by the default gate. Each hostile
 * fixture was proven under CPython 3.11 (/usr/bin/python3, torch 1.13, numpy 1.24, joblib 1.2) with the loader
 * named beside it, while the default gate passed it before the fix; each benign twin was written by the real
 * library (or is the plain text file it stands for) and stays clean.
 */
import { describe, expect, it } from 'vitest';
import { scanBytes } from '../../../packages/core/src/scan/engine.js';
import { DEFAULT_GATE, evaluateGate } from '../../../packages/core/src/scan/gate.js';
import { sideFileEscapes } from '../../../packages/core/src/scan/handlers/joblib-reading.js';
import { runPickle } from '../../../packages/core/src/scan/pickle/vm.js';
import type { FileReport } from '../../../packages/core/src/scan/types.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const text = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

function lines(report: FileReport): string {
  return report.findings.map((f) => `${f.severity} ${f.ruleId} ${f.message}`).join('\n');
}

async function expectFails(bytes: Uint8Array, name: string, rule?: string): Promise<FileReport> {
  const report = await scanBytes(bytes, {}, name);
  expect(evaluateGate([report], DEFAULT_GATE).pass, lines(report)).toBe(false);
  if (rule)
    expect(
      report.findings.map((f) => f.ruleId),
      lines(report),
    ).toContain(rule);
  return report;
}

async function expectClean(bytes: Uint8Array, name: string): Promise<FileReport> {
  const report = await scanBytes(bytes, {}, name);
  expect(
    report.findings.filter((f) => ['medium', 'high', 'critical'].includes(f.severity)),
    lines(report),
  ).toEqual([]);
  expect(evaluateGate([report], DEFAULT_GATE).pass, lines(report)).toBe(true);
  return report;
}

/**
 * Class "effectful-bound-method-in-graph": an attribute of an allowlisted class was data while only held, so a bound
 * `PosixPath(p).touch` / `.unlink` stored in an instance `__dict__` under a method name the user calls after the
 * load (`obj.eval()`) passed clean, and ran on the file's own path. Methods that write, move or delete files (or
 * evaluate) are now dangerous names wherever they are held (EFFECTFUL_METHODS, globals.ts).
 */
describe('a bound file-writing method stored in the loaded object graph', () => {
  // types.SimpleNamespace() BUILD {'eval': getattr(PosixPath('/tmp/pp3/outA'), 'touch')};
  // proven: o = pickle.load(f); o.eval() created /tmp/pp3/outA.
  const TOUCH = hex(
    '80048c0574797065738c0f53696d706c654e616d657370616365932874527d288c046576616c8c086275696c74696e738c07676574617474' +
      '7293288c07706174686c69628c09506f7369785061746893288c0d2f746d702f7070332f6f75744174528c05746f756368745275622e',
  );
  // Same with getattr(PosixPath('/tmp/pp3/victimA2'), 'unlink'); proven: o.eval() deleted the file.
  const UNLINK = hex(
    '80048c0574797065738c0f53696d706c654e616d657370616365932874527d288c046576616c8c086275696c74696e738c07676574617474' +
      '7293288c07706174686c69628c09506f7369785061746893288c112f746d702f7070332f76696374696d413274528c06756e6c696e6b74' +
      '5275622e',
  );
  // The unbound function as a protocol 4 dotted global: STACK_GLOBAL('pathlib', 'Path.touch') stored as 'eval'.
  const DOTTED = hex(
    '80048c0574797065738c0f53696d706c654e616d657370616365932874527d288c046576616c8c07706174686c69628c0a506174682e746f' +
      '7563689375622e',
  );
  it('a bound Path.touch held as an attribute is a dangerous reference', async () => {
    await expectFails(TOUCH, 'bound-touch.pkl', 'MS-PKL-002');
  });
  it('a bound Path.unlink held as an attribute is a dangerous reference', async () => {
    await expectFails(UNLINK, 'bound-unlink.pkl', 'MS-PKL-002');
  });
  it('pathlib.Path.touch named by a dotted global is a dangerous reference', async () => {
    await expectFails(DOTTED, 'dotted-touch.pkl', 'MS-PKL-002');
  });
  it('benign twin: pickle.dumps({"path": PosixPath("/data/x.csv"), "parts": [PurePosixPath("a/b")]}, 4) is clean', async () => {
    await expectClean(
      hex(
        '80049566000000000000007d94288c0470617468948c07706174686c6962948c09506f736978506174689493948c012f948c0464617461' +
          '948c05782e63737694879452948c057061727473945d9468028c0d50757265506f736978506174689493948c0161948c016294869452' +
          '9461752e',
      ),
      'paths.pkl',
    );
  });
});

/**
 * False alarm "label-file-missing-name": a plain label file `cos\nsin\ntan\n` reads as protocol 0 GLOBAL os.sin and
 * then breaks; it was high (os is a dangerous module). CPython: find_class finds `os` in sys.modules (no import runs)
 * and getattr raises AttributeError: the load fails at that opcode, before anything is called (proven:
 * pickle.load raises "Can't get attribute 'sin' on <module 'os'>"). A stream that only imports a name an
 * already-imported module does not have is now MS-PKL-014 (low); an existing dangerous name cut short, a module
 * whose import may run code, and a call before the break stay findings.
 */
describe('label files that read as an import of a missing name', () => {
  it('benign: "cos\\nsin\\ntan\\n" (os.sin does not exist) is clean', async () => {
    const report = await expectClean(text('cos\nsin\ntan\n'), 'labels.txt');
    expect(report.findings.map((f) => f.ruleId)).toContain('MS-PKL-014');
  });
  it('benign: "csys\\nfoo\\nbar\\n" and protocol 0 dotted "cos\\npath.join\\n" are clean', async () => {
    await expectClean(text('csys\nfoo\nbar\n'), 'labels2.txt');
    await expectClean(text('cos\npath.join\nx\n'), 'labels3.txt');
  });
  it('twin: an existing dangerous name cut short stays high (builtins.eval, then truncated)', async () => {
    await expectFails(text('cbuiltins\neval\n('), 'cut-short.txt', 'MS-PKL-002');
  });
  it('twin: a module not imported before the load stays high (subprocess.Popen, then a break)', async () => {
    await expectFails(text('csubprocess\nPopen\nx\n'), 'cut-short-2.txt', 'MS-PKL-002');
  });
  it('twin: a call before the break is critical (os.system("id"), then os.sin)', async () => {
    // proven: pickle.load ran `id` and then raised AttributeError on os.sin.
    await expectFails(text('cos\nsystem\n(S"id"\ntRcos\nsin\n'), 'call-then-break.txt', 'MS-PKL-001');
  });
});

/**
 * Class "builtin-dunder-calls-shadowed-method": a data-only builtin the pickle calls (str, len, list, set, sorted,
 * int, bytes...) runs type-level methods of its argument; where the class writes one in Python and it calls a method
 * of self (torch's `Module.__repr__` calls `self.extra_repr()`), the instance attribute BUILD stored under that name
 * is called, at load. Only the dunders the load itself calls on stored values (__setstate__, __setitem__...) were
 * judged; the callable was "referenced" (a non-allowlisted function: medium, passing the gate). The generated table
 * (scripts/gen-pickle-setstate-calls.py) now covers those dunders, and BUILTIN_DUNDERS names which builtin calls
 * which.
 */
describe('a builtin that runs a dunder which calls a method the state shadows', () => {
  // builtins.str(copyreg._reconstructor(torch.nn.modules.linear.Identity, object, None) BUILD {'training': True,
  // '_parameters': {}, '_buffers': {}, '_modules': {}, 'extra_repr': turtle.write_docstringdict}); proven:
  // pickle.load (and torch.load, before its magic-number check) wrote ./turtle_docstringdict.py.
  const STR_EXTRA_REPR = hex(
    '80048c086275696c74696e738c0373747293288c07636f70797265678c0e5f7265636f6e7374727563746f7293288c17746f7263682e6e' +
      '6e2e6d6f64756c65732e6c696e6561728c084964656e74697479938c086275696c74696e738c066f626a656374934e74527d288c087472' +
      '61696e696e67888c0b5f706172616d65746572737d8c085f627566666572737d8c085f6d6f64756c65737d8c0a65787472615f72657072' +
      '8c06747572746c658c1377726974655f646f63737472696e676469637493756274522e',
  );
  it('a callable computed at load time (dict.get bound to a constant dict) stored as extra_repr is high', async () => {
    // extra_repr = getattr({'k': turtle.write_docstringdict}, 'get')('k'): a value the scanner cannot name, which
    // Module.__repr__ calls (self-called names are now told apart from `self.name.x(...)` ones in the table).
    // proven: pickle.load wrote ./turtle_docstringdict.py.
    await expectFails(
      hex(
        '80048c086275696c74696e738c0373747293288c07636f70797265678c0e5f7265636f6e7374727563746f7293288c17746f7263682e6e' +
          '6e2e6d6f64756c65732e6c696e6561728c084964656e74697479938c086275696c74696e738c066f626a656374934e74527d288c087472' +
          '61696e696e67888c0b5f706172616d65746572737d8c085f627566666572737d8c085f6d6f64756c65737d8c0a65787472615f72657072' +
          '8c086275696c74696e738c076765746174747293287d288c016b8c06747572746c658c1377726974655f646f63737472696e6764696374' +
          '93758c036765747452288c016b7452756274522e',
      ),
      'str-extra-repr-computed.pkl',
      'MS-PKL-003',
    );
  });
  it('str(module) calls the extra_repr the state stored', async () => {
    const report = await expectFails(STR_EXTRA_REPR, 'str-extra-repr.pkl', 'MS-PKL-003');
    expect(lines(report)).toContain('extra_repr');
  });
  it('benign twin: pickle.dumps(torch.nn.Sequential(Identity(), ReLU()), 4) is clean', async () => {
    await expectClean(
      hex(
        '80049574020000000000008c1a746f7263682e6e6e2e6d6f64756c65732e636f6e7461696e6572948c0a53657175656e7469616c94939429' +
          '81947d94288c08747261696e696e6794888c0b5f706172616d6574657273948c0b636f6c6c656374696f6e73948c0b4f7264657265644469' +
          '63749493942952948c085f627566666572739468092952948c1b5f6e6f6e5f70657273697374656e745f627566666572735f736574948f94' +
          '8c0f5f6261636b776172645f686f6f6b739468092952948c165f69735f66756c6c5f6261636b776172645f686f6f6b944e8c0e5f666f7277' +
          '6172645f686f6f6b739468092952948c125f666f72776172645f7072655f686f6f6b739468092952948c115f73746174655f646963745f68' +
          '6f6f6b739468092952948c1a5f6c6f61645f73746174655f646963745f7072655f686f6f6b739468092952948c1b5f6c6f61645f73746174' +
          '655f646963745f706f73745f686f6f6b739468092952948c085f6d6f64756c6573946809295294288c0130948c17746f7263682e6e6e2e6d' +
          '6f64756c65732e6c696e656172948c084964656e746974799493942981947d942868058868066809295294680b6809295294680d8f94680f' +
          '680929529468114e68126809295294681468092952946816680929529468186809295294681a6809295294681c680929529475628c013194' +
          '8c1b746f7263682e6e6e2e6d6f64756c65732e61637469766174696f6e948c0452654c559493942981947d94286805886806680929529468' +
          '0b6809295294680d8f94680f680929529468114e68126809295294681468092952946816680929529468186809295294681a680929529468' +
          '1c68092952948c07696e706c616365948975627575622e',
      ),
      'sequential.pkl',
    );
  });
});

/**
 * Class "del-calls-shadowed-method": an object's `__del__` runs when it is collected, whatever the user does with it;
 * numpy's `NpzFile.__del__` calls `self.close()`, so a callable BUILD stored as `close` runs. The class itself is
 * not allowlisted (medium, instantiated) and the callable was only "referenced" (medium): the gate passed.
 */
describe('a __del__ that calls a method the state shadows', () => {
  // copyreg._reconstructor(numpy.lib.npyio.NpzFile, object, None) BUILD {'close': turtle.write_docstringdict};
  // proven: pickle.load(f) and numpy.load(f, allow_pickle=True) each wrote ./turtle_docstringdict.py when the
  // returned object was collected.
  const DEL_CLOSE = hex(
    '80048c07636f70797265678c0e5f7265636f6e7374727563746f7293288c0f6e756d70792e6c69622e6e7079696f8c074e707a46696c65' +
      '938c086275696c74696e738c066f626a656374934e74527d288c05636c6f73658c06747572746c658c1377726974655f646f6373747269' +
      '6e67646963749375622e',
  );
  it('the close that NpzFile.__del__ calls is judged called', async () => {
    const report = await expectFails(DEL_CLOSE, 'del-close.pkl', 'MS-PKL-003');
    expect(lines(report)).toContain('__del__');
  });
});

/**
 * Dict and set insertion hash their keys (`__hash__` of the key's class, which a Python class may write calling
 * self methods): the VM reports each object put in a dict or set as a key, for the judge to look that method up.
 */
describe('keys put in dicts and sets are reported as hashed', () => {
  // ({object(): 1}, frozenset([object()])): SETITEM, then FROZENSET (pickle.loads builds both).
  const KEYS = hex(
    '80047d8c086275696c74696e738c066f626a656374932874524b0173288c086275696c74696e738c066f626a6563749328745291862e',
  );
  it('SETITEM and FROZENSET of an object each report a hash', () => {
    const run = runPickle(KEYS);
    expect(run.events.filter((e) => e.type === 'hash').length).toBe(2);
  });
  it('string keys report none', () => {
    const run = runPickle(hex('80047d288c01614b018c01624b02752e'));
    expect(run.events.some((e) => e.type === 'hash')).toBe(false);
  });
});

/**
 * Class "joblib-side-file-outside-the-tree": joblib < 0.10's NDArrayWrapper makes joblib.load call
 * `numpy.load(os.path.join(dirname, filename), allow_pickle=True)`, which unpickles any file that is not an .npy/.npz.
 * The wrapper is allowlisted and the side-file name was collected but never reported, so a model naming an absolute
 * path (or `../..`, or a path computed at load time) ran a pickle that no scan of the repository reads, with the
 * model itself clean.
 */
describe('joblib legacy side files', () => {
  // copyreg._reconstructor(joblib.numpy_pickle_compat.NDArrayWrapper, object, None) BUILD {'filename':
  // '/tmp/pp3/evil/p.bin', 'subclass': numpy.ndarray, 'allow_mmap': False}; proven: joblib.load(model) ran the
  // os.system payload pickled in /tmp/pp3/evil/p.bin (then raised on the int it returned).
  const ABSOLUTE = hex(
    '80028c07636f70797265678c0e5f7265636f6e7374727563746f7293288c1a6a6f626c69622e6e756d70795f7069636b6c655f636f6d70' +
      '61748c0e4e44417272617957726170706572938c086275696c74696e738c066f626a656374934e74527d288c0866696c656e616d658c13' +
      '2f746d702f7070332f6576696c2f702e62696e8c08737562636c6173738c056e756d70798c076e646172726179938c0a616c6c6f775f6d' +
      '6d61708975622e',
  );
  // The same with filename = builtins.str('/tmp/pp3/evil/p.bin'): proven the same way.
  const COMPUTED = hex(
    '80028c07636f70797265678c0e5f7265636f6e7374727563746f7293288c1a6a6f626c69622e6e756d70795f7069636b6c655f636f6d70' +
      '61748c0e4e44417272617957726170706572938c086275696c74696e738c066f626a656374934e74527d288c0866696c656e616d658c08' +
      '6275696c74696e738c0373747293288c132f746d702f7070332f6576696c2f702e62696e74528c08737562636c6173738c056e756d7079' +
      '8c076e646172726179938c0a616c6c6f775f6d6d61708975622e',
  );
  it('a side file outside the directory is a second-stage pickle (high)', async () => {
    await expectFails(ABSOLUTE, 'model.joblib', 'MS-PKL-007');
  });
  it('a side file path computed at load time is high', async () => {
    await expectFails(COMPUTED, 'model.joblib', 'MS-PKL-007');
  });
  it('sideFileEscapes reads os.path.join as CPython does on POSIX and Windows', () => {
    for (const name of ['/etc/x', '\\\\host\\share\\x', 'C:x', 'c:\\x', '../x', 'a/../../x', 'a\\..\\x'])
      expect(sideFileEscapes(name), name).toBe(true);
    for (const name of ['model.pkl_01.npy', 'sub/model.npy', '..x', 'x..']) expect(sideFileEscapes(name), name).toBe(false);
  });
  // Hand-made in the layout joblib 0.9 wrote (NDArrayWrapper's __dict__ restored by BUILD); the side file
  // model.pkl_01.npy written by numpy.save; joblib 1.2 loads it (array([0., 1., 2.])).
  it('benign twin: a side file beside the model is low', async () => {
    const report = await expectClean(
      hex(
        '80028c07636f70797265678c0e5f7265636f6e7374727563746f7293288c1a6a6f626c69622e6e756d70795f7069636b6c655f636f6d70' +
          '61748c0e4e44417272617957726170706572938c086275696c74696e738c066f626a656374934e74527d288c0866696c656e616d658c10' +
          '6d6f64656c2e706b6c5f30312e6e70798c08737562636c6173738c056e756d70798c076e646172726179938c0a616c6c6f775f6d6d6170' +
          '8975622e',
      ),
      'model.pkl',
    );
    expect(report.findings.find((f) => f.ruleId === 'MS-PKL-007')?.severity).toBe('low');
  });
});

/**
 * Class "stored-pickle-first-opcode": bytes held in the state are scanned as a pickle another loader may run (a
 * class's `__setstate__` does: torch's `_DataPipeSerializationWrapper.__setstate__` is `pickle.loads(value)`), but
 * only when their first byte was one of eight opcodes a pickle usually starts with. A pickle needs no PROTO and may
 * open with any opcode (`I1\n0` pushes and pops an int), so `I1\n0cos\nsystem\n...` stored there ran unread.
 * Any opcode byte now opens the probe (the probe run decides).
 */
describe('pickles stored as bytes, whatever their first opcode', () => {
  // copyreg._reconstructor(torch.utils.data.datapipes.datapipe._DataPipeSerializationWrapper, object, None) BUILD
  // (b'I1\n0cos\nsystem\n(S"touch /tmp/pp3/outG"\ntR.', False); proven: pickle.load and torch.load (its first,
  // magic-number pickle) created /tmp/pp3/outG.
  const STORED = hex(
    '80048c07636f70797265678c0e5f7265636f6e7374727563746f7293288c23746f7263682e7574696c732e646174612e64617461706970' +
      '65732e64617461706970658c1d5f446174615069706553657269616c697a6174696f6e57726170706572938c086275696c74696e738c06' +
      '6f626a656374934e745228432a49310a30636f730a73797374656d0a285322746f756368202f746d702f7070332f6f757447220a74522e' +
      '8974622e',
  );
  it('a stored pickle opening with INT/POP is read and its os.system found', async () => {
    await expectFails(STORED, 'datapipe-wrapper.pkl', 'MS-PKL-001');
  });
  it('benign twin: pickle.dumps(_DataPipeSerializationWrapper(IterableWrapper([1, 2, 3])), 4) has no high finding', async () => {
    const report = await scanBytes(
      hex(
        '800495d0000000000000008c23746f7263682e7574696c732e646174612e6461746170697065732e6461746170697065948c1d5f446174' +
          '615069706553657269616c697a6174696f6e57726170706572949394298194437d80049572000000000000008c25746f7263682e757469' +
          '6c732e646174612e6461746170697065732e697465722e7574696c73948c1b4974657261626c6557726170706572497465724461746150' +
          '6970659493942981947d94288c086974657261626c65945d94284b014b024b03658c0864656570636f7079948875622e94898694622e',
      ),
      {},
      'datapipe-benign.pkl',
    );
    expect(
      report.findings.filter((f) => f.severity === 'high' || f.severity === 'critical'),
      lines(report),
    ).toEqual([]);
  });
});

/**
 * Class "partial-bound-callable": a partial's bound arguments (REDUCE/NEWOBJ arguments after the function, and the
 * `args`/`kwds` of its BUILD state) are handed to its function whenever it is called; only the function was judged,
 * so `partial(sorted)` BUILD `(sorted, (['/tmp/pp3/outH'],), {'key': f}, None)`, then called, ran f on the path
 * with f only "referenced" (a non-allowlisted function: medium). A callable among bound arguments is now called.
 */
describe('callables bound in a partial', () => {
  // proven: pickle.load wrote /tmp/pp3/outH.py (turtle.write_docstringdict(path) as the sort key).
  const BOUND_KEY = hex(
    '80048c0966756e63746f6f6c738c077061727469616c93288c086275696c74696e738c06736f72746564937452288c086275696c74696e' +
      '738c06736f7274656493285d288c0d2f746d702f7070332f6f75744865747d288c036b65798c06747572746c658c1377726974655f646f' +
      '63737472696e676469637493754e746229522e',
  );
  // The same partial built by copyreg.__newobj__(functools.partial, sorted); proven: /tmp/pp3/outH2.py written.
  const NEWOBJ_BOUND_KEY = hex(
    '80048c07636f70797265678c0a5f5f6e65776f626a5f5f93288c0966756e63746f6f6c738c077061727469616c938c086275696c74696e' +
      '738c06736f72746564937452288c086275696c74696e738c06736f7274656493285d288c0e2f746d702f7070332f6f7574483265747d28' +
      '8c036b65798c06747572746c658c1377726974655f646f63737472696e676469637493754e746229522e',
  );
  it('a key bound by the BUILD state is called', async () => {
    await expectFails(BOUND_KEY, 'partial-bound-key.pkl', 'MS-PKL-003');
  });
  it('the same through copyreg.__newobj__', async () => {
    await expectFails(NEWOBJ_BOUND_KEY, 'partial-newobj-bound-key.pkl', 'MS-PKL-003');
  });
  it('benign twin: pickle.dumps(partial(sklearn.metrics.fbeta_score, beta=2, average="macro"), 4) is clean', async () => {
    await expectClean(
      hex(
        '80049576000000000000008c0966756e63746f6f6c73948c077061727469616c9493948c1f736b6c6561726e2e6d6574726963732e5f63' +
          '6c617373696669636174696f6e948c0b66626574615f73636f726594939485945294286805297d94288c0462657461944b028c07617665' +
          '72616765948c056d6163726f94754e7494622e',
      ),
      'partial-fbeta.pkl',
    );
  });
});

/**
 * Class "build-state-object-items": pickle.py's load_build (the unpickler joblib.load subclasses) restores a state
 * with `for k, v in state.items()` whatever the state is (the C unpickler requires a dict), so a BUILD whose state is
 * an object calls that object's `items` attribute. Nothing judged a state object's attributes.
 */
describe('an object as a BUILD state under joblib.load', () => {
  // argparse.Namespace() BUILD (types.SimpleNamespace() BUILD {'items': turtle.write_docstringdict}); proven:
  // joblib.load wrote ./turtle_docstringdict.py (then raised: None is not iterable); pickle.load refuses the state.
  const STATE_ITEMS = hex(
    '80048c0861726770617273658c094e616d657370616365932874528c0574797065738c0f53696d706c654e616d65737061636593287452' +
      '7d288c056974656d738c06747572746c658c1377726974655f646f63737472696e6764696374937562622e',
  );
  it("the state's items attribute is called", async () => {
    await expectFails(STATE_ITEMS, 'state-items.pkl', 'MS-PKL-003');
  });
  it('benign twin: pickle.dumps(argparse.Namespace(lr=0.1, epochs=3, name="run"), 4) is clean', async () => {
    await expectClean(
      hex(
        '80049548000000000000008c086172677061727365948c094e616d6573706163659493942981947d94288c026c7294473fb99999999999' +
          '9a8c0665706f636873944b038c046e616d65948c0372756e9475622e',
      ),
      'namespace.pkl',
    );
  });
});

/**
 * False alarm "stored-random-bytes-incomplete": bytes stored in a pickle that merely begin like one (random data,
 * hashes, compressed blobs: about one in a few thousand random byte strings) were scanned as a nested pickle and how
 * that reading broke (MS-PKL-009, MS-ENG-001: incomplete) failed the default gate for the file holding them. Nothing
 * loads stored bytes during this load; what they would import or call is still reported.
 */
describe('random bytes stored in a pickle', () => {
  it('benign: pickle.dumps(368 random printable bytes opening with "}", 4) is clean', async () => {
    // bytes from numpy.random.default_rng(7) (values 9..126), the first of 10,000 that failed the gate.
    await expectClean(
      hex(
        '800495770100000000000042700100007d3252685f25392431357838380c1e0f4a384451126a3a58787d62622061462e7a1a65184c0e1b' +
          '3f450921777e6a58210d195e4e5e0a2f0f7c38444e575a3771100d5035273034213b291016741f6e2c3b6f251e63174f596724566e4d1b' +
          '1513333c3f3f431513454c5a5961673f12750d4b475b632d0e585a403564164e194d196c0f4e41697b7115196561416266253d38093c19' +
          '324e1826374b2317483c4d755c63476677372b596d3e2c33165f65711d412a160d1a62317b6e207c7e2e61546847171e2f4d1746140e77' +
          '5b6b0c6d4f340d202b6c64170f0c5829344a640f1f2b5c69604576320f322d7e0a200911366779775661266a581172141f33443e6d651b' +
          '0d6d1c1d3f5c197561334f12501610365772393f100f1a7b115a0c58580c6f5b79636e3525777135426b5b1c77571e6311514555415563' +
          '1c2e6432146e1f254f4f763c0b48226959610c10257154736d7e2128353c5d38287612624177265a122135106e577e496d52191f366194' +
          '2e',
      ),
      'random-blob.pkl',
    );
  });
  it('twin: stored bytes that call os.system before breaking stay critical', async () => {
    // pickle.dumps({'blob': b'cos\nsystem\n(S"id"\ntR\xff'}, 4): pickle.loads(blob) runs id, then raises.
    await expectFails(
      hex('80049523000000000000007d948c04626c6f62944315636f730a73797374656d0a2853226964220a7452ff94732e'),
      'stored-call-then-break.pkl',
      'MS-PKL-001',
    );
  });
});
