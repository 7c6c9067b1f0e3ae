/**
 * The legacy tar layout of torch.save, followed as torch.serialization's `legacy_load` reads it (through tarfile,
 * see scan/tar-listing.ts):
 *
 * - `storages`: a pickle (the count), then per storage a pickle `(key, location, storage_type)` followed by the raw
 *   storage (an 8-byte little-endian element count, then count x element size bytes, the size given by the storage
 *   type), then the `storage_views` pickle;
 * - `tensors`: a pickle (the count), then per tensor a pickle `(key, storage_id, type)` followed by ndim (4 bytes),
 *   4 skipped bytes, ndim sizes and ndim strides (8 bytes each) and the storage offset (8 bytes);
 * - `pickle`: one pickle, the object.
 *
 * Every pickle torch unpickles is scanned, at the offset torch reads it from (the raw data between them is skipped
 * by its real size, never searched). tarfile's `getmember` takes the LAST member of a name and follows links, so
 * every member of those names and every link target is read this way. All members are also scanned by content,
 * and the file itself through the stacked-pickle reading torch falls back to when tarfile refuses it.
 */
import type { ByteSource } from '../../formats/byte-source.js';
import { makeFinding } from '../pickle/findings.js';
import { MAX_PICKLE_BYTES } from '../pickle/limits.js';
import { runPickle } from '../pickle/vm.js';
import { stripTrailingSlashes, type TarMember } from '../tar-listing.js';
import type { FormatHandler, HandlerResult, ScanContext } from '../types.js';
import { type Collected, scanTarMembers, tarContent } from './archives.js';
import { LEGACY_PICKLE_COUNT, scanPickleIfEffective } from './pickle-support.js';

/** Pickles followed in one `storages` or `tensors` member (one per storage or tensor, plus two). */
export const MAX_LEGACY_RECORDS = 1_000_000;

/** Element size of each legacy storage class (torch.<Name>Storage, torch.cuda.<Name>Storage): `dtype.itemsize`. */
export const STORAGE_ELEMENT_SIZES: Readonly<Record<string, number>> = {
  DoubleStorage: 8,
  FloatStorage: 4,
  HalfStorage: 2,
  BFloat16Storage: 2,
  LongStorage: 8,
  IntStorage: 4,
  ShortStorage: 2,
  CharStorage: 1,
  ByteStorage: 1,
  BoolStorage: 1,
  ComplexDoubleStorage: 16,
  ComplexFloatStorage: 8,
  QUInt8Storage: 1,
  QInt8Storage: 1,
  QInt32Storage: 4,
  QUInt4x2Storage: 1,
  QUInt2x4Storage: 1,
};

const TORCH_MEMBERS = new Set(['storages', 'tensors', 'pickle']);

function u64(bytes: Uint8Array, at: number): bigint | undefined {
  if (at + 8 > bytes.length) return undefined;
  return new DataView(bytes.buffer, bytes.byteOffset + at, 8).getBigInt64(0, true);
}

/**
 * The element size of a `(key, location, storage_type)` record pickle, read from what torch unpacks: the third item
 * of the 3-tuple the pickle returns, a global torch.<Name>Storage (or a tensor type of the same dtype). Any other
 * shape is a record modelsec cannot size (a storage global elsewhere in the pickle, such as the key, is no size:
 * torch never reads it as one).
 */
function storageElementSize(bytes: Uint8Array, start: number): number | undefined {
  const result = runPickle(bytes, start).result;
  if (result?.kind !== 'tuple' || result.length !== 3 || result.items.length !== 3) return undefined;
  const type = result.items[2];
  if (type?.kind !== 'global' || (type.module !== 'torch' && type.module !== 'torch.cuda')) return undefined;
  const storage = storageClassOf(type.name);
  return storage === undefined ? undefined : STORAGE_ELEMENT_SIZES[storage];
}

/**
 * The storage class whose element size a storage-type global has. torch reads only `storage_type.dtype`, so a
 * tensor type (torch.FloatTensor, whose `dtype` is torch.float32) sizes the record as its storage class does.
 */
function storageClassOf(name: string): string | undefined {
  const storage = name.endsWith('Tensor') ? `${name.slice(0, -'Tensor'.length)}Storage` : name;
  return Object.hasOwn(STORAGE_ELEMENT_SIZES, storage) ? storage : undefined;
}

/**
 * Scans a `storages` or `tensors` member as legacy_load reads it. Each pickle is scanned where torch reads it; the
 * raw data after a record pickle is skipped by the sizes torch reads. Where torch's reading would fail (an unknown
 * storage type, data running past the member), torch stops and so does this reading.
 */
async function scanRecords(
  kind: 'storages' | 'tensors',
  data: Uint8Array,
  ctx: ScanContext,
  member: string[],
  out: Collected,
): Promise<void> {
  let offset = 0;
  for (let n = 0; offset < data.length; n++) {
    if (n >= MAX_LEGACY_RECORDS) {
      out.findings.push(
        makeFinding(
          'MS-PKL-010',
          `more than MAX_LEGACY_RECORDS (${MAX_LEGACY_RECORDS}) records in ${kind}`,
          { members: member, offset },
          {
            limit: 'MAX_LEGACY_RECORDS',
          },
        ),
      );
      return;
    }
    const result = await scanPickleIfEffective(data.subarray(offset), ctx, member, 1);
    for (const f of result.findings) f.location.offset = (f.location.offset ?? 0) + offset;
    out.findings.push(...result.findings);
    out.errors.push(...result.errors);
    if (result.pickles === 0) return;
    const start = offset;
    offset += result.end;
    if (n === 0) continue; // the count
    if (kind === 'storages') {
      const size = storageElementSize(data, start);
      const count = u64(data, offset);
      // Not a storage record modelsec can size: the storage_views pickle, the last one torch reads, when nothing
      // follows it. Bytes after it may be the raw data of a record whose storage type is some other object with a
      // `dtype` (torch only reads that attribute), and further pickles torch reads: not followed, so incomplete.
      if (size === undefined || count === undefined || count < 0n) {
        if (offset < data.length) out.findings.push(unsizedRecord(member, start, data.length - offset));
        return;
      }
      const skip = 8n + count * BigInt(size);
      if (BigInt(offset) + skip > BigInt(data.length)) return; // torch fails reading the storage: nothing follows
      offset += Number(skip);
    } else {
      if (offset + 8 > data.length) return;
      const ndim = new DataView(data.buffer, data.byteOffset + offset, 4).getInt32(0, true);
      if (ndim < 0) return; // struct.unpack refuses it: torch stops
      const skip = 8 + 16 * ndim + 8;
      if (offset + skip > data.length) return;
      offset += skip;
    }
  }
}

function unsizedRecord(member: string[], offset: number, rest: number) {
  return makeFinding(
    'MS-PKL-009',
    `a storages pickle is followed by ${rest} bytes, but its storage type is not one modelsec can size: the raw data and any pickle after it were not read`,
    { members: member, offset },
    { anomaly: 'unsized-storage-record', bytes: rest },
  );
}

/** tarfile's _find_link_target for a member torch extracts by name (symlinks resolve anywhere, hard links before). */
function resolveLink(members: readonly TarMember[], member: TarMember, depth = 0): TarMember | undefined {
  if (member.type !== '1' && member.type !== '2') return member;
  if (depth > 32) return undefined;
  const name =
    member.type === '2' ? [...member.name.split('/').slice(0, -1), member.linkname].filter(Boolean).join('/') : member.linkname;
  const normalized = name
    .split('/')
    .filter((p) => p && p !== '.')
    .join('/');
  const limit = member.type === '1' ? members.indexOf(member) : members.length;
  for (let i = limit - 1; i >= 0; i--) {
    const candidate = members[i] as TarMember;
    if (
      candidate.name
        .split('/')
        .filter((p) => p && p !== '.')
        .join('/') === normalized
    )
      return resolveLink(members, candidate, depth + 1);
  }
  return undefined;
}

export async function scanLegacyTar(source: ByteSource, ctx: ScanContext, out: Collected): Promise<void> {
  const members = await scanTarMembers(source, ctx, out);
  for (const member of members) {
    if (!TORCH_MEMBERS.has(stripTrailingSlashes(member.name))) continue;
    const target = resolveLink(members, member);
    if (!target?.hasContent) continue;
    const where = [...ctx.members, member.name];
    if (target.size > MAX_PICKLE_BYTES) {
      out.findings.push(
        makeFinding(
          'MS-PKL-010',
          `member ${member.name} larger than MAX_PICKLE_BYTES was not inspected`,
          { members: where },
          {
            limit: 'MAX_PICKLE_BYTES',
          },
        ),
      );
      continue;
    }
    const { bytes } = await tarContent(source, target, MAX_PICKLE_BYTES);
    if (member.name === 'pickle') {
      const result = await scanPickleIfEffective(bytes, ctx, where, 1);
      out.findings.push(...result.findings);
      out.errors.push(...result.errors);
    } else await scanRecords(member.name === 'storages' ? 'storages' : 'tensors', bytes, ctx, where, out);
  }
}

export const pytorchTarHandler: FormatHandler = {
  formats: ['pytorch-tar'],
  async scan(source: ByteSource, ctx: ScanContext): Promise<HandlerResult> {
    const out: Collected = { findings: [], errors: [] };
    await scanLegacyTar(source, ctx, out);
    // torch.load falls back to the stacked pickles at offset 0 when tarfile refuses the file.
    const head = await source.read(0, Math.min(source.size, MAX_PICKLE_BYTES));
    const offsetZero = await scanPickleIfEffective(head, ctx, ctx.members, LEGACY_PICKLE_COUNT);
    out.findings.push(...offsetZero.findings);
    out.errors.push(...offsetZero.errors);
    return out;
  },
};

/**
 * Any tar, whatever its members are called: torch.load of a file that is not a zip hands it to `legacy_load`, which
 * opens it with tarfile and unpickles `storages` (then `tensors`, then `pickle`) without first checking that the
 * others exist or that `sys_info` is there. Detection's "pytorch-tar" (which wants `sys_info`, or `pickle` beside
 * `storages`) is no gate for that reading: a tar holding only `storages`, with a pickle after its raw storage data,
 * runs it under torch.load. Every member is scanned by content as before; the torch members are followed as
 * legacy_load reads them.
 */
export const tarArchiveHandler: FormatHandler = {
  formats: ['tar'],
  async scan(source: ByteSource, ctx: ScanContext): Promise<HandlerResult> {
    const out: Collected = { findings: [], errors: [] };
    await scanLegacyTar(source, ctx, out);
    return out;
  },
};
