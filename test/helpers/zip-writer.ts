/**
 * A tiny ZIP writer for tests: honest archives (stored or deflated entries), and hostile ones, by
 * overriding what the headers declare (sizes, CRC, flags, method) independently of the data.
 */
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipEntryInput {
  name: string;
  /** The entry's content; its CRC and size are what the headers declare unless overridden. */
  data?: Uint8Array;
  /** Already compressed bytes (method 8) to store as they are; then `declaredSize` and `crc32` are needed. */
  compressed?: Uint8Array;
  /** 0 stored, 8 deflate (default), anything else to test refusals. */
  method?: number;
  /** Overrides the uncompressed size in both headers (a lie, or 0xFFFFFFFF for ZIP64). */
  declaredSize?: number;
  crc32?: number;
  /** General purpose flags (bit 0: encrypted; bit 3: sizes in a data descriptor after the data). */
  flags?: number;
  /** Overrides for the local header only, to make it disagree with the central directory. */
  local?: { name?: string; method?: number; declaredSize?: number };
}

export interface ZipOptions {
  comment?: string;
  /** Overrides the EOCD's entry count (0xFFFF announces ZIP64). */
  entryCount?: number;
  diskNumber?: number;
}

interface Prepared {
  name: Buffer;
  body: Uint8Array;
  method: number;
  crc: number;
  size: number;
  flags: number;
  entry: ZipEntryInput;
}

function prepare(entry: ZipEntryInput): Prepared {
  const method = entry.method ?? 8;
  const data = entry.data ?? new Uint8Array(0);
  const body = entry.compressed ?? (method === 0 ? data : deflateRawSync(data));
  return {
    name: Buffer.from(entry.name, 'utf8'),
    body,
    method,
    crc: entry.crc32 ?? crc32(data),
    size: entry.declaredSize ?? data.length,
    flags: entry.flags ?? 0x0800,
    entry,
  };
}

function localHeader(p: Prepared): Buffer {
  const name = p.entry.local?.name === undefined ? p.name : Buffer.from(p.entry.local.name, 'utf8');
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(p.flags, 6);
  h.writeUInt16LE(p.entry.local?.method ?? p.method, 8);
  // Streaming writers put zeros here and the real values in a data descriptor after the data.
  if (!hasDescriptor(p)) {
    h.writeUInt32LE(p.crc >>> 0, 14);
    h.writeUInt32LE(p.body.length, 18);
    h.writeUInt32LE(p.entry.local?.declaredSize ?? p.size, 22);
  }
  h.writeUInt16LE(name.length, 26);
  return Buffer.concat([h, name]);
}

const hasDescriptor = (p: Prepared) => (p.flags & 0x0008) !== 0;

function dataDescriptor(p: Prepared): Buffer {
  if (!hasDescriptor(p)) return Buffer.alloc(0);
  const d = Buffer.alloc(16);
  d.writeUInt32LE(0x08074b50, 0);
  d.writeUInt32LE(p.crc >>> 0, 4);
  d.writeUInt32LE(p.body.length, 8);
  d.writeUInt32LE(p.size, 12);
  return d;
}

function centralHeader(p: Prepared, offset: number): Buffer {
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(20, 6);
  h.writeUInt16LE(p.flags, 8);
  h.writeUInt16LE(p.method, 10);
  h.writeUInt32LE(p.crc >>> 0, 16);
  h.writeUInt32LE(p.body.length, 20);
  h.writeUInt32LE(p.size, 24);
  h.writeUInt16LE(p.name.length, 28);
  h.writeUInt32LE(offset, 42);
  return Buffer.concat([h, p.name]);
}

/** Builds a ZIP archive from the entries, in order. */
export function writeZip(entries: ZipEntryInput[], options: ZipOptions = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const p of entries.map(prepare)) {
    const header = localHeader(p);
    const descriptor = dataDescriptor(p);
    central.push(centralHeader(p, offset));
    parts.push(header, p.body, descriptor);
    offset += header.length + p.body.length + descriptor.length;
  }
  const directory = Buffer.concat(central);
  const comment = Buffer.from(options.comment ?? '', 'utf8');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(options.diskNumber ?? 0, 4);
  end.writeUInt16LE(options.entryCount ?? entries.length, 8);
  end.writeUInt16LE(options.entryCount ?? entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(comment.length, 20);
  return Buffer.concat([...parts, directory, end, comment]);
}

/**
 * Raw deflate data that inflates to `blockCount` x `blockBytes` zero bytes, built without ever
 * holding the output: one fully flushed (self-contained, byte-aligned) block repeated, then an
 * empty final block. About 1 kB per MiB, so `blockCount` sets the compressed size too.
 */
export function deflatedZeros(blockCount: number, blockBytes = 1024 * 1024): Uint8Array {
  const block = deflateRawSync(new Uint8Array(blockBytes), {
    level: 9,
    finishFlush: 3, // Z_FULL_FLUSH: no final block, no reference to earlier blocks
  });
  const finalBlock = Uint8Array.of(0x03, 0x00); // fixed-Huffman final block with only end-of-block
  return Buffer.concat([...Array.from({ length: blockCount }, () => block), finalBlock]);
}
