import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import JSZip from 'jszip';
import { storedZip } from '../../lib/stickers/zip-store';

describe('stored ZIP writer', () => {
  const entries = [
    { name: '01.png', data: Buffer.from('first sticker') },
    { name: '02.png', data: Buffer.alloc(70_000, 7) },
    { name: 'main.png', data: Buffer.alloc(0) },
    { name: 'tab.png', data: Buffer.from([0, 255, 1, 254]) },
  ];

  it('is read back entry by entry, with the fixed date', async () => {
    const zip = await JSZip.loadAsync(storedZip(entries));
    expect(Object.keys(zip.files)).toEqual(entries.map((e) => e.name));
    for (const e of entries) {
      const file = zip.file(e.name)!;
      expect(await file.async('nodebuffer')).toEqual(e.data);
      expect(file.date.getFullYear()).toBe(2020);
    }
  });

  it('passes unzip -t (CRCs and directory as Info-ZIP checks them)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'zip-store-'));
    try {
      const file = path.join(dir, 'set.zip');
      writeFileSync(file, storedZip(entries));
      const out = execFileSync('unzip', ['-t', file], { encoding: 'utf8' });
      expect(out).toContain('No errors detected');
      const listing = execFileSync('zipinfo', [file], { encoding: 'utf8' });
      for (const e of entries)
        expect(listing).toMatch(new RegExp(`${e.data.length} .*stor.* ${e.name}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives the same bytes for the same input and refuses names it cannot write', () => {
    expect(storedZip(entries).equals(storedZip(entries))).toBe(true);
    expect(() => storedZip([{ name: 'スタンプ.png', data: Buffer.alloc(1) }])).toThrow(TypeError);
  });
});
