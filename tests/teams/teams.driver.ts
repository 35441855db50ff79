import { Writable } from 'node:stream';
import pino from 'pino';
import { COUNCIL_SWEEP_JOB } from '../../src/core/council/council.jobs.js';
import { FakeClock } from '../../src/core/shared/clock.port.js';
import { startHttpServer, type Route, type RunningHttpServer } from '../../src/http/server.js';
import { startScheduler, type RunningScheduler } from '../../src/scheduler/index.js';
import { OUTBOX_JOB } from '../../src/scheduler/outbox.js';
import { createServices, type Services } from '../../src/services.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import type { Store } from '../../src/core/ports/store.port.js';
import { createTeamsChannel, type TeamsChannel } from '../../src/teams/teams.channel.js';
import { ACTIONS } from '../../src/views/actions.js';
import { TEST_BALLOT_SECRET } from '../helpers/services.js';
import { APP_ID, FakeBotFramework, TENANT, type ConnectorCall } from './harness.js';
import { recordLog } from '../helpers/privacy.js';

/** A person of the story, as Teams knows them. */
export interface TeamsPerson {
  key: string;
  name: string;
  /** Bot Framework user id (29:…). */
  id: string;
  /** Microsoft Entra object id. */
  aad: string;
  team?: string;
}

const person = (key: string, name: string, n: number, team?: string): TeamsPerson => ({
  key,
  name,
  id: `29:1${key}-teams-user-id`,
  aad: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  ...(team ? { team } : {}),
});

/** The cast of the story: the console's, as Teams users. */
export const PEOPLE = {
  ana: person('ana', 'Ana Admin', 1),
  raj: person('raj', 'Raj Reporter', 2),
  mia: person('mia', 'Mia Quiet', 3),
  ben: person('ben', 'Ben Support', 4),
  cy: person('cy', 'Cy Product', 5),
  dee: person('dee', 'Dee Engineering', 6),
  vera: person('vera', 'Vera VP', 7),
  olu: person('olu', 'Olu Owner', 8),
  lea: person('lea', 'Lea Leader', 9),
  /** Never installs the app: nobody can write to him in a personal chat. */
  zed: person('zed', 'Zed Nobody', 10),
} as const;
export type PersonKey = keyof typeof PEOPLE;

/** The team's channels the bot is added to. */
export const CHANNELS = {
  triage: '19:triage0000000000000000000000000@thread.tacv2',
  council: '19:council000000000000000000000000@thread.tacv2',
  leaders: '19:leaders000000000000000000000000@thread.tacv2',
} as const;
export type ChannelKey = keyof typeof CHANNELS;

const TEAM_ID = '19:team00000000000000000000000000000@thread.tacv2';
/** The team's Microsoft 365 group id, as Teams sends it in a channel's activities. */
export const TEAM_GROUP_ID = 'c0ffee00-0000-4000-8000-00000000c0de';
const BOT = { id: `28:${APP_ID}`, name: 'Pebblebot' };
export const WORKSPACE_ID = `teams:${TENANT}`;

/** Where an activity happens: a person's personal chat with the bot, or a team channel. */
export type Where = 'personal' | ChannelKey;

/** A payload the bot produced: sent to the Bot Connector, or answered to an invoke. */
export interface Payload {
  /** The conversation it went to, or `invoke:<person>` for an invoke's answer. */
  to: string;
  body: unknown;
}

export function personalConversation(p: TeamsPerson): string {
  return `a:personal-${p.key}`;
}

/** `<at>Name</at>` in the text and its mention entity, as Teams sends a mention. */
function mention(p: { id: string; name: string }) {
  const text = `<at>${p.name}</at>`;
  return { text, entity: { type: 'mention', text, mentioned: { id: p.id, name: p.name } } };
}

export interface TeamsDriverOptions {
  /** The story's clock (the parity test gives every channel the same start). */
  clock?: FakeClock;
  /** Teams admins and team owners read from the loopback Microsoft Graph. */
  graph?: boolean;
  /** The bot's own server is its PUBLIC_URL: digest charts are images in the digest card. */
  publicUrl?: boolean;
}

/**
 * The pebble story driven through `POST /api/messages` with signed activities, as Teams would
 * send them: typed lines in personal chats and channels, Action.Execute invokes on the cards.
 * Proactive sends (triage cards, vote messages, DMs, digests) arrive at the loopback Bot
 * Connector through the real outbox and scheduler jobs, on a fake clock. The step names are
 * the cross-channel parity test's.
 */
export class TeamsDriver {
  readonly bf = new FakeBotFramework();
  readonly clock: FakeClock;
  readonly logs: string[] = [];
  /** Every invoke's HTTP answer, with who asked. */
  readonly invokeAnswers: { person: PersonKey; body: unknown }[] = [];
  store!: Store;
  services!: Services;
  channel!: TeamsChannel;
  private server!: RunningHttpServer;
  private scheduler!: RunningScheduler;
  private seq = 1_771_290_000_000;

  private constructor(private readonly options: TeamsDriverOptions) {
    this.clock = options.clock ?? new FakeClock('2026-03-02T10:00:00Z');
  }

  static async start(options: TeamsDriverOptions = {}): Promise<TeamsDriver> {
    const driver = new TeamsDriver(options);
    await driver.open();
    return driver;
  }

  private async open(): Promise<void> {
    await this.bf.start();
    const logs = this.logs;
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          logs.push(chunk.toString());
          recordLog(chunk.toString());
          done();
        },
      }),
    );
    this.store = await openEmbeddedStore();
    this.services = createServices(this.store, this.clock, { ballotSecret: TEST_BALLOT_SECRET });
    // The server listens first, so that its address can be the bot's public one (chart images).
    const routes: Route[] = [];
    this.server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      logger,
      routes,
      ready: () => this.store.ping(),
    });
    this.channel = createTeamsChannel(this.bf.config(), {
      store: this.store,
      logger,
      services: this.services,
      adminObjectIds: [PEOPLE.ana.aad],
      ...(this.options.graph ? { graph: this.bf.graph() } : {}),
      ...(this.options.publicUrl ? { publicUrl: `http://127.0.0.1:${this.server.port}` } : {}),
      gateway: { backoffMs: 1, maxInlineWaitMs: 50 },
    });
    routes.push(...this.channel.routes);
    await this.channel.start();
    this.scheduler = startScheduler({ services: this.services, channels: [this.channel], logger });
  }

  async close(): Promise<void> {
    await this.scheduler.stop();
    await this.services.council.stop();
    await this.server.close(1_000);
    await this.store.close();
    await this.bf.stop();
  }

  // ------------------------------------------------------------------ activities

  private base(p: TeamsPerson, where: Where): Record<string, unknown> {
    const id = String(++this.seq);
    const channel = where === 'personal' ? undefined : CHANNELS[where];
    return {
      id,
      timestamp: this.clock.now().toISOString(),
      channelId: 'msteams',
      serviceUrl: this.bf.serviceUrl,
      from: { id: p.id, name: p.name, aadObjectId: p.aad },
      recipient: BOT,
      conversation: channel
        ? {
            id: `${channel};messageid=${id}`,
            conversationType: 'channel',
            isGroup: true,
            tenantId: TENANT,
          }
        : { id: personalConversation(p), conversationType: 'personal', tenantId: TENANT },
      channelData: {
        tenant: { id: TENANT },
        ...(channel
          ? { team: { id: TEAM_ID, aadGroupId: TEAM_GROUP_ID }, channel: { id: channel } }
          : {}),
      },
    };
  }

  async post(activity: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`http://127.0.0.1:${this.server.port}/api/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${this.bf.token()}`,
      },
      body: JSON.stringify(activity),
    });
    const text = await res.text();
    const body: unknown = text ? JSON.parse(text) : undefined;
    if (res.status !== 200) {
      // The bot's own account of the failure says more than the status.
      const errors = this.logs.filter((l) => /"level":(50|60)/.test(l)).slice(-2);
      throw new Error(`/api/messages answered ${res.status}: ${text}\n${errors.join('\n')}`);
    }
    return { status: res.status, body };
  }

  /**
   * A line typed to the bot: in personal chat as is, in a channel after an @mention of the
   * bot. `{@ben}` in the line is an @mention of Ben. Resolves with the text of the replies.
   */
  async say(who: PersonKey, text: string, where: Where = 'personal'): Promise<string> {
    const p = PEOPLE[who];
    const entities: Record<string, unknown>[] = [];
    let line = text.replace(/\{@(\w+)\}/g, (_m, key: string) => {
      const m = mention(PEOPLE[key as PersonKey]);
      entities.push(m.entity);
      return m.text;
    });
    if (where !== 'personal') {
      const bot = mention(BOT);
      entities.push(bot.entity);
      line = `${bot.text} ${line}`;
    }
    const before = this.bf.connectorCalls.length;
    await this.post({
      ...this.base(p, where),
      type: 'message',
      text: line,
      textFormat: 'plain',
      ...(entities.length ? { entities } : {}),
    });
    return this.bf.connectorCalls
      .slice(before)
      .map((c) => JSON.stringify(c.body))
      .join('\n');
  }

  /** A click on an Action.Execute button: the invoke's answer (the caller's card). */
  async click(
    who: PersonKey,
    verb: string,
    value: string | undefined,
    where: Where = 'personal',
    inputs: Record<string, string> = {},
  ) {
    const res = await this.post({
      ...this.base(PEOPLE[who], where),
      type: 'invoke',
      name: 'adaptiveCard/action',
      value: {
        action: {
          type: 'Action.Execute',
          verb,
          data: { ...inputs, action: verb, ...(value !== undefined ? { value } : {}) },
        },
        trigger: 'manual',
      },
    });
    this.invokeAnswers.push({ person: who, body: res.body });
    return res.body as { statusCode: number; type: string; value: unknown };
  }

  /** Another invoke (dialogs, message extension) from a person: its HTTP answer. */
  async invoke(who: PersonKey, name: string, value: unknown, where: Where = 'personal') {
    const res = await this.post({ ...this.base(PEOPLE[who], where), type: 'invoke', name, value });
    this.invokeAnswers.push({ person: who, body: res.body });
    return res.body;
  }

  /** Everyone installs the app in personal chat; the bot is added to the team's channels. */
  async install(): Promise<void> {
    for (const key of Object.keys(PEOPLE) as PersonKey[])
      if (key !== 'zed')
        await this.post({
          ...this.base(PEOPLE[key], 'personal'),
          type: 'installationUpdate',
          action: 'add',
        });
    for (const where of Object.keys(CHANNELS) as ChannelKey[]) {
      const activity = this.base(PEOPLE.ana, where);
      await this.post({
        ...activity,
        type: 'conversationUpdate',
        conversation: { ...(activity.conversation as object), id: CHANNELS[where] },
        membersAdded: [BOT],
      });
    }
  }

  /** The admin sets up triage, the council and the digest, by typing, as a Teams admin would. */
  async configure(): Promise<void> {
    await this.say('ana', 'config triage here', 'triage');
    await this.say('ana', 'config council channel here', 'council');
    await this.say('ana', 'config council members {@ben} {@cy} {@dee}');
    await this.say('ana', 'config council sponsor {@vera}');
    await this.say('ana', 'config digest channel here', 'leaders');
    await this.say('ana', 'config digest leaders {@lea}');
  }

  // ------------------------------------------------------------------ story steps

  async report(who: PersonKey, text: string, options: { anonymous?: boolean } = {}) {
    const out = await this.say(who, `${options.anonymous ? 'anon' : 'report'} ${text}`);
    await this.settle();
    return out;
  }

  /** +1 from the triage card's button. */
  async support(who: PersonKey, pebble: number) {
    const answer = await this.click(who, ACTIONS.support, String(pebble), 'triage');
    await this.settle();
    return answer;
  }

  /** Severity from the triage card's menu, the stage typed in the triage channel. */
  async triage(who: PersonKey, pebble: number, change: { severity?: number; stage?: string }) {
    if (change.severity !== undefined)
      await this.click(who, ACTIONS.setSeverity, `${pebble}:${change.severity}`, 'triage');
    if (change.stage) await this.say(who, `triage P-${pebble} stage ${change.stage}`, 'triage');
    await this.settle();
  }

  async propose(who: PersonKey, ...pebbles: number[]) {
    const out = await this.say(who, `council propose ${pebbles.map((n) => `P-${n}`).join(' ')}`);
    await this.settle();
    return out;
  }

  /** A ballot button on the vote message in the council channel. */
  async vote(who: PersonKey, vote: number, choice: string) {
    const answer = await this.click(who, ACTIONS.councilBallot, `${vote}:${choice}`, 'council');
    await this.settle();
    return answer;
  }

  /** The voting window passes: the council sweep closes what is still open. */
  async closeVotes() {
    this.clock.advance(4 * 86_400_000);
    await this.scheduler.scheduler.tick(COUNCIL_SWEEP_JOB, this.clock.now());
    await this.settle();
  }

  async assign(who: PersonKey, improvement: number, owner: PersonKey, date: string) {
    const out = await this.say(who, `improvement assign I-${improvement} {@${owner}} ${date}`);
    await this.settle();
    return out;
  }

  /** "Accept" on the ownership question in the owner's personal chat. */
  async accept(who: PersonKey, improvement: number) {
    const answer = await this.click(who, ACTIONS.improvementAccept, String(improvement));
    await this.settle();
    return answer;
  }

  async done(who: PersonKey, improvement: number, note: string) {
    const out = await this.say(who, `improvement update I-${improvement} done "${note}"`);
    await this.settle();
    return out;
  }

  /** "Did this fix it for you?" answered with its buttons in the person's personal chat. */
  async answerFixed(who: PersonKey, improvement: number, answer: 'yes' | 'no') {
    const verb = answer === 'yes' ? ACTIONS.improvementFixedYes : ACTIONS.improvementFixedNo;
    const out = await this.click(who, verb, String(improvement));
    await this.settle();
    return out;
  }

  /** The weekly digest job at the next Monday 09:05 (the workspace's default schedule). */
  async digest() {
    const now = this.clock.now();
    const days = ((8 - now.getUTCDay()) % 7 || 7) * 86_400_000;
    const monday = new Date(now.getTime() + days);
    monday.setUTCHours(9, 5, 0, 0);
    this.clock.set(monday);
    await this.scheduler.scheduler.tick('digest.weekly', this.clock.now());
    await this.settle();
  }

  /** Vote messages refreshed, the outbox delivered (twice: a delivery may queue more). */
  async settle(): Promise<void> {
    for (let round = 0; round < 2; round++) {
      await this.services.council.refresher.flush();
      this.scheduler.scheduler.kick(OUTBOX_JOB);
      await this.scheduler.scheduler.idle();
    }
  }

  // ------------------------------------------------------------------ what was sent

  /** Calls to the Bot Connector in one conversation (a channel, or a person's personal chat). */
  sentTo(conversationId: string): ConnectorCall[] {
    return this.bf.connectorCalls.filter((c) =>
      decodeURIComponent(c.path).includes(`/v3/conversations/${conversationId}`),
    );
  }

  /** What a person received in their personal chat, as text. */
  dmsOf(who: PersonKey): string {
    return this.sentTo(personalConversation(PEOPLE[who]))
      .map((c) => JSON.stringify(c.body))
      .join('\n');
  }

  /** What was posted in a channel, as text. */
  postsIn(where: ChannelKey): string {
    return this.sentTo(CHANNELS[where])
      .map((c) => JSON.stringify(c.body))
      .join('\n');
  }

  /** Every payload the bot produced: connector calls and invoke answers. */
  payloads(): Payload[] {
    return [
      ...this.bf.connectorCalls.map((c) => ({
        to:
          /\/v3\/conversations\/([^/]+)/.exec(decodeURIComponent(c.path))?.[1]?.split(';')[0] ?? '',
        body: c.body,
      })),
      ...this.invokeAnswers.map((a) => ({ to: `invoke:${a.person}`, body: a.body })),
    ];
  }
}
