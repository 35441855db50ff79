import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPTION_LABELS } from '../../src/core/council/council.model.js';
import { ACTIONS } from '../../src/views/actions.js';
import {
  recordOutgoing,
  registerSensitive,
  scanPrivacy,
  type PrivacyRecord,
  type Sensitive,
} from '../helpers/privacy.js';
import {
  API,
  blockAction,
  eventually,
  HOOKS,
  responsePath,
  startSlackApp,
  TEAM,
  uid,
  type SlackTestApp,
} from '../slack/harness.js';

/**
 * A Slack story with people whose identity is private: Rita reports anonymously, and three
 * council members vote by secret ballot on her pebble. Their ids and names are seen nowhere
 * else in the suite, so the suite-wide privacy scan (tests/privacy-scan.global.ts) finds them
 * only if something leaks; this file also scans its own traffic, to fail right here.
 */

const RITA = { id: 'U0HUSHRITA', name: 'rita.hush' };
const ADMIN = { id: 'U0HUSHADMIN', name: 'admin' };
const VOTERS = [
  { id: 'U0HUSHVIC', name: 'vic.hush', choice: 'fix-now' },
  { id: 'U0HUSHWEN', name: 'wen.hush', choice: 'fix-now' },
  { id: 'U0HUSHXAV', name: 'xav.hush', choice: 'need-info' },
] as const;
const COUNCIL = 'C0HUSHCOUNCIL';
const TRIAGE = 'C0HUSHTRIAGE';
const choices = [...Object.keys(OPTION_LABELS), ...Object.values(OPTION_LABELS)];

let t: SlackTestApp;
const sent: { method: string; uri: string; body: Record<string, unknown> }[] = [];
/** Where each private person's own answers go (their response_urls). */
const own = new Map<string, string[]>();

function decode(raw: unknown): Record<string, unknown> {
  const s = typeof raw === 'string' ? raw : JSON.stringify(raw);
  if (s.startsWith('{')) return JSON.parse(s) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(s))
    out[key] = /^[[{]/.test(value) ? (JSON.parse(value) as unknown) : value;
  return out;
}

function responseUrlFor(person: { id: string }): string {
  const path = responsePath(uid('hush'));
  own.set(person.id, [...(own.get(person.id) ?? []), path]);
  return `${HOOKS}${path}`;
}

beforeAll(async () => {
  t = await startSlackApp();
  let ts = 0;
  nock(API)
    .post(/^\/api\/.+/)
    .reply(200, (uri, raw) => {
      const method = uri.replace(/^\/api\//, '');
      const body = decode(raw);
      sent.push({ method, uri, body });
      recordOutgoing('slack', method, body);
      if (method === 'users.info')
        return {
          ok: true,
          user: { id: body.user, name: 'someone', is_admin: body.user === ADMIN.id },
        };
      if (method === 'conversations.open')
        return { ok: true, channel: { id: `D${String(body.users)}` } };
      ts += 1;
      return { ok: true, channel: body.channel ?? 'D0', ts: `1700000000.${ts}` };
    })
    .persist();
  nock(HOOKS)
    .post(/.*/)
    .reply(200, (uri, raw) => {
      const body = decode(raw);
      sent.push({ method: 'response_url', uri, body });
      recordOutgoing('slack', 'response_url', body, uri);
      return 'ok';
    })
    .persist();
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

function sensitive(): Sensitive[] {
  return [
    {
      kind: 'anonymous-reporter',
      id: RITA.id,
      names: [RITA.name],
      ownAddresses: [RITA.id, `D${RITA.id}`, ...(own.get(RITA.id) ?? [])],
    },
    ...VOTERS.map((v): Sensitive => ({
      kind: 'secret-voter',
      id: v.id,
      names: [v.name],
      ownAddresses: [v.id, `D${v.id}`, ...(own.get(v.id) ?? [])],
      choices,
    })),
  ];
}

describe('privacy: an anonymous report decided by secret ballot, through Slack', () => {
  it('never shows Rita to anyone else, nor a voter beside their choice, in any payload or log line', async () => {
    const { services } = t.app;
    let ws = await services.workspaces.ensure('slack', TEAM);
    ({ workspace: ws } = await services.council.configure(
      ws,
      { userId: ADMIN.id, platformAdmin: true },
      {
        members: VOTERS.map((v) => ({ userId: v.id, name: v.name })),
        channel: COUNCIL,
        secret: true,
      },
    ));
    await services.workspaces.updateSettings(
      ws,
      { userId: ADMIN.id, platformAdmin: true },
      { triageChannel: TRIAGE },
    );

    // Rita reports anonymously; an admin triages; a member proposes it to the council.
    const say = (who: { id: string; name: string }, text: string) =>
      t.command(text, { user_id: who.id, user_name: who.name, response_url: responseUrlFor(who) });
    expect((await say(RITA, 'anon Expense approvals stall when a manager is away')).status).toBe(
      200,
    );
    await eventually(async () => (await services.pebbles.list(ws)).total === 1);
    await services.pebbles.transition(ws, { userId: ADMIN.id, platformAdmin: true }, 1, 'triaged');
    expect((await say(VOTERS[0], 'council propose P-1')).status).toBe(200);
    const vote = await eventually(
      async () => (await services.store.votes.get(`slack:${TEAM}`, 1)) ?? undefined,
    );

    // Each votes by button; a second member changes their mind first.
    const click = async (voter: (typeof VOTERS)[number], choice: string) => {
      const url = responseUrlFor(voter);
      const res = await t.interaction(
        blockAction(
          voter,
          { action_id: ACTIONS.councilBallot, value: `${vote.number}:${choice}` },
          {
            channel: COUNCIL,
            responseUrlId: url.split('/').at(-2)!,
          },
        ),
      );
      expect(res.status).toBe(200);
    };
    await click(VOTERS[1], 'not-now');
    for (const voter of VOTERS) await click(voter, voter.choice);
    const closed = await eventually(async () => {
      const v = await services.council.getVote(
        await services.workspaces.get(`slack:${TEAM}`),
        vote.number,
      );
      return v.status === 'decided' ? v : undefined;
    }, 10_000);
    expect(closed.result).toMatchObject({ tally: { 'fix-now': 2, 'need-info': 1 } });
    // Others look at P-1 and the council's votes.
    await say(ADMIN, 'show P-1');
    await say(ADMIN, 'council votes');
    // The story happens in public: the vote is posted (through the outbox, which may still be
    // at it) and the pebble's card is in the triage channel. The scan waits for both.
    await eventually(() => sent.some((c) => c.body.channel === COUNCIL), 15_000);
    await eventually(() => sent.some((c) => c.body.channel === TRIAGE), 15_000);
    await new Promise((r) => setTimeout(r, 300));

    for (const s of sensitive()) registerSensitive(s);
    const records: PrivacyRecord[] = [
      ...sensitive().map((s): PrivacyRecord => ({ type: 'sensitive', sensitive: s, file: 'here' })),
      ...sent.map((c): PrivacyRecord => ({
        type: 'outgoing',
        to: 'slack',
        what: c.method,
        addresses: [c.uri, c.body.channel, c.body.user, c.body.users].filter(
          (a): a is string => typeof a === 'string',
        ),
        text: JSON.stringify(c.body, (k, v: unknown) =>
          ['channel', 'user', 'users'].includes(k) ? undefined : v,
        ),
        file: 'here',
      })),
      ...t.logs.map((line): PrivacyRecord => ({ type: 'log', text: line, file: 'here' })),
    ];
    // The story did happen in public: the vote was posted and its result announced.
    expect(sent.filter((c) => c.body.channel === COUNCIL).length).toBeGreaterThan(0);
    expect(sent.filter((c) => c.body.channel === TRIAGE).length).toBeGreaterThan(0);
    expect(scanPrivacy(records)).toEqual([]);
  }, 60_000);
});
