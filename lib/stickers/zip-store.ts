import { crc32 } from 'node:zlib';

/**
 * A ZIP archive of stored (uncompressed) entries, written in one pass over buffers already in
 * memory. The sticker set's entries are PNGs, which deflate does not shrink, so storing them is
 * what LINE receives either way; writing the few headers here costs a CRC per file (zlib's, in
 * C) instead of a general ZIP library's streaming machinery and JavaScript CRC (about 20 times
 * slower for a 40-sticker set). Plain ZIP (no ZIP64: far below 4 GB and 65 535 entries), ASCII
 * names, a fixed modification time so the same input gives the same bytes.
 */

export interface StoredEntry {
  /** ASCII file name (the set's names are `01.png`, `main.png`, …). */
  name: string;
  data: Buffer;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
/** 1.0: stored entries need nothing newer. */
const VERSION_NEEDED = 10;
/** Made by "MS-DOS" (attributes as DOS), spec version 2.0. */
const VERSION_MADE_BY = 20;
const STORED = 0;
/** ZIP's 32-bit fields; the set is a few MB, so this is a guard, not a limit in practice. */
const MAX_32 = 0xffffffff;

/** DOS date and time of 2020-01-01 00:00:00 (the fixed date keeps retried ZIPs identical). */
const DOS_TIME = 0;
const DOS_DATE = ((2020 - 1980) << 9) | (1 << 5) | 1;

export function storedZip(entries: readonly StoredEntry[]): Buffer {
  if (entries.length > 0xffff) throw new RangeError('too many ZIP entries');
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    if (!/^[\x20-\x7e]+$/.test(entry.name)) throw new TypeError(`not an ASCII name: ${entry.name}`);
    const name = Buffer.from(entry.name, 'ascii');
    const size = entry.data.length;
    const crc = crc32(entry.data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_HEADER, 0);
    local.writeUInt16LE(VERSION_NEEDED, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(STORED, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(size, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(CENTRAL_HEADER, 0);
    dir.writeUInt16LE(VERSION_MADE_BY, 4);
    dir.writeUInt16LE(VERSION_NEEDED, 6);
    dir.writeUInt16LE(0, 8);
    dir.writeUInt16LE(STORED, 10);
    dir.writeUInt16LE(DOS_TIME, 12);
    dir.writeUInt16LE(DOS_DATE, 14);
    dir.writeUInt32LE(crc, 16);
    dir.writeUInt32LE(size, 20);
    dir.writeUInt32LE(size, 24);
    dir.writeUInt16LE(name.length, 28);
    // Extra field, comment, disk number, internal and external attributes: all zero.
    dir.writeUInt32LE(offset, 42);
    parts.push(local, name, entry.data);
    central.push(dir, name);
    offset += local.length + name.length + size;
    if (offset > MAX_32) throw new RangeError('ZIP over 4 GB');
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}
