import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  newPayloadKeyEntry,
  parsePayloadKeys,
  type PayloadKeyring,
} from '../../config/payload-keys';
import {
  isSealed,
  KEY_ID_METADATA,
  SealingPayloadCodec,
  UnsealedPayloadError,
} from '../../lib/payload-codec';

const keyring = (text: string, current?: string): PayloadKeyring => {
  const parsed = parsePayloadKeys(text, current);
  if ('problems' in parsed) throw new Error(parsed.problems.join('; '));
  return parsed.keyring;
};

const k1 = newPayloadKeyEntry('k1', randomBytes);
const k2 = newPayloadKeyEntry('k2', randomBytes);
const message = { text: '今日の天気を教えて', points: 1200 };
const plain = (): Payload => defaultPayloadConverter.toPayload(message);
const value = (p: Payload) => defaultPayloadConverter.fromPayload(p);

describe('sealing payload codec', () => {
  const codec = new SealingPayloadCodec({ keyring: keyring(k1) });

  it('seals with AES-256-GCM under the current key ID and opens again', async () => {
    const [sealed] = await codec.encode([plain()]);
    expect(isSealed(sealed!)).toBe(true);
    expect(Buffer.from(sealed!.metadata![KEY_ID_METADATA]!).toString()).toBe('k1');
    const bytes = Buffer.from(sealed!.data!);
    expect(bytes.includes(Buffer.from('今日の天気'))).toBe(false);
    expect(bytes.includes(Buffer.from('json/plain'))).toBe(false);
    const [opened] = await codec.decode([sealed!]);
    expect(value(opened!)).toEqual(message);
  });

  it('uses a fresh IV per payload', async () => {
    const [a, b] = await codec.encode([plain(), plain()]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('refuses a payload that is not sealed', async () => {
    await expect(codec.decode([plain()])).rejects.toThrow(UnsealedPayloadError);
  });

  it('refuses a tampered payload and one relabelled to another key', async () => {
    const [sealed] = await codec.encode([plain()]);
    const data = Buffer.from(sealed!.data!);
    data[20] = data[20]! ^ 1;
    await expect(codec.decode([{ ...sealed!, data }])).rejects.toThrow(/authentication/);

    const both = new SealingPayloadCodec({ keyring: keyring(`${k1},${k2}`, 'k1') });
    const relabelled = {
      ...sealed!,
      metadata: { ...sealed!.metadata, [KEY_ID_METADATA]: Buffer.from('k2') },
    };
    await expect(both.decode([relabelled])).rejects.toThrow(UnsealedPayloadError);
  });

  it('rotates: new payloads use the new key, old ones still open while the old key is listed', async () => {
    const [old] = await codec.encode([plain()]);
    const rotated = new SealingPayloadCodec({ keyring: keyring(`${k1},${k2}`, 'k2') });
    const [fresh] = await rotated.encode([plain()]);
    expect(Buffer.from(fresh!.metadata![KEY_ID_METADATA]!).toString()).toBe('k2');
    expect(value((await rotated.decode([old!]))[0]!)).toEqual(message);
    expect(value((await rotated.decode([fresh!]))[0]!)).toEqual(message);

    const retired = new SealingPayloadCodec({ keyring: keyring(k2) });
    await expect(retired.decode([old!])).rejects.toThrow(/unknown key ID "k1"/);
  });

  it('reads unsealed payloads only inside the migration window', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const migrating = new SealingPayloadCodec({
      keyring: keyring(k1),
      acceptUnsealedUntil: new Date('2030-01-02T00:00:00Z'),
      now: () => now,
    });
    expect(value((await migrating.decode([plain()]))[0]!)).toEqual(message);
    now = new Date('2030-01-02T00:00:00Z');
    await expect(migrating.decode([plain()])).rejects.toThrow(UnsealedPayloadError);
  });

  it('shows operators what it can open and leaves the rest as it is', async () => {
    const [sealed] = await codec.encode([plain()]);
    const foreign = (await new SealingPayloadCodec({ keyring: keyring(k2) }).encode([plain()]))[0]!;
    const out = await codec.decodeForDisplay([sealed!, plain(), foreign]);
    expect(value(out[0]!)).toEqual(message);
    expect(value(out[1]!)).toEqual(message);
    expect(out[2]).toBe(foreign);
  });
});

describe('payload keyring', () => {
  it('names the problems without echoing key material', () => {
    const short = `k1:${Buffer.alloc(16).toString('base64')}`;
    const res = parsePayloadKeys(`${short},nocolon`, undefined);
    expect(res).toEqual({
      problems: [
        'PAYLOAD_KEYS: key "k1" must be 32 bytes (AES-256)',
        'PAYLOAD_KEYS: entry 2 must be <key id>:<base64 key>',
      ],
    });
  });

  it('needs PAYLOAD_KEY_ID with several keys, and one that is listed', () => {
    expect(parsePayloadKeys(`${k1},${k2}`, undefined)).toEqual({
      problems: ['PAYLOAD_KEY_ID: is required when PAYLOAD_KEYS lists several keys'],
    });
    expect(parsePayloadKeys(k1, 'k9')).toEqual({
      problems: ['PAYLOAD_KEY_ID: "k9" is not in PAYLOAD_KEYS'],
    });
    const ok = parsePayloadKeys(k1, undefined);
    expect('keyring' in ok && ok.keyring.currentKeyId).toBe('k1');
  });
});
