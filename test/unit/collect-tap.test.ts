import { readFileSync } from 'node:fs';
import { collectTapOf } from '../../api/collect-tap';
import { ConfigError } from '../../config';
import { DEFAULT_CATALOG_FILE, parseCatalog } from '../../config/catalog';
import { answerNoticeMessage, collectSettingsOf } from '../../domain/line-ui/collect';
import {
  collectPostbackData,
  MAX_POSTBACK_DATA,
  parseCollectPostbackData,
  parsePostbackData,
} from '../../domain/line-ui/postback';
import { lineMessagesErrors } from '../support/line-openapi';

/** The tap flow's pure parts: the postback data, the notice message, the catalog's bounds. */

const ULID = '01JF0ZK3Q8W5V6X7Y8Z9A0B1C2';

describe('collect postback data', () => {
  it('names the turn by its event ID, and parses back', () => {
    const data = collectPostbackData(ULID);
    expect(data).toBe(`action=collect&turn=${ULID}`);
    expect(data!.length).toBeLessThanOrEqual(MAX_POSTBACK_DATA);
    expect(parseCollectPostbackData(data!)).toEqual({ action: 'collect', webhookEventId: ULID });
    // Not a purchase.
    expect(parsePostbackData(data!)).toBeUndefined();
  });

  it('is parsed strictly: anything else is not a tap', () => {
    for (const bad of [
      '',
      'action=collect',
      'action=collect&turn=',
      `turn=${ULID}&action=collect`,
      `action=collect&turn=${ULID}&x=1`,
      `action=collect&turn=${ULID}&turn=other`,
      `action=collect&turn=${ULID.slice(0, 10)}%2F..`,
      'action=collect&turn=../../x',
      `action=collect&turn=${'A'.repeat(65)}`,
      `action=buy&product=points_500`,
      `ACTION=collect&turn=${ULID}`,
      `action=collect&turn=${ULID}\n`,
    ])
      expect(parseCollectPostbackData(bad)).toBeUndefined();
  });

  it('refuses to build data the parser would refuse', () => {
    expect(collectPostbackData('not/an id')).toBeUndefined();
    expect(collectPostbackData('')).toBeUndefined();
  });
});

describe('the notice', () => {
  const catalog = parseCatalog(JSON.parse(readFileSync(DEFAULT_CATALOG_FILE, 'utf8')));
  const settings = collectSettingsOf(catalog.chat);

  it('is a text with one postback quick reply, valid per LINE’s OpenAPI description', () => {
    const m = answerNoticeMessage(settings, ULID)!;
    expect(m.text).toBe(catalog.chat.answerNotice);
    expect(m.quickReply?.items).toEqual([
      {
        type: 'action',
        action: {
          type: 'postback',
          label: '回答を受け取る',
          data: `action=collect&turn=${ULID}`,
          displayText: '回答を受け取る',
        },
      },
    ]);
    expect(lineMessagesErrors([m])).toEqual([]);
  });

  it('is not offered for an event ID that postback data cannot carry', () => {
    expect(answerNoticeMessage(settings, 'x/y')).toBeUndefined();
  });

  it('comes from the catalog, bounded', () => {
    expect(settings).toMatchObject({ noticeAfterSeconds: 35, waitSeconds: 600 });
    const raw = () => JSON.parse(readFileSync(DEFAULT_CATALOG_FILE, 'utf8'));
    const late = raw();
    late.chat.answerNoticeAfterSeconds = late.chat.replyTokenMaxAgeSeconds - 5;
    expect(() => parseCatalog(late)).toThrow(ConfigError);
    const long = raw();
    long.chat.collectWaitSeconds = 3600;
    expect(() => parseCatalog(long)).toThrow(/collectWaitSeconds/);
    const withDelivery = raw();
    withDelivery.chat.collectWaitSeconds = 1800;
    withDelivery.chat.maxDeliveryWaitSeconds = 1200;
    expect(() => parseCatalog(withDelivery)).toThrow(/collectWaitSeconds/);
    const label = raw();
    label.chat.collectButtonLabel = 'あ'.repeat(21);
    expect(() => parseCatalog(label)).toThrow(/collectButtonLabel/);
  });
});

describe('collectTapOf (the inbox relay)', () => {
  const tap = {
    type: 'postback',
    webhookEventId: '01JF0ZK3Q8W5V6X7Y8Z9A0TAP1',
    lineUserId: 'U' + 'a'.repeat(32),
    timestamp: 1_700_000_000_000,
    isRedelivery: false,
    replyToken: 'token-1',
    data: `action=collect&turn=${ULID}`,
  };

  it('takes a one-to-one collect tap with a reply token', () => {
    expect(collectTapOf(tap)).toEqual({
      turnEventId: ULID,
      tap: {
        webhookEventId: tap.webhookEventId,
        lineUserId: tap.lineUserId,
        replyToken: 'token-1',
        timestamp: tap.timestamp,
      },
    });
  });

  it('leaves every other event to the session', () => {
    const others = [
      { ...tap, data: 'action=buy&product=points_500' },
      { ...tap, replyToken: undefined },
      { ...tap, conversation: { kind: 'group', id: 'C1' } },
      { type: 'text', text: `action=collect&turn=${ULID}` },
    ];
    for (const event of others) expect(collectTapOf(event)).toBeUndefined();
  });
});
