import { once } from 'node:events';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/shared/clock.port.js';
import { OutboxDispatcher } from '../../src/scheduler/outbox.js';
import { createServices } from '../../src/services.js';
import { createSlackChatGateway } from '../../src/slack/chat-gateway.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import { ACTIONS } from '../../src/views/actions.js';
import { digestViews } from '../../src/views/digest.view.js';
import {
  crashScene,
  postSigned,
  startBot,
  stopBot,
  type BotProcess as Bot,
} from '../slack/bot-process.js';

const SECRET = 'crash-safety-signing-secret';
// The fake Slack's auth.test names this team.
const TEAM = 'T1';
const WORKSPACE = `slack:${TEAM}`;
const COUNCIL = 'C0COUNCIL1';
const LEADERS = 'C0LEADERS1';
const MEMBERS = Array.from({ length: 60 }, (_, i) => `U0MEM${String(i).padStart(2, '0')}`);
const REPORTS = 120;
/** Acknowledgements before the kill: about half of the burst. */
const KILL_AFTER = 90;
const logger = pino({ level: 'silent' });

const scene = crashScene('pebblebot-crash-safety-');

/** The bot on DATA_DIR with the fake Slack API at `slackApi`. */
const start = (dataDir: string, slackApi: string) =>
  startBot(dataDir, { slackApi, secret: SECRET, token: 'xoxb-crash-safety' });

const slash = (bot: Bot, user: string, text: string, responseUrl: string) =>
  postSigned(
    bot,
    new URLSearchParams({
      team_id: TEAM,
      team_domain: 'acme',
      channel_id: 'C0GENERAL1',
      channel_name: 'general',
      user_id: user,
      user_name: user.toLowerCase(),
      command: '/pebble',
      text,
      response_url: responseUrl,
      trigger_id: `trigger-${user}-${Math.random().toString(36).slice(2)}`,
    }).toString(),
  );

/** A council member's ballot button click, as Slack sends it. */
const ballot = (bot: Bot, user: string, responseUrl: string) =>
  postSigned(
    bot,
    new URLSearchParams({
      payload: JSON.stringify({
        type: 'block_actions',
        user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: TEAM },
        api_app_id: 'A0PEBBLE',
        token: 'legacy',
        team: { id: TEAM, domain: 'acme' },
        trigger_id: `trigger-${user}`,
        container: { type: 'message', message_ts: '1700000000.000100', channel_id: COUNCIL },
        channel: { id: COUNCIL, name: 'council' },
        message: { type: 'message', ts: '1700000000.000100', text: 'V-1' },
        response_url: responseUrl,
        actions: [
          {
            type: 'button',
            action_id: ACTIONS.councilBallot,
            block_id: 'b1',
            text: { type: 'plain_text', text: 'Fix now' },
            value: '1:fix-now',
            action_ts: '1700000001.000200',
          },
        ],
      }),
    }).toString(),
  );

/**
 * A workspace two weeks old with a council of 60, an open vote V-1 on P-1, and a digest due
 * now (its schedule is this weekday, a minute ago), queued in the outbox.
 */
async function prepare(dataDir: string): Promise<string> {
  const store = await openEmbeddedStore({ dataDir });
  const clock = new FakeClock(new Date(Date.now() - 14 * 86_400_000).toISOString());
  const services = createServices(store, clock, {});
  const admin = { userId: 'U0ADMIN', platformAdmin: true };
  let workspace = await services.workspaces.ensure('slack', TEAM, { name: 'Acme' });
  const now = new Date();
  const minuteAgo = new Date(now.getTime() - 60_000);
  workspace = await services.workspaces.updateSettings(workspace, admin, {
    admins: [admin.userId],
    digest: {
      enabled: true,
      day: ((now.getUTCDay() + 6) % 7) + 1,
      time: minuteAgo.toISOString().slice(11, 16),
      channel: LEADERS,
      leaders: [],
    },
  });
  await services.council.configure(workspace, admin, {
    members: MEMBERS.map((userId) => ({ userId, name: userId })),
    channel: COUNCIL,
    secret: false,
  });
  workspace = (await services.workspaces.get(workspace.id))!;
  await services.pebbles.report(
    workspace,
    { userId: 'U0REP' },
    { text: 'Refunds take a month' },
    {
      kind: 'slash',
    },
  );
  // The vote opens now, so its voting window is still open while the test runs.
  clock.set(now);
  await services.pebbles.transition(workspace, admin, 1, 'triaged');
  await services.council.propose(workspace, admin, [1]);
  const queued = await services.digest.sendDue(
    await services.workspaces.get(workspace.id),
    services.outbox,
    digestViews,
    now,
  );
  expect(queued).toBe('queued');
  const [digest] = await store.outbox.list({ kind: 'digest' });
  await store.close();
  return digest!.key;
}

describe('crash safety: a bot killed -9 while it creates pebbles, casts ballots and sends the digest', () => {
  it('restarts consistent: every acknowledged request stored, counters match documents, the outbox resumes without sending twice', async () => {
    const dir = scene.folder();
    const digestKey = await prepare(dir);
    let digestPosted!: () => void;
    const posted = new Promise<void>((resolve) => (digestPosted = resolve));
    // The digest reaches Slack but its answer never comes back: it is mid-send at the kill.
    const { fake, api } = await scene.slack({
      reply: (method, body) =>
        method === 'chat.postMessage' && body.channel === LEADERS ? 'post-then-hang' : 'ok',
      onPosted: (m) => {
        if (m.channel === LEADERS) digestPosted();
      },
    });
    const bot = await start(dir, api);
    // The outbox runs every 10 s: the digest goes out within one round of the start.
    await posted;

    const text = (i: number) => `crash-safety-${String(i).padStart(3, '0')} the portal logs me out`;
    const requests = [
      ...Array.from({ length: REPORTS }, (_, i) => ({ kind: 'report' as const, i })),
      ...MEMBERS.map((_, i) => ({ kind: 'ballot' as const, i })),
    ].sort((a, b) => (a.i % 7) - (b.i % 7) || a.i - b.i);
    const acked: typeof requests = [];
    const exited = once(bot.child, 'exit');
    await Promise.all(
      requests.map(async (r) => {
        const status = await (
          r.kind === 'report'
            ? slash(bot, `U0REP${r.i}`, text(r.i), `${fake.url}/r/${r.i}`)
            : ballot(bot, MEMBERS[r.i]!, `${fake.url}/b/${r.i}`)
        ).catch(() => 0);
        if (status !== 200) return;
        acked.push(r);
        if (acked.length === KILL_AFTER) bot.child.kill('SIGKILL');
      }),
    );
    const [, signal] = (await exited) as [number | null, string | null];
    expect(signal, bot.output()).toBe('SIGKILL');
    expect(acked.filter((r) => r.kind === 'report').length).toBeGreaterThan(0);
    expect(acked.filter((r) => r.kind === 'ballot').length).toBeGreaterThan(0);

    // Restarted, the bot closes the vote early for an admin.
    const again = await start(dir, api);
    expect(
      await slash(again, 'U0ADMIN', 'council close V-1 "decided in the room"', `${fake.url}/c`),
    ).toBe(200);
    await stopBot(again);

    const store = await openEmbeddedStore({ dataDir: dir });
    try {
      // Every acknowledged report is a whole pebble; no pebble is half written.
      const { items: pebbles } = await store.pebbles.list(WORKSPACE, {}, { limit: 1_000 });
      const titles = new Set(pebbles.map((p) => p.title));
      const lost = acked.filter((r) => r.kind === 'report' && !titles.has(text(r.i)));
      expect(lost, `${lost.length} acknowledged reports lost`).toEqual([]);
      const numbers = pebbles.map((p) => p.number).sort((a, b) => a - b);
      expect(new Set(numbers).size).toBe(numbers.length);
      for (const p of pebbles) {
        expect(p.title.length).toBeGreaterThan(0);
        expect(p.reporter).toBeDefined();
      }
      // Every acknowledged ballot counted, once; the tally matches the ballots stored.
      const vote = (await store.votes.get(WORKSPACE, 1))!;
      const ballots = await store.ballots.list(vote.id);
      const voters = new Set(ballots.map((b) => b.key));
      expect(voters.size).toBe(ballots.length);
      const ackedBallots = acked.filter((r) => r.kind === 'ballot').length;
      expect(ballots.length).toBeGreaterThanOrEqual(ackedBallots);
      const counts = await store.ballots.counts(vote.id);
      expect(Object.values(counts).reduce((a, n) => a + (typeof n === 'number' ? n : 0), 0)).toBe(
        ballots.length,
      );
      // Closed early after the restart: its result is computed from the ballots stored.
      expect(vote.status).toBe('decided');
      expect(vote.result?.tally['fix-now']).toBe(ballots.length);
      expect(vote.result?.cast).toBe(ballots.length);
      expect(counts['fix-now']).toBe(ballots.length);

      // The outbox resumes where the killed bot stopped: once the dead claim runs out, the
      // digest is found already in Slack (not posted again) and the rest goes out once.
      expect((await store.outbox.get(digestKey))?.status).toBe('sending');
      const later = { now: () => new Date(Date.now() + 10 * 60_000) };
      const result = await new OutboxDispatcher({
        store,
        clock: later,
        logger,
        worker: 'after-restart',
        gatewayFor: () =>
          createSlackChatGateway(
            'xoxb-crash-safety',
            { slackApiUrl: api, retryConfig: { retries: 0 } },
            logger,
          ),
      }).drain();
      expect(result.failed).toBe(0);
      expect(await store.outbox.get(digestKey)).toMatchObject({ status: 'sent', recovered: true });
      const leaders = fake.messages.filter((m) => m.channel === LEADERS);
      expect(leaders).toHaveLength(1);
      expect(await store.outbox.count({ status: ['pending', 'sending', 'failed'] })).toBe(0);
      for (const [key, messages] of fake.byKey()) expect(messages, key).toHaveLength(1);
    } finally {
      await store.close();
    }
  }, 240_000);
});
