/**
 * Bypasses found by the second 2026-12-04 probe of containers and non-pickle formats (issue 11), one fixture per
 * class, scanned through the engine entry the CLI uses (scanBytes) with the default gate. Each hostile fixture was
 * proven against its victim with /usr/bin/python3 (the library named at each class) while `modelsec scan` passed
 * it (exit 0) before the fix; each benign twin stays clean.
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decompressBounded } from '../../../packages/core/src/compression/index.js';
import { scanBytes } from '../../../packages/core/src/scan/engine.js';
import { DEFAULT_GATE, evaluateGate } from '../../../packages/core/src/scan/gate.js';
import { atLeast } from '../../../packages/core/src/scan/types.js';

type Expect = 'high' | 'critical' | 'incomplete' | 'clean';
const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const gz64 = (s: string): Uint8Array => new Uint8Array(gunzipSync(Buffer.from(s, 'base64')));

async function check(name: string, bytes: Uint8Array, expected: Expect, rule?: string): Promise<void> {
  const report = await scanBytes(bytes, {}, name);
  const lines = `${report.verdict}\n${report.findings.map((f) => `${f.ruleId} ${f.severity} ${f.message}`).join('\n')}`;
  const gate = evaluateGate([report], DEFAULT_GATE);
  if (expected === 'clean') {
    expect(
      report.findings.filter((f) => atLeast(f.severity, 'high')),
      lines,
    ).toEqual([]);
    expect(report.verdict, lines).not.toBe('incomplete');
    expect(gate.pass, lines).toBe(true);
    return;
  }
  expect(gate.pass, lines).toBe(false);
  if (expected === 'incomplete') expect(report.verdict, lines).toBe('incomplete');
  else
    expect(
      report.findings.some((f) => atLeast(f.severity, expected) && (rule === undefined || f.ruleId === rule)),
      lines,
    ).toBe(true);
}

describe('probe 2026-12-04b: Keras configs outside config.json embed TorchModuleWrapper payloads', () => {
  // Class "keras-embedded-outside-config-json": checkKerasConfig collects TorchModuleWrapper's base64 torch.save
  // bytes, but only templates.ts (config.json) scanned them; an HDF5 root model_config attribute (Keras 3's
  // legacy_h5_format deserializes it; TorchModuleWrapper is exported in keras.layers) and a SavedModel
  // keras_metadata.pb node's metadata passed clean. Proof (torch 1.13, h5py 3.7): the h5 was written with
  // h5py.File(...).attrs['model_config'] = json.dumps(config); reading it back and running what
  // TorchModuleWrapper.from_config runs, torch.load(io.BytesIO(base64.b64decode(config["module"])),
  // weights_only=False), created /tmp/pc4/pwned (payload: os.system('touch /tmp/pc4/pwned')).
  // Fixture: gzip of the 6144-byte h5; the benign twin wraps torch.save(nn.Linear(2, 2)).
  const EVIL_H5 =
    'H4sIAAAAAAACA+1Vb2/SQBwum0vIspmZ+EJ9tfS1IVgkDhMTr6VAJ/tTGINiDDvarlS60rWFwhbe6zfxo/it9O64Qku2OKOv9B7C3fX35/k9ba+/+1orV3a3X2xzGNks94jb45L4QcE9W7umuKBzhs5f6PxtI7ZvER9NR+wL/v3NdOJZQ5aT/Ot1GP5v1GRwiucOvc7S+ftGOi7eh6d/qe4Tul/X9/UOV6P1drmnSM3VyDCdnj5yL20L259nMiRzb6kpm9KnbK5uIpPie0z4hqYPg97E9AN75D6AbyvxUDYI33vqzxK+PtSHpmv8Fs8m23YMDP80qtJJPcPRhrDenxBued2BQdBz4ZXJv93nm+b12HRDGzr8y31+0e+Q/ZaPAwLzGnscOEO9Cxk+3vKoN44d4iRdLRf4em4c2k6QC0e+PuiRNaFLlTrDziOS2/ah55k+jvFNyw5C0zeNXwTeoS3C9tCHtgv7RFDoj01kMsKZRwIunREMCwIOW4luyUFZBABIwAL3QAWiArTO4WdYdYRuszTUOo1B3RX9vtyVypYI246X/o+ApBXEiS44ryX3uKgXGk5f9aagYrUwoVEtvdIEy6oXGqEulSLtRp3oNWPcbTemQDufAudwCmZFtRnpyhtwPT27UXFaHg8P0HsKwEFSr9DtHN7AdmncGCp1UElrPYo8UiffLbrnqgII9aKOSEsoUsx8En0IWgdExzEexHsUVCszTRh4xlVr0q1W8lqzGEFhiurIlMpS4tD1uuVonUyS8XjX/SCNVdFeJdSsozCVunpE0iooWC7zS7+ItGk1spTzYuLNA1AR66KqxXzSIr/cpBHv+Pn803zOrc7m5TmLUMihX+Ksje3ky0h8pxc7rFcxMDAwMDAwMDAwMPwZfgLwVp62ABgAAA==';
  const BENIGN_H5 =
    'H4sIAAAAAAACA+1XW2/jVBBOd1lUrVi0SDwAT1VeF1WJvdliJCRsx9dc2jiNbwgV3+IkvjZObCervsM/4WfwyF/hV8Acx0mTNLsUwQuQiazjnJn55jszc47tn/gm++L5F88rSE5PKx9UXla25fdSKp/t/S/lh3I8Kccfy/HnJ+v5Z4WudAf0Ff7Z013Ha4lhtvH34xzl/y08Q16hUS3/n5bjr0927dZ9ePUPxf2k7Nf9vv6owpfxXlQ+BTZBZDv+jRWFw7GL5j8/OSk8X244ne7w++30fhEnO3gfF3ieMzWSm9SZJuMofATes62kPCnwvi31pwWeaVieE9p/Cefpse2OcpT/tHD0ZfukUh4I++cTyNuq5RtJchMagVP9+qzad27nTjgbG371y7Pq6ryD+bfVtUHi3CKNbyzg7IKJ795W4Wyc+4WyONXOk6l1Pp+N/eR8Fk2t0U1xX8DthLpGyk7hq0yNOHamyGbquONk5kwd+08MD3DL0PxsaoxDwywIzaZzB6bs2SIuDIZ+ZMxwDJndkx4wSZMiSZImXfId0iMpgdRUcWJwPqb3CU9TpVE7pKYmo9NNlzIUP969IpLWcCm1gm7UDhrzdlBPdV5OdLUzNzl/rivsgvby2AzkkeXGOUkHlNVjCasnRErBg6pZAQt6sMWZ5ph124iIilMjmJ/pquRbYTenuO7ExPJEV7o1QyHmVhZfWQHoAtmTOH9ik3FO9f2+1dMAV0O4uK74ocFLOYV1ayYOa6IbQ1uVYpPvtFRc9LVQjk1OGlocu9CUum9z8oIOGWGzHp+o25yfQKwhxBnbip/oLFHTlcYS8Ib2RGhZPS9qsS6POFuFHxvqKtNaY9CenpgYWxusdb04p+suKgPZ4ZmOQnYQ14nFy3lzkDA2z1wOBgnZz8Q2Gel5s5bQ/YzjLIkWDXIQD0JGAps+jNdjzmVbspizgp2zaPRdBuFqgT+ycEY1yFFE993IIONoE1NlNIOst8lQyjmZbZNMQo9UxoAYrCXN1zEsiGHD6Kxj8K/tXGDFXFBljUZALAH50ANdFZdWX4yK3Pe7GpcVurmJNSCv8sLC/CXkdW5v2at41wd8T6sTw6IGPNTEJ4Z0CPNQR1Gu52Ik52JdzCG3V0U/YOJIw2Y49KanYqPUxGYQ1y/jxhrrFnFjq04EtpInB+zzVq2hNVd2AdRvDysvseoas2+DUwtdJiITI6aQ13mZo1ShULqpIdR9BGsc6qgP2Y1dVtrlChUVdiZHjKB/IB9sDfA8A3p5D3tR+iwVKnmfTwoxhwZHpAbezbtljbqyK6xytd6DoAtKXX21rwylMdRhL9q8vED6S6i/QqKiUSnsjV3dIKFtRZjDucHTzWXCC/gt2rJvUBiWapNZD/xWMQ8J5Nog0d7CRrEdDFId1qD1v8okT1BINn54lmyu28vBTCAW3pssTVuUcX1xO8EVouBxeZV6jQEKTBbN/jgetQM8cuCRvZ/HI67JRU9sXixS23pV8Gu7I2cpFFzox/LLyIttfnZQ7JvU9HS6m1F/j9/W1cniXj+zhJreCOXePUXgTZWPBIHekNqrN/UO8g/y2sgMLIc4TAl1v+7Xr15d+1L5nFnVZV/eoFZ88PxZUgfx5jR70XELEOEwHu0exmMP4u3npZk94KehNGzhYeg8Q88jyCFHje8deLcz23bcSh+zubvqbG49t7e2BG4av6rGgN16Mhe9RPW0NR6z8qf7JfY31bu77+/uKvffTpvvIBD8HH5b30Lr+eLNZes96pcPj++SRznKUY5ylH+P/AFou94uABgAAA==';
  // SavedMetadata { nodes { node_id 0; node_path "root"; identifier "_tf_keras_layer"; metadata <JSON> } },
  // the JSON a TorchModuleWrapper layer whose module is the same kind of torch.save payload.
  const KERAS_METADATA =
    'CtAFEAAaBHJvb3QiD190Zl9rZXJhc19sYXllciq0BXsiY2xhc3NfbmFtZSI6ICJUb3JjaE1vZHVsZVdyYXBwZXIiLCAicmVnaXN0ZXJlZF9uYW1lIjogIlRvcmNoTW9kdWxlV3JhcHBlciIsICJjb25maWciOiB7Im5hbWUiOiAidyIsICJtb2R1bGUiOiAiVUVzREJBQUFDQWdBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFRQUJJQVlYSmphR2wyWlM5a1lYUmhMbkJyYkVaQ0RnQmFXbHBhV2xwYVdscGFXbHBhV29BQ1kzQnZjMmw0Q25ONWMzUmxiUXB4QUZnVkFBQUFkRzkxWTJnZ0wzUnRjQzl3WXpRdmNIZHVaV1F5Y1FHRmNRSlNjUU11VUVzSENCUVF0akUxQUFBQU5RQUFBRkJMQXdRQUFBZ0lBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFEd0FPQUdGeVkyaHBkbVV2ZG1WeWMybHZia1pDQ2dCYVdscGFXbHBhV2xwYU13cFFTd2NJMFo1blZRSUFBQUFDQUFBQVVFc0JBZ0FBQUFBSUNBQUFBQUFBQUJRUXRqRTFBQUFBTlFBQUFCQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFHRnlZMmhwZG1VdlpHRjBZUzV3YTJ4UVN3RUNBQUFBQUFnSUFBQUFBQUFBMFo1blZRSUFBQUFDQUFBQUR3QUFBQUFBQUFBQUFBQUFBQUNGQUFBQVlYSmphR2wyWlM5MlpYSnphVzl1VUVzR0Jpd0FBQUFBQUFBQUhnTXRBQUFBQUFBQUFBQUFBZ0FBQUFBQUFBQUNBQUFBQUFBQUFIc0FBQUFBQUFBQTBnQUFBQUFBQUFCUVN3WUhBQUFBQUUwQkFBQUFBQUFBQVFBQUFGQkxCUVlBQUFBQUFnQUNBSHNBQUFEU0FBQUFBQUE9In19';

  it('an HDF5 model_config TorchModuleWrapper payload is critical, found in the decoded torch archive', async () => {
    await check('model.h5', gz64(EVIL_H5), 'critical', 'MS-PKL-001');
    const report = await scanBytes(gz64(EVIL_H5), {}, 'model.h5');
    const hit = report.findings.find((f) => f.ruleId === 'MS-PKL-001');
    expect(hit?.location.members?.join(' > ')).toMatch(/@model_config#\/config\/layers\/0\/config\/module.*archive\/data\.pkl/);
  });

  it('an HDF5 model_config wrapping an ordinary nn.Linear stays clean', async () => {
    await check('model.h5', gz64(BENIGN_H5), 'clean');
  });

  it('a keras_metadata.pb node metadata TorchModuleWrapper payload is critical', async () => {
    await check('keras_metadata.pb', b64(KERAS_METADATA), 'critical', 'MS-PKL-001');
  });
});

describe('probe 2026-12-04b: xz streams checked with SHA-256 are decoded', () => {
  // Class "xz-sha256-check": xz-decompress is XZ Embedded built without XZ_DEC_ANY_CHECK or SHA-256, so a stream
  // whose check id is 0x0A (`xz -C sha256`) failed at its header with XZ_OPTIONS_ERROR ("get_next_output failed
  // with error code 6") and its content was never judged (incomplete, also for real files). Such streams are now
  // rewritten to check None (compression/xz-check.ts) and decoded. Proof (/usr/bin/python3, joblib 1.x):
  // joblib.load of `xz -C sha256` of pickle.dumps(<os.system('touch /tmp/pc4/pwned3')>, protocol=2) created the
  // file; the benign twin is `xz -C sha256` of joblib.dump({'w': np.arange(4)}) and loads to that dict.
  const EVIL =
    'fd377a585a00000ae1fb0ca10200210116000000742fe5a3010034800263706f7369780a73797374656d0a71005815000000746f756368202f746d702f7063342f70776e65643371018571025271032e000000009ed21a2cc724035463d32df71a24c857c607ebbdcd4c09e9d4feddd6efc6e20000016535eaeebf6e189b4b9a01000000000a595a';
  const BENIGN =
    'fd377a585a00000ae1fb0ca10200210116000000742fe5a3e0010100cb5d0040010e7b04b4959b3a9eee4d018e77fcd971b23a02387a0a506101b8ec3809209059939741946d73a93f335a7de404af32c84d0a9b11fd373b78d172fa061810091bb1fe767244030939ca15ab00974a89638fd06e94caae4081bb66ac7c78b9f3ab3d545d5868f926c9514b589627f6a601c4e17251ee9e807b7abb2e4696b4cfa06d162f4dfaa07a9144bb09e2c275991d91afa5161eb411943e861cff06fbdea211c53e3b80d4840d75105bc1c5d2959e05217176c950c56bacd2f333201abb3bc2575955807922810000008f20a49f15f6b0867e2115bd6b62eed2515c91e83861cd996c051240f0199a490001ff01820200007ffc255eb6e9df1c02000000000a595a';
  // xz -C sha256 of 'hello sha256 ', 4 bytes of stream padding, xz -C crc64 of 'and crc64', the first stream again
  // (xz -dc prints 'hello sha256 and crc64hello sha256 ').
  const MIXED =
    'fd377a585a00000ae1fb0ca10200210116000000742fe5a301000c68656c6c6f20736861323536200000000030fa75de3222f4d9c7ca1a2d17f27e68713a04603c8e824fa6b69b99e9cc455000013d0d2881df34189b4b9a01000000000a595a00000000fd377a585a000004e6d6b4460200210116000000742fe5a3010008616e6420637263363400000000ecbcfa705196a20c000121096c18c5d51fb6f37d010000000004595afd377a585a00000ae1fb0ca10200210116000000742fe5a301000c68656c6c6f20736861323536200000000030fa75de3222f4d9c7ca1a2d17f27e68713a04603c8e824fa6b69b99e9cc455000013d0d2881df34189b4b9a01000000000a595a';

  it('a SHA-256-checked xz pickle payload is critical', async () => {
    await check('model.joblib.xz', hex(EVIL), 'critical', 'MS-PKL-001');
  });

  it('a SHA-256-checked joblib dump of a numpy array is clean', async () => {
    await check('model.joblib.xz', hex(BENIGN), 'clean');
  });

  it('concatenated streams mixing SHA-256 and CRC64 checks, with stream padding, decode as xz -dc does', async () => {
    const out = await decompressBounded('xz', hex(MIXED), 1024);
    expect(out.status).toBe('complete');
    expect(new TextDecoder().decode(out.bytes)).toBe('hello sha256 and crc64hello sha256 ');
  });

  it('a truncated SHA-256 stream (no footer to rewrite from) stays incomplete, never clean', async () => {
    const cut = hex(EVIL).subarray(0, 60);
    const out = await decompressBounded('xz', cut, 1024);
    expect(out.status).not.toBe('complete');
    await check('model.joblib.xz', cut, 'incomplete');
  });
});

describe('probe 2026-12-04b: a GGUF chat template read before the header fails is still judged', () => {
  // Class "gguf-finding-lost-on-failure": the reader threw on a truncation (or a repeated key, or a limit) after
  // the chat template and the handler judged nothing, so the file was only "could not be parsed" (medium): the
  // SSTI the template carries, rendered by whatever reads the complete file or the metadata as a stream, was not
  // reported. Templates are now collected as the reader meets them and judged beside the failure.
  // Fixture: GGUF v3, 1 tensor, 2 KVs (general.architecture 'llama', tokenizer.chat_template
  // "{{ cycler.__init__.__globals__.os.popen('id').read() }}"), cut inside the tensor info's name.
  const CUT =
    '474755460300000001000000000000000200000000000000140000000000000067656e6572616c2e6172636869746563747572650800000005000000000000006c6c616d611700000000000000746f6b656e697a65722e636861745f74656d706c6174650800000037000000000000007b7b206379636c65722e5f5f696e69745f5f2e5f5f676c6f62616c735f5f2e6f732e706f70656e2827696427292e726561642829207d7d0100000000';

  it('the template finding is critical and the file is still incomplete', async () => {
    await check('model.gguf', hex(CUT), 'critical', 'MS-GGUF-001');
    await check('model.gguf', hex(CUT), 'incomplete');
  });

  it('a benign template in a cut file is incomplete only (no template finding)', async () => {
    const bytes = hex(CUT);
    const benign = Buffer.from(bytes);
    const at = benign.indexOf('{{ cycler');
    benign.write("{{ messages[0]['content'] }}".padEnd(55, ' '), at);
    const report = await scanBytes(new Uint8Array(benign), {}, 'model.gguf');
    expect(report.verdict).toBe('incomplete');
    expect(report.findings.filter((f) => f.ruleId === 'MS-GGUF-001')).toEqual([]);
  });
});

describe('probe 2026-12-04b: ONNX Runtime in-memory external data tag', () => {
  // Class "onnx-ort-memory-address": a tensor whose external_data location is exactly "*/_ORT_MEM_ADDR_/*"
  // (onnxruntime kTensorProtoMemoryAddressTag) has its `offset` taken by GetExtDataFromTensorProto as a pointer
  // into the process: the model names memory for ORT to read as weights (disclosure through the outputs, or a
  // crash). It is neither absolute nor '..', so it passed clean. Proof by ORT source (tensorprotoutils.h/.cc; no
  // onnxruntime on this machine); fixture made with onnx 1.12 (helper.make_model, one Identity over an
  // initializer with location/offset 4096/length 16); the twin's location is 'weights.bin'.
  const ORT_MEM =
    '08083a6f0a100a017712017922084964656e746974791201672a47080410014201776a1e0a086c6f636174696f6e12122a2f5f4f52545f4d454d5f414444525f2f2a6a0e0a066f66667365741204343039366a0c0a066c656e677468120231367001620f0a0179120a0a08080112040a02080442021011';
  const RELATIVE =
    '08083a680a100a017712017922084964656e746974791201672a40080410014201776a170a086c6f636174696f6e120b776569676874732e62696e6a0e0a066f66667365741204343039366a0c0a066c656e677468120231367001620f0a0179120a0a08080112040a02080442021011';

  it('the in-memory tag is high', async () => {
    await check('model.onnx', hex(ORT_MEM), 'high', 'MS-ONNX-001');
  });

  it('a relative weights file stays clean', async () => {
    await check('model.onnx', hex(RELATIVE), 'clean');
  });
});

describe('probe 2026-12-04b: Keras metadata in a SavedModel object graph', () => {
  // Class "savedmodel-legacy-keras-metadata": tf_keras's SavedModel loader, when the directory has no
  // keras_metadata.pb, reads each Keras object's JSON from saved_model.pb itself (keras/saving/legacy/saved_model/
  // load.py, _read_legacy_metadata: object_graph_def.nodes[i].user_object.metadata, as TF < 2.5 saved it) and
  // revives Lambda layers from it. tf-savedmodel.ts judged graph ops only, so a Lambda with marshalled bytecode
  // there passed clean. Proof by the tf_keras source (no TensorFlow on this machine); fixture: SavedModel
  // { schema 1; meta_graphs { tags 'serve'; graph_def { node x NoOp }; object_graph_def { nodes { user_object
  // { identifier '_tf_keras_layer'; metadata <Lambda JSON, bytecode of lambda x: x> } } } } }; twin: a Dense layer.
  const EVIL =
    '08011281020a0722057365727665120b0a090a017812044e6f4f703ae8010ae50122e2010a0f5f74665f6b657261735f6c617965721ace017b22636c6173735f6e616d65223a20224c616d626461222c2022636f6e666967223a207b226e616d65223a20226c222c202266756e6374696f6e223a205b22347745414141414141414141414141414141454141414144414141415177414141484d454141414166414254414b6b4254716b4171514861415868794167414141484943414141412b67453862474674596d5268506745414141447a4141414141413d3d222c206e756c6c2c206e756c6c5d2c202266756e6374696f6e5f74797065223a20226c616d626461227d7d';
  const BENIGN =
    '0801126b0a0722057365727665120b0a090a017812044e6f4f703a530a51224f0a0f5f74665f6b657261735f6c617965721a3c7b22636c6173735f6e616d65223a202244656e7365222c2022636f6e666967223a207b226e616d65223a202264222c2022756e697473223a20327d7d';

  it('a Lambda layer in SavedUserObject.metadata is critical', async () => {
    await check('saved_model.pb', hex(EVIL), 'critical', 'MS-KERAS-001');
  });

  it('a Dense layer there stays clean', async () => {
    await check('saved_model.pb', hex(BENIGN), 'clean');
  });
});
