/** Reads a POSIX tar archive (as Doklad writes it) into its entries, for tests. */
export interface TarEntry {
  readonly name: string;
  readonly content: Buffer;
}

export function readTar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  while (offset + 512 <= archive.length) {
    const header = archive.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const name = header.subarray(0, 100).toString('ascii').replace(/\0.*$/s, '');
    const size = Number.parseInt(header.subarray(124, 136).toString('ascii').replace(/\0.*$/s, ''), 8);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
    const stored = Number.parseInt(header.subarray(148, 156).toString('ascii'), 8);
    if (sum !== stored) throw new Error(`bad tar header checksum for ${name}`);
    offset += 512;
    entries.push({ name, content: Buffer.from(archive.subarray(offset, offset + size)) });
    offset += Math.ceil(size / 512) * 512;
  }
  return entries;
}
