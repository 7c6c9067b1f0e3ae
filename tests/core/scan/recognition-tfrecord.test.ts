/**
 * Issue 11 (probe of 2026-12-04): a TFRecord dataset shard (`tf.io.TFRecordWriter`, TFDS `train.tfrecord-00000-of-N`,
 * Kaggle TPU datasets) was 'format not recognised', incomplete, failing the default gate; only TensorBoard event files
 * (the same framing) were known. Any TFRecord is now recognised by its framing (the masked CRC-32C of each length and
 * of each record) and walked whole: records are data to `tf.data`. A record that opens like a pickle (pipelines that
 * `pickle.loads(record)` exist) is scanned as one; a file whose CRCs do not match is not a TFRecord (incomplete).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanPaths } from '@modelsec/core';
import { afterAll, describe, expect, it } from 'vitest';
import { maskedCrc32c } from '../../../packages/core/src/formats/structures/crc.js';

const root = mkdtempSync(join(tmpdir(), 'modelsec-tfrecord-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** One record as TFRecordWriter frames it: u64 length, masked CRC-32C of the length, data, masked CRC-32C of data. */
function record(data: Uint8Array): Buffer {
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(data.length));
  const crcs = Buffer.alloc(8);
  crcs.writeUInt32LE(maskedCrc32c(length), 0);
  crcs.writeUInt32LE(maskedCrc32c(data), 4);
  return Buffer.concat([length, crcs.subarray(0, 4), data, crcs.subarray(4)]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}
const field = (n: number, payload: Uint8Array) => Buffer.concat([Buffer.from([(n << 3) | 2]), varint(payload.length), payload]);

/** tf.train.Example{features{feature{"label": int64_list[label]}, feature{"text": bytes_list[text]}}}. */
function example(label: number, text: string): Buffer {
  const labelFeature = Buffer.concat([field(1, Buffer.from('label')), field(2, field(3, field(1, varint(label))))]);
  const textFeature = Buffer.concat([field(1, Buffer.from('text')), field(2, field(1, field(1, Buffer.from(text))))]);
  return field(1, Buffer.concat([field(1, labelFeature), field(1, textFeature)]));
}

/** posix.system('id') as pickle.dumps(protocol=2) writes it. */
const PICKLE = Buffer.from('\x80\x02cposix\nsystem\nX\x02\x00\x00\x00id\x85R.', 'latin1');

async function scanOne(name: string, bytes: Uint8Array) {
  const file = join(root, name);
  writeFileSync(file, bytes);
  const report = await scanPaths([file]);
  return report.files[0];
}

describe('TFRecord datasets', () => {
  it('a dataset shard of tf.train.Example records is recognised and clean', async () => {
    const shard = Buffer.concat(Array.from({ length: 40 }, (_, i) => record(example(i % 3, `sample text ${i}`))));
    const file = await scanOne('train.tfrecord-00000-of-00002', shard);
    expect([file?.format, file?.verdict, file?.findings]).toEqual(['tfrecord', 'clean', []]);
  });

  it('an empty record and raw image records are data too', async () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46]);
    const file = await scanOne('images.tfrecord', Buffer.concat([record(new Uint8Array(0)), record(jpeg)]));
    expect([file?.format, file?.verdict]).toEqual(['tfrecord', 'clean']);
  });

  it('a record that opens like a pickle is scanned as one: a payload in record 1 is critical', async () => {
    const file = await scanOne('pickled.tfrecord', Buffer.concat([record(example(1, 'a')), record(PICKLE)]));
    expect(file?.format).toBe('tfrecord');
    expect(file?.findings.map((f) => `${f.severity} ${f.ruleId} ${(f.location?.members ?? []).join('/')}`)).toEqual([
      expect.stringMatching(/^critical MS-PKL-001 .*record 1/),
    ]);
  });

  it('a record whose data CRC does not match is no TFRecord: incomplete, never clean', async () => {
    const bad = record(example(1, 'a'));
    bad.writeUInt8((bad.readUInt8(bad.length - 1) ^ 0xff) & 0xff, bad.length - 1);
    const file = await scanOne('bad.tfrecord', bad);
    expect(file?.verdict).toBe('incomplete');
  });

  it('a shard cut in the middle of its second record fails closed', async () => {
    const whole = Buffer.concat([record(example(1, 'a')), record(example(2, 'bbbbbbbbbbbbbbbb'))]);
    const file = await scanOne('cut.tfrecord', whole.subarray(0, whole.length - 5));
    expect(file?.verdict).toBe('incomplete');
  });
});
