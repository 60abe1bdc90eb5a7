import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runExtractCommand } from '../../../src/cli/extract-command.js';
import { ublXml } from './fixtures/xml-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'doklad-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('doklad extract', () => {
  it('prints one JSON line per file with a flat fields map, keeps going after a failure and exits 1', async () => {
    const good = join(dir, 'invoice.xml');
    const bad = join(dir, 'empty.pdf');
    writeFileSync(good, ublXml());
    writeFileSync(bad, '');
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c: Buffer) => chunks.push(c.toString()));
    const code = await runExtractCommand([bad, good, join(dir, 'missing.pdf')], out);
    const lines = chunks
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, any>);
    expect(code).toBe(1);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ file: bad, error: { code: 'empty_file' } });
    expect(lines[1]!.fields['totals.gross']).toMatchObject({ value: '1210.00', source: 'xml' });
    expect(lines[2]).toMatchObject({ error: { code: 'unreadable_file' } });
  });
});
