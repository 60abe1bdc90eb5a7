/**
 * Just enough POSIX ustar to write an archive as a stream: a 512-byte header per entry (its size
 * must be known before its bytes), the bytes, zero padding to a 512-byte boundary, and two zero
 * blocks at the end. Any `tar` reads it; nothing is ever held beyond one header.
 */
const BLOCK = 512;
/** ustar stores sizes as 11 octal digits: 8 GiB - 1. */
const MAX_ENTRY_BYTES = 8 ** 11 - 1;
const SAFE_NAME = /^[A-Za-z0-9._/-]{1,100}$/;

function writeString(header: Buffer, offset: number, length: number, value: string): void {
  header.write(value, offset, length, 'ascii');
}

function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  writeString(header, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

/**
 * The header of one regular file. Names are the archive's own (ASCII, at most 100 characters,
 * no `..`): user-chosen file names go into the entries' JSON, never into a path.
 */
export function tarHeader(name: string, sizeBytes: number, modifiedAt: Date): Buffer {
  if (!SAFE_NAME.test(name) || name.split('/').includes('..'))
    throw new TypeError(`Unsafe tar entry name: ${name}`);
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0 || sizeBytes > MAX_ENTRY_BYTES) {
    throw new RangeError(`A tar entry must be 0-${MAX_ENTRY_BYTES} bytes`);
  }
  const header = Buffer.alloc(BLOCK, 0);
  writeString(header, 0, 100, name);
  writeOctal(header, 100, 8, 0o644);
  writeOctal(header, 108, 8, 0);
  writeOctal(header, 116, 8, 0);
  writeOctal(header, 124, 12, sizeBytes);
  writeOctal(header, 136, 12, Math.floor(modifiedAt.getTime() / 1000));
  header.fill(0x20, 148, 156); // the checksum field counts as spaces while summing
  writeString(header, 156, 1, '0');
  writeString(header, 257, 6, 'ustar\0');
  writeString(header, 263, 2, '00');
  let sum = 0;
  for (const byte of header) sum += byte;
  writeString(header, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return header;
}

/** Zero bytes that bring an entry of `sizeBytes` to a block boundary. */
export function tarPadding(sizeBytes: number): Buffer {
  const rest = sizeBytes % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest, 0);
}

export const TAR_END = Buffer.alloc(2 * BLOCK, 0);

/** One complete small entry (JSON and the like, already in memory). */
export function tarEntry(name: string, content: Buffer, modifiedAt: Date): Buffer[] {
  return [tarHeader(name, content.length, modifiedAt), content, tarPadding(content.length)];
}
