import express, { Router, type Request } from 'express';
import { MAX_POSTBACK_DATA } from '../../domain/line-ui/postback';
import {
  CHAT_ID,
  groupPostbackEvent,
  groupTextEvent,
  joinEvent,
  leaveEvent,
  makeChatId,
  mentionText,
} from '../../stand-ins/line-webhook';
import { HttpError } from '../errors';
import { bodyOf, MAX_TEXT, param, postbackOf } from './request';
import type { KnownGroup } from './sent-log';
import type { Simulator } from './simulator';
import { accountReader, botEntries, inChat, withWorkflows } from './timeline';

/**
 * Group chats and multi-person chats (rooms) in the simulator: a group of simulated users, the
 * bot added (join) and removed (leave), a member's message with or without "@<bot name>"
 * (LINE's mention with isSelf), a member's tap on the bot's postback button, and the group's
 * timeline. The bot's replies to group events and its pushes to the group are the stand-in's
 * records in the group: reply tokens are issued for the member and the group (the stand-in
 * records the reply with the group's `chatId`), a push names the group in `to`.
 *
 * - GET  /dev/api/groups                        {botName, prefixes, groups}
 * - POST /dev/api/groups {type?, name?, members}  a new `C…` group (or `R…` room)
 * - POST /dev/api/groups/:chatId/join          join event (the bot added)
 * - POST /dev/api/groups/:chatId/leave         leave event (the bot removed)
 * - POST /dev/api/groups/:chatId/text {from, text, mention?}
 * - POST /dev/api/groups/:chatId/postback {from, data, displayText?}
 * - GET  /dev/api/groups/:chatId/timeline?as=U…  what was sent, the bot's answers, members' points
 */

/** The bot's display name: what "@" mentions in the simulator (and its chat header shows). */
export const BOT_NAME = 'AIスタンプ Bot';
const LINE_USER_ID = /^U[0-9a-f]{32}$/;
/** LINE: a group has at most 500 members; the simulator keeps it small. */
const MAX_MEMBERS = 20;
const MAX_NAME = 20;
const TIMELINE_LIMIT = 300;

export function groupRoutes(sim: Simulator): Router {
  const router = Router();
  const { line, log } = sim;
  const accountOf = accountReader(sim);

  function groupOf(req: Request): KnownGroup {
    const chatId = param(req, 'chatId');
    if (!CHAT_ID.test(chatId))
      throw new HttpError(
        400,
        'INVALID_INPUT',
        'a group ID is "C" and a room ID "R", followed by 32 hex digits',
      );
    const group = log.group(chatId);
    if (!group)
      throw new HttpError(404, 'NOT_FOUND', 'no such simulated group (the list is in memory)');
    return group;
  }

  function memberOf(group: KnownGroup, from: unknown): string {
    if (typeof from !== 'string' || !group.members.includes(from))
      throw new HttpError(400, 'INVALID_INPUT', '"from" must be a member of the group');
    return from;
  }

  function requireBot(group: KnownGroup): void {
    if (!group.botIn)
      throw new HttpError(
        409,
        'BOT_NOT_IN_GROUP',
        'the bot is not in this group: add it first (join); LINE sends it nothing before',
      );
  }

  const nameOf = (lineUserId: string) => log.user(lineUserId)?.displayName;

  router.get('/dev/api/groups', (_req, res) => {
    const groups = log
      .groups()
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .map((g) => ({
        ...g,
        memberNames: g.members.map((m) => nameOf(m) ?? null),
      }));
    // Besides a mention, a text starting with one of these calls the bot (catalog groups).
    const prefixes = sim.catalog.groups.prefixes;
    res.set('cache-control', 'no-store').json({ botName: BOT_NAME, prefixes, groups });
  });

  router.post('/dev/api/groups', express.json({ limit: '8kb' }), (req, res) => {
    const body = bodyOf(req);
    const type = body.type === undefined ? 'group' : body.type;
    if (type !== 'group' && type !== 'room')
      throw new HttpError(400, 'INVALID_INPUT', 'type: "group" or "room"');
    const members = body.members;
    if (
      !Array.isArray(members) ||
      members.length < 1 ||
      members.length > MAX_MEMBERS ||
      !members.every((m): m is string => typeof m === 'string' && LINE_USER_ID.test(m)) ||
      new Set(members).size !== members.length
    )
      throw new HttpError(
        400,
        'INVALID_INPUT',
        `members: 1..${MAX_MEMBERS} different LINE user IDs ("U" + 32 hex digits)`,
      );
    const count = log.groups().filter((g) => g.type === type).length + 1;
    const name =
      typeof body.name === 'string' && body.name.trim() !== ''
        ? body.name.trim().slice(0, MAX_NAME)
        : `${type === 'group' ? 'グループ' : 'トークルーム'}${count}`;
    const group: KnownGroup = {
      chatId: makeChatId(type),
      type,
      name,
      members,
      botIn: false,
      createdAt: new Date().toISOString(),
    };
    log.addGroup(group);
    res.status(201).json(group);
  });

  router.post('/dev/api/groups/:chatId/join', async (req, res) => {
    const group = groupOf(req);
    if (group.botIn) throw new HttpError(409, 'ALREADY_JOINED', 'the bot is already in it');
    await line.requireStandIn();
    const { at, webhookEventId, options } = await line.prepare(undefined, true, group.chatId);
    const { status } = await line.post(req, joinEvent(group.chatId, options));
    group.botIn = true;
    res.status(202).json(log.remember(group.chatId, at, { kind: 'join', webhookEventId, status }));
  });

  router.post('/dev/api/groups/:chatId/leave', async (req, res) => {
    const group = groupOf(req);
    requireBot(group);
    await line.requireStandIn();
    const { at, webhookEventId, options } = await line.prepare(undefined, false, group.chatId);
    const { status } = await line.post(req, leaveEvent(group.chatId, options));
    group.botIn = false;
    res.status(202).json(log.remember(group.chatId, at, { kind: 'leave', webhookEventId, status }));
  });

  router.post('/dev/api/groups/:chatId/text', express.json({ limit: '64kb' }), async (req, res) => {
    const group = groupOf(req);
    const body = bodyOf(req);
    const from = memberOf(group, body.from);
    const typed = body.text;
    if (typeof typed !== 'string' || typed.trim() === '' || typed.length > MAX_TEXT - 50)
      throw new HttpError(
        400,
        'INVALID_INPUT',
        `body must be JSON { "from": "U…", "text": "<1..${MAX_TEXT - 50} characters>", "mention"? }`,
      );
    requireBot(group);
    await line.requireStandIn();
    const { text, mention } =
      body.mention === true ? mentionText(BOT_NAME, typed) : { text: typed, mention: undefined };
    const { at, webhookEventId, options } = await line.prepare(from, true, group.chatId);
    const { status } = await line.post(
      req,
      groupTextEvent(group.chatId, text, {
        ...options,
        userId: from,
        ...(mention ? { mentionees: [{ ...mention, isSelf: true }] } : {}),
      }),
    );
    const entry = log.remember(group.chatId, at, {
      kind: 'text',
      from,
      text,
      ...(mention ? { mention } : {}),
      webhookEventId,
      status,
    });
    res.status(202).json(entry);
  });

  router.post(
    '/dev/api/groups/:chatId/postback',
    express.json({ limit: '4kb' }),
    async (req, res) => {
      const group = groupOf(req);
      const body = bodyOf(req);
      const from = memberOf(group, body.from);
      const { data, displayText } = postbackOf(body, `data: 1..${MAX_POSTBACK_DATA} characters`);
      requireBot(group);
      await line.requireStandIn();
      // As in LINE: every tap is its own event with its own fresh reply token.
      const { at, webhookEventId, options } = await line.prepare(from, true, group.chatId);
      const { status } = await line.post(
        req,
        groupPostbackEvent(group.chatId, data, { ...options, userId: from }),
      );
      const entry = log.remember(group.chatId, at, {
        kind: 'postback',
        from,
        data,
        ...(displayText ? { text: displayText } : {}),
        webhookEventId,
        status,
      });
      res.status(202).json(entry);
    },
  );

  router.get('/dev/api/groups/:chatId/timeline', async (req, res) => {
    const group = groupOf(req);
    const as = typeof req.query.as === 'string' ? req.query.as : '';
    const viewer = group.members.includes(as) ? as : group.members[0]!;
    const [records, accounts] = await Promise.all([
      sim.standIn
        .received()
        .then((all) => all.filter((r) => inChat(r, group.chatId)))
        .catch(() => null),
      Promise.all(group.members.map((m) => accountOf(m))),
    ]);
    const sent = await withWorkflows(sim, log.recent(group.chatId, TIMELINE_LIMIT), []);
    const seen = new Map<string, string>();
    for (const e of sent) for (const w of e.workflows) seen.set(w.workflowId, w.url);
    res.set('cache-control', 'no-store').json({
      chatId: group.chatId,
      group: { ...group, memberNames: group.members.map((m) => nameOf(m) ?? null) },
      standInReachable: records !== null,
      sent,
      bot: records ? botEntries(records.slice(-TIMELINE_LIMIT)) : [],
      viewer,
      account: accounts[group.members.indexOf(viewer)] ?? null,
      members: group.members.map((lineUserId, i) => ({
        lineUserId,
        displayName: nameOf(lineUserId) ?? null,
        balance: accounts[i]?.balance?.balance ?? null,
      })),
      workflows: [...seen].map(([workflowId, url]) => ({ workflowId, url })),
    });
  });

  return router;
}
