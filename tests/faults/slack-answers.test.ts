import { readFileSync } from 'node:fs';
import path from 'node:path';
import { webApi } from '@slack/bolt';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../src/app.js';
import { createChannels } from '../../src/channels.js';
import { loadConfig } from '../../src/config.js';
import { friendlyError } from '../../src/slack/errors.js';
import { createAnsweringClient, SlackGateway } from '../../src/slack/gateway.js';
import { FakeSlackApi, type FakeReply } from '../helpers/fake-slack-api.js';
import { ROOT, tempDir } from '../helpers/run-cli.js';
import { postSigned } from '../slack/bot-process.js';

const SECRET = 'answers-test-signing-secret';
const TEAM = 'T1';
const CHANNEL = 'C0GENERAL1';
const TRIAGE = 'C0TRIAGE01';
const ALICE = { id: 'U0ALICE', name: 'alice' };
const BOB = { id: 'U0BOB', name: 'bob' };
/** The answering client's request timeout: short for a quick test, ample for loopback. */
const TIMEOUT_MS = 1_000;
const logger = pino({ level: 'silent' });

let app: RunningApp | undefined;
let fake: FakeSlackApi | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
  await fake?.stop();
});

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>) {
  const end = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** One Web API request as the fake Slack saw it, with what it was answered. */
interface Attempt {
  method: string;
  body: Record<string, unknown>;
  reply: FakeReply;
  at: number;
}

/**
 * The real app with the Slack channel over HTTP against a loopback Slack, with the client
 * options of production (only the answering client's timeout is shortened): the retries
 * under test are the ones people would get.
 */
async function start(reply: (method: string, body: Record<string, unknown>) => FakeReply) {
  const attempts: Attempt[] = [];
  fake = new FakeSlackApi({
    reply: (method, body) => {
      const answer = reply(method, body);
      attempts.push({ method, body, reply: answer, at: performance.now() });
      return answer;
    },
  });
  const api = await fake.start();
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: tempDir('pebblebot-answers-'),
    SLACK_BOT_TOKEN: 'xoxb-answers-test',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: api,
  });
  app = await startApp(config, {
    logger,
    channels: (services) =>
      createChannels(config, services, logger, {
        slack: { answering: { timeoutMs: TIMEOUT_MS } },
      }),
  });
  const { services } = app;
  const workspace = await services.workspaces.ensure('slack', TEAM);
  const url = `http://127.0.0.1:${app.http!.port}/slack/events`;
  const post = (body: string, contentType: string) =>
    postSigned({ url, secret: SECRET }, body, contentType);
  return {
    services,
    workspace,
    attempts,
    interaction: (payload: object) =>
      post(
        new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
        'application/x-www-form-urlencoded',
      ),
    event: (event: object) =>
      post(
        JSON.stringify({
          token: 'legacy',
          team_id: TEAM,
          api_app_id: 'A0PEBBLE',
          event,
          type: 'event_callback',
          event_id: `Ev${Date.now()}`,
          event_time: Math.floor(Date.now() / 1000),
        }),
        'application/json',
      ),
  };
}

/** A view_submission of the report form, shaped like the recorded one in the fixtures. */
function reportSubmission(
  user: { id: string; name: string },
  privateMetadata: string,
  title: string,
) {
  const recorded = (
    JSON.parse(
      readFileSync(
        path.join(
          ROOT,
          'tests/fixtures/slack/payloads/third-party-captures/vercel-chat__modals__slack.json',
        ),
        'utf8',
      ),
    ) as { viewSubmission: Record<string, unknown> & { view: Record<string, unknown> } }
  ).viewSubmission;
  return {
    ...recorded,
    team: { id: TEAM, domain: 'acme' },
    user: { id: user.id, username: user.name, name: user.name, team_id: TEAM },
    view: {
      ...recorded.view,
      id: 'V0REPORT1',
      hash: `${Date.now()}.answers`,
      callback_id: 'pebble_report',
      private_metadata: privateMetadata,
      state: {
        values: {
          title: { title: { type: 'plain_text_input', value: title } },
          stakeholder: {
            stakeholder: { type: 'radio_buttons', selected_option: { value: 'employee' } },
          },
        },
      },
    },
  };
}

const blocksOf = (body: Record<string, unknown>) => JSON.stringify(body.blocks ?? '');

describe('answers to people when Slack loses the reply', () => {
  it.each(['post-then-hang', 'post-then-reset'] as const)(
    'a confirmation Slack received but never answered (%s) is posted once, and the reporter learns the pebble is saved',
    async (lost) => {
      // Slack takes every copy of the confirmation and loses each answer.
      const bot = await start((method, body) =>
        method === 'chat.postMessage' && blocksOf(body).includes('P-1 recorded') ? lost : 'ok',
      );
      // The global shortcut "Report a pebble": the form opens, the person submits it, and the
      // confirmation comes by DM (no channel to answer in).
      expect(
        await bot.interaction({
          type: 'shortcut',
          callback_id: 'report_pebble',
          trigger_id: 'trigger-answers',
          user: { id: ALICE.id, username: ALICE.name, team_id: TEAM },
          team: { id: TEAM, domain: 'acme' },
          action_ts: '1.2',
          token: 'legacy',
        }),
      ).toBe(200);
      const opened = await until('the form', () =>
        bot.attempts.find((a) => a.method === 'views.open'),
      );
      const view = opened.body.view as { private_metadata: string };
      expect(
        await bot.interaction(
          reportSubmission(ALICE, view.private_metadata, 'Expense receipts vanish'),
        ),
      ).toBe(200);

      // Once the confirmation has failed, Alice is told what happened in a message of its own.
      const toAlice = () =>
        bot.attempts.filter((a) => a.method === 'chat.postMessage' && a.body.channel === ALICE.id);
      const followUp = await until('what Alice is told after the lost answer', () =>
        toAlice().find((a) => !blocksOf(a.body).includes('P-1 recorded')),
      );
      const confirmations = toAlice().filter((a) => blocksOf(a.body).includes('P-1 recorded'));
      // Slack received the confirmation once: the lost answer is not taken for a failure to send.
      expect(confirmations).toHaveLength(1);
      expect(fake!.messages.filter((m) => m.text.startsWith('P-1 recorded'))).toHaveLength(1);
      // What follows says the pebble is saved, and never invites her to report it again.
      expect(blocksOf(followUp.body)).toMatch(/Saved as \*P-1\*/);
      expect(blocksOf(followUp.body)).toContain('no need to report it again');
      for (const a of toAlice())
        expect(blocksOf(a.body)).not.toMatch(/went wrong|try again|nothing was saved/i);
      const pebble = await bot.services.pebbles.get(bot.workspace, 1);
      expect(pebble.title).toBe('Expense receipts vanish');
      // Nothing more is sent later.
      await new Promise((resolve) => setTimeout(resolve, 3 * TIMEOUT_MS));
      expect(toAlice()).toHaveLength(2);
      expect((await bot.services.pebbles.list(bot.workspace)).total).toBe(1);
    },
    30_000,
  );

  it('still retries an update Slack may have lost, and waits out a 429 Retry-After before the +1 notice', async () => {
    const CARD_TS = '1700000100.000001';
    const SOURCE_TS = '1700000000.000200';
    let updates = 0;
    let notices = 0;
    const bot = await start((method, body) => {
      // The triage card's update: the first answer is lost after Slack applied it.
      if (method === 'chat.update' && body.ts === CARD_TS)
        return ++updates === 1 ? 'post-then-hang' : 'ok';
      // Bob's private +1 notice: Slack first asks to slow down.
      if (method === 'chat.postEphemeral' && body.user === BOB.id)
        return ++notices === 1 ? { status: 429, retryAfter: 1 } : 'ok';
      return 'ok';
    });
    const admin = { userId: 'U0ADMIN', platformAdmin: true };
    await bot.services.workspaces.updateSettings(bot.workspace, admin, { triageChannel: TRIAGE });
    const workspace = await bot.services.workspaces.get(bot.workspace.id);
    await bot.services.pebbles.report(
      workspace,
      { userId: ALICE.id, name: ALICE.name },
      { text: 'The VPN drops every hour' },
      { kind: 'reaction', channelId: CHANNEL, messageTs: SOURCE_TS, authorId: 'U0AUTHOR' },
    );
    await bot.services.pebbles.setTriageCard(workspace, 1, { channelId: TRIAGE, ts: CARD_TS });

    // Bob reacts :rock: to the reported message: a +1, a private notice, the card refreshed.
    expect(
      await bot.event({
        type: 'reaction_added',
        user: BOB.id,
        reaction: 'rock',
        item: { type: 'message', channel: CHANNEL, ts: SOURCE_TS },
        item_user: 'U0AUTHOR',
        event_ts: `${Date.now() / 1000}`,
      }),
    ).toBe(200);

    const noticeTries = await until('the notice after the 429', () => {
      const tries = bot.attempts.filter((a) => a.method === 'chat.postEphemeral');
      return tries.length === 2 ? tries : undefined;
    });
    expect(noticeTries[0]!.reply).toEqual({ status: 429, retryAfter: 1 });
    // Sent again only once the Retry-After had passed.
    expect(noticeTries[1]!.at - noticeTries[0]!.at).toBeGreaterThanOrEqual(1_000);
    expect(blocksOf(noticeTries[1]!.body)).toContain('+1 recorded on *P-1*');

    const cardTries = await until('the card update, again', () => {
      const tries = bot.attempts.filter((a) => a.method === 'chat.update');
      return tries.length === 2 ? tries : undefined;
    });
    // The same update, sent again after its answer was lost: repeating it changes nothing.
    expect(cardTries[1]!.body).toEqual(cardTries[0]!.body);
    expect(cardTries[1]!.at - cardTries[0]!.at).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect((await bot.services.pebbles.get(workspace, 1)).supporterCount).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 3 * TIMEOUT_MS));
    expect(bot.attempts.filter((a) => a.method === 'chat.postEphemeral')).toHaveLength(2);
    expect(bot.attempts.filter((a) => a.method === 'chat.update')).toHaveLength(2);
  }, 30_000);

  it('does not wait out a Retry-After longer than an answer is worth, and says Slack asked to slow down', async () => {
    fake = new FakeSlackApi({ reply: () => ({ status: 429, retryAfter: 30 }) });
    await fake.start();
    const client = createAnsweringClient(
      'xoxb-answers-test',
      {
        slackApiUrl: `${fake.url}/`,
        retryConfig: webApi.retryPolicies.fiveRetriesInFiveMinutes,
        logLevel: webApi.LogLevel.ERROR,
      },
      { timeoutMs: TIMEOUT_MS },
    );
    const started = performance.now();
    const failed = await new SlackGateway(client, logger)
      .dm(ALICE.id, { text: 'hello', blocks: [] })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failed).toBeDefined();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(fake.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(1);
    expect(friendlyError(failed, logger, {})).toMatch(/slow down/);
  });
});
