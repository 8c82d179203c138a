import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { PayloadKeyring } from '../config/payload-keys';

/**
 * Seals every payload the project writes to Temporal (workflow, activity, signal, query and
 * update arguments and results, memos, failure details) with AES-256-GCM, so what Temporal
 * stores is neither readable nor forgeable without the keyring. A sealed payload is the whole
 * original payload (metadata and data, protobuf-encoded) encrypted under the current key; its
 * metadata says `binary/encrypted` and which key (`encryption-key-id`), and the key ID is also
 * authenticated data, so a payload cannot be relabelled to another key.
 *
 * Decoding refuses what is not sealed with a known key: a workflow started or signalled by
 * someone who can reach Temporal but has no key fails its workflow task and does nothing.
 * During a migration window (`acceptUnsealedUntil`) payloads written before the codec are
 * still read.
 */

export const SEALED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const CIPHER_METADATA = 'encryption-cipher';
const CIPHER = 'AES-256-GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => (b ? new TextDecoder().decode(b) : undefined);

/** A payload the codec will not open; the message names the reason, never the content. */
export class UnsealedPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsealedPayloadError';
  }
}

export interface SealingCodecOptions {
  keyring: PayloadKeyring;
  /** Until then, payloads that are not sealed pass through (see PAYLOAD_ACCEPT_UNSEALED_UNTIL). */
  acceptUnsealedUntil?: Date | null;
  now?: () => Date;
}

export function isSealed(payload: Payload): boolean {
  return text(payload.metadata?.[METADATA_ENCODING_KEY]) === SEALED_ENCODING;
}

export class SealingPayloadCodec implements PayloadCodec {
  private readonly now: () => Date;

  constructor(private readonly options: SealingCodecOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.seal(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    const acceptUnsealed = this.acceptsUnsealed();
    return payloads.map((p) => {
      if (isSealed(p)) return this.open(p);
      if (acceptUnsealed) return p;
      throw new UnsealedPayloadError(
        'refusing a payload that is not sealed with the payload keyring (PAYLOAD_KEYS)',
      );
    });
  }

  /**
   * For operators (the Web UI's codec endpoint): opens what it can and leaves the rest as it
   * is, since an operator looking at an old or foreign history must still see it.
   */
  async decodeForDisplay(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (!isSealed(p)) return p;
      try {
        return this.open(p);
      } catch {
        return p;
      }
    });
  }

  private acceptsUnsealed(): boolean {
    const until = this.options.acceptUnsealedUntil;
    return !!until && this.now().getTime() < until.getTime();
  }

  private seal(payload: Payload): Payload {
    const { currentKeyId, keys } = this.options.keyring;
    const key = keys.get(currentKeyId)!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(utf8(currentKeyId));
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: utf8(SEALED_ENCODING),
        [CIPHER_METADATA]: utf8(CIPHER),
        [KEY_ID_METADATA]: utf8(currentKeyId),
      },
      data: new Uint8Array(sealed),
    };
  }

  private open(payload: Payload): Payload {
    const kid = text(payload.metadata?.[KEY_ID_METADATA]);
    const key = kid === undefined ? undefined : this.options.keyring.keys.get(kid);
    if (!kid || !key) {
      throw new UnsealedPayloadError(`payload sealed with an unknown key ID "${kid ?? ''}"`);
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new UnsealedPayloadError('sealed payload is truncated');
    }
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(utf8(kid));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new UnsealedPayloadError(`sealed payload failed authentication (key "${kid}")`);
    }
    return temporal.api.common.v1.Payload.decode(plain);
  }
}
