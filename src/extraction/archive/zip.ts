/**
 * A small ZIP reader for what the engine needs (ISDOCX): read the central directory within the
 * limits of `limits.ts`, then inflate one chosen entry. Only what plain ZIP writers produce is
 * read: one disk, no ZIP64, no encryption, stored or deflated entries. Everything else is refused
 * with an `ExtractionError` before any byte is inflated.
 */
import { crc32 } from 'node:zlib';
import { ExtractionError } from '../errors.js';
import { ARCHIVE_LIMITS, exceedsRatio, inflateBounded, type ArchiveLimits } from './limits.js';

export interface ZipEntry {
  /** The name as stored (UTF-8, or CP437 read as UTF-8: only ASCII names are matched on). */
  readonly name: string;
  readonly method: number;
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
  readonly nameBytes: Uint8Array;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_BYTES = 22;
const CENTRAL_BYTES = 46;
const LOCAL_BYTES = 30;
/** Bit 0: traditional encryption; bit 6: strong encryption; bit 13: encrypted central directory. */
const ENCRYPTION_FLAGS = 0x0001 | 0x0040 | 0x2000;
/** Bit 3: CRC and sizes follow the data; the local header then holds zeros. */
const DATA_DESCRIPTOR_FLAG = 0x0008;
const STORED = 0;
const DEFLATED = 8;

const corrupt = (message: string) => new ExtractionError('corrupt_archive', message);
const unsupported = (message: string) => new ExtractionError('unsupported_archive', message);
const overLimit = (message: string) => new ExtractionError('archive_limit_exceeded', message);

interface Directory {
  readonly offset: number;
  readonly size: number;
  readonly entryCount: number;
}

/** Finds and checks the end-of-central-directory record, searching at most the allowed comment. */
function readEndOfDirectory(view: DataView, limits: ArchiveLimits): Directory {
  const last = view.byteLength - EOCD_BYTES;
  const first = Math.max(0, last - limits.maxCommentBytes);
  let at = -1;
  for (let i = last; i >= first; i--) {
    if (view.getUint32(i, true) === EOCD_SIGNATURE) {
      at = i;
      break;
    }
  }
  if (at < 0) throw corrupt('the ZIP archive has no end-of-central-directory record');
  if (at + EOCD_BYTES + view.getUint16(at + 20, true) !== view.byteLength)
    throw corrupt('the ZIP archive comment does not match its length');
  if (at >= 20 && view.getUint32(at - 20, true) === ZIP64_LOCATOR_SIGNATURE)
    throw unsupported('ZIP64 archives are not accepted');
  const disk = view.getUint16(at + 4, true);
  const directoryDisk = view.getUint16(at + 6, true);
  const entriesOnDisk = view.getUint16(at + 8, true);
  const entryCount = view.getUint16(at + 10, true);
  const size = view.getUint32(at + 12, true);
  const offset = view.getUint32(at + 16, true);
  if (entryCount === 0xffff || size === 0xffffffff || offset === 0xffffffff)
    throw unsupported('ZIP64 archives are not accepted');
  if (disk !== 0 || directoryDisk !== 0 || entriesOnDisk !== entryCount)
    throw unsupported('multi-disk ZIP archives are not accepted');
  if (entryCount > limits.maxEntries)
    throw overLimit(`the archive has ${entryCount} entries; at most ${limits.maxEntries} are accepted`);
  if (offset + size !== at) throw corrupt('the ZIP central directory is not where the archive says');
  return { offset, size, entryCount };
}

/** Reads one central directory header at `at`; checks only what concerns this entry alone. */
function readCentralHeader(bytes: Uint8Array, view: DataView, at: number, limits: ArchiveLimits) {
  if (at + CENTRAL_BYTES > view.byteLength || view.getUint32(at, true) !== CENTRAL_SIGNATURE)
    throw corrupt('the ZIP central directory is damaged');
  const flags = view.getUint16(at + 8, true);
  const method = view.getUint16(at + 10, true);
  const compressedSize = view.getUint32(at + 20, true);
  const uncompressedSize = view.getUint32(at + 24, true);
  const nameLength = view.getUint16(at + 28, true);
  const extraLength = view.getUint16(at + 30, true);
  const commentLength = view.getUint16(at + 32, true);
  const localHeaderOffset = view.getUint32(at + 42, true);
  if (Math.max(nameLength, extraLength, commentLength) > limits.maxFieldBytes)
    throw overLimit(`a ZIP entry name, extra field or comment is longer than ${limits.maxFieldBytes} bytes`);
  if ([compressedSize, uncompressedSize, localHeaderOffset].includes(0xffffffff))
    throw unsupported('ZIP64 archives are not accepted');
  if (view.getUint16(at + 34, true) !== 0) throw unsupported('multi-disk ZIP archives are not accepted');
  if (flags & ENCRYPTION_FLAGS) throw unsupported('encrypted ZIP entries are not accepted');
  if (method !== STORED && method !== DEFLATED)
    throw unsupported(`ZIP compression method ${method} is not accepted (only stored and deflate)`);
  if (method === STORED && compressedSize !== uncompressedSize)
    throw corrupt('a stored ZIP entry declares two different sizes');
  const nameBytes = bytes.subarray(at + CENTRAL_BYTES, at + CENTRAL_BYTES + nameLength);
  const entry: ZipEntry = {
    name: new TextDecoder('utf-8').decode(nameBytes),
    method,
    flags,
    crc32: view.getUint32(at + 16, true),
    compressedSize,
    uncompressedSize,
    localHeaderOffset,
    nameBytes,
  };
  return { entry, next: at + CENTRAL_BYTES + nameLength + extraLength + commentLength };
}

/**
 * Lists the entries of a ZIP archive. Refuses, before inflating anything: more entries than
 * allowed, over-long names or comments, ZIP64, multi-disk, encrypted entries, methods other than
 * stored and deflate, declared sizes over the total or ratio caps, and duplicate names.
 */
export function readZipEntries(bytes: Uint8Array, limits: ArchiveLimits = ARCHIVE_LIMITS): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < EOCD_BYTES) throw corrupt('the ZIP archive is truncated');
  const directory = readEndOfDirectory(view, limits);
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let total = 0;
  let at = directory.offset;
  for (let i = 0; i < directory.entryCount; i++) {
    const { entry, next } = readCentralHeader(bytes, view, at, limits);
    if (next > directory.offset + directory.size) throw corrupt('the ZIP central directory is damaged');
    if (entry.localHeaderOffset + LOCAL_BYTES > directory.offset)
      throw corrupt('a ZIP entry lies outside the archive');
    // Two readers may pick different entries of one name; an invoice container has no reason for it.
    if (names.has(entry.name)) throw corrupt('the ZIP archive names one entry twice');
    names.add(entry.name);
    if (exceedsRatio(entry.compressedSize, entry.uncompressedSize, limits))
      throw overLimit(`a ZIP entry declares more than ${limits.maxRatio} times its compressed size`);
    total += entry.uncompressedSize;
    if (total > limits.maxTotalUncompressedBytes)
      throw overLimit(`the archive declares more than ${limits.maxTotalUncompressedBytes} bytes in total`);
    entries.push(entry);
    at = next;
  }
  if (at !== directory.offset + directory.size) throw corrupt('the ZIP central directory is damaged');
  if (exceedsRatio(bytes.length, total, limits))
    throw overLimit(`the archive declares more than ${limits.maxRatio} times its own size`);
  return entries;
}

/** Where the entry's data starts, after checking that its local header agrees with the directory. */
function locateData(bytes: Uint8Array, view: DataView, entry: ZipEntry): number {
  const at = entry.localHeaderOffset;
  if (view.getUint32(at, true) !== LOCAL_SIGNATURE) throw corrupt('a ZIP local header is missing');
  const flags = view.getUint16(at + 6, true);
  const nameLength = view.getUint16(at + 26, true);
  const start = at + LOCAL_BYTES + nameLength + view.getUint16(at + 28, true);
  const name = bytes.subarray(at + LOCAL_BYTES, at + LOCAL_BYTES + nameLength);
  const sameName = Buffer.from(name).equals(entry.nameBytes);
  const sameHeader =
    view.getUint16(at + 8, true) === entry.method && (flags & ENCRYPTION_FLAGS) === 0 && sameName;
  // With a data descriptor the local header may carry zeros; otherwise it must say the same.
  const sameSizes =
    (flags & DATA_DESCRIPTOR_FLAG) !== 0 ||
    (view.getUint32(at + 14, true) === entry.crc32 &&
      view.getUint32(at + 18, true) === entry.compressedSize &&
      view.getUint32(at + 22, true) === entry.uncompressedSize);
  if (!sameHeader || !sameSizes) throw corrupt('a ZIP local header disagrees with the central directory');
  if (start + entry.compressedSize > bytes.length) throw corrupt('a ZIP entry lies outside the archive');
  return start;
}

/**
 * Returns the content of one entry listed by `readZipEntries`. An entry declaring more than
 * `maxBytes` is `file_too_large`; the inflate stops at the declared size, so an entry whose data
 * inflates beyond it (a lying header) costs no more memory than an honest one; the CRC-32 is checked.
 */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry, maxBytes: number): Uint8Array {
  if (entry.uncompressedSize > maxBytes)
    throw new ExtractionError('file_too_large', `a ZIP entry is larger than ${maxBytes} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = locateData(bytes, view, entry);
  const data = bytes.subarray(start, start + entry.compressedSize);
  let content = data;
  if (entry.method === DEFLATED) {
    const outcome = inflateBounded(data, { format: 'raw', maxOutputBytes: entry.uncompressedSize });
    if (!outcome.ok && outcome.reason === 'corrupt') throw corrupt('a ZIP entry cannot be inflated');
    if (!outcome.ok) throw corrupt('a ZIP entry inflates beyond its declared size');
    content = outcome.bytes;
  }
  if (content.length !== entry.uncompressedSize) throw corrupt('a ZIP entry is shorter than declared');
  if (crc32(content) >>> 0 !== entry.crc32) throw corrupt('a ZIP entry fails its CRC-32 check');
  return content;
}
