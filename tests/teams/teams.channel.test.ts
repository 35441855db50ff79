import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TeamsInput, TeamsOutput } from '../../src/teams/teams-io.js';
import { noticeView } from '../../src/views/pebble.view.js';
import { splitTokens } from '../../src/views/tokens.js';
import {
  activityFixture,
  FakeBotFramework,
  startTeamsApp,
  TENANT,
  type TeamsApp,
} from './harness.js';

const bf = new FakeBotFramework();
let app: TeamsApp;
const inputs: TeamsInput[] = [];
let answer: (input: TeamsInput) => TeamsOutput = () => ({});

beforeAll(async () => {
  await bf.start();
  app = await startTeamsApp(bf.config(), {
    onActivity: (input) => {
      inputs.push(input);
      return Promise.resolve(answer(input));
    },
  });
});
afterAll(async () => {
  await app?.close();
  await bf.stop();
});
beforeEach(() => {
  bf.connectorCalls.length = 0;
  inputs.length = 0;
  answer = () => ({});
});

const signed = () => ({ authorization: `Bearer ${bf.token()}` });
const fixture = (
  name: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> => ({
  ...activityFixture(name),
  serviceUrl: bf.serviceUrl,
  ...overrides,
});
const workspaceId = `teams:${TENANT}`;

describe('Teams channel: activities to neutral inputs and back', () => {
  it('hands a channel @mention to the conversation layer without the bot mention, and replies in the thread', async () => {
    answer = () => ({ replies: [noticeView('Recorded *P-1*.')] });
    const activity = fixture('activity-channel-mention.json', {
      text: '<at>Chat SDK Demo</at> report <at>Ana Lima</at> cannot log in',
      entities: [
        ...(activityFixture('activity-channel-mention.json').entities as unknown[]),
        {
          type: 'mention',
          text: '<at>Ana Lima</at>',
          mentioned: { id: '29:ana', name: 'Ana Lima' },
        },
      ],
    });
    expect((await app.post(activity, signed())).status).toBe(200);

    expect(inputs).toHaveLength(1);
    const input = inputs[0]!;
    expect(input.kind).toBe('message');
    if (input.kind !== 'message') return;
    expect(splitTokens(input.text)).toEqual([
      'report ',
      { kind: 'person', id: '29:ana', name: 'Ana Lima' },
      ' cannot log in',
    ]);
    expect(input.conversation).toEqual({
      workspaceId,
      tenantId: TENANT,
      conversationId: '19:d441d38c655c47a085215b2726e76927@thread.tacv2',
      threadId: '19:d441d38c655c47a085215b2726e76927@thread.tacv2;messageid=1771290107407',
      kind: 'channel',
    });
    expect(input.from.name).toBe('Test User');

    expect(bf.connectorCalls).toHaveLength(1);
    expect(decodeURIComponent(bf.connectorCalls[0]!.path)).toContain(
      'v3/conversations/19:d441d38c655c47a085215b2726e76927@thread.tacv2;messageid=1771290107407/activities/1771290107407',
    );
  });

  it('turns a channel mention into a channel token (config triage #channel)', async () => {
    const activity = fixture('activity-personal-message.json', {
      text: 'config triage <at>CX triage</at>',
      entities: [
        {
          type: 'mention',
          text: '<at>CX triage</at>',
          mentioned: { id: '19:abc123@thread.tacv2', name: 'CX triage' },
        },
      ],
    });
    await app.post(activity, signed());
    const input = inputs[0]!;
    expect(input.kind === 'message' && splitTokens(input.text)).toEqual([
      'config triage ',
      { kind: 'channel', id: '19:abc123@thread.tacv2', name: 'CX triage' },
    ]);
  });

  it('keeps token delimiters people type from turning into mentions', async () => {
    const activity = fixture('activity-personal-message.json', {
      text: 'hi \uE000person\uE00229:boss\uE001',
    });
    await app.post(activity, signed());
    const input = inputs[0]!;
    expect(input.kind === 'message' && splitTokens(input.text)).toEqual(['hi person29:boss']);
  });

  it('stores the conversation reference on a first message, reachable by person', async () => {
    await app.post(fixture('activity-personal-message.json'), signed());
    const saved = await app.store.conversations.byUser(
      workspaceId,
      '29:1xXxFakeUserBase64IdStringForTeamsPlatformAbcDeFgHiJkLmNoPqRsTuVwXyZ012345ABCDEF',
    );
    expect(saved?.kind).toBe('personal');
    expect(saved?.reference).toMatchObject({
      serviceUrl: bf.serviceUrl,
      channelId: 'msteams',
      conversation: { id: saved?.conversationId },
    });
    expect(saved?.reference.activityId).toBeUndefined();
  });

  it('stores a reference on installation and marks it blocked when the app is removed', async () => {
    const base = fixture('activity-personal-message.json', {
      conversation: { id: 'a:install-1', conversationType: 'personal', tenantId: TENANT },
    });
    const { text: _t, id: _i, ...rest } = base;
    expect(
      (await app.post({ ...rest, type: 'installationUpdate', action: 'add' }, signed())).status,
    ).toBe(200);
    expect(await app.store.conversations.byConversation(workspaceId, 'a:install-1')).not.toBeNull();
    await app.post({ ...rest, type: 'installationUpdate', action: 'remove' }, signed());
    expect(
      (await app.store.conversations.byConversation(workspaceId, 'a:install-1'))?.blockedReason,
    ).toBe('app uninstalled');
    expect(inputs).toHaveLength(0);
  });

  it('answers Action.Execute with the refreshed card in the HTTP response (only the caller sees it)', async () => {
    answer = () => ({ card: noticeView('Thanks for the +1 on *P-7*.') });
    const res = await app.post(fixture('activity-card-action.json'), signed());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      statusCode: 200,
      type: 'application/vnd.microsoft.card.adaptive',
      value: { type: 'AdaptiveCard', version: '1.5' },
    });
    expect(JSON.stringify(res.body)).toContain('Thanks for the +1 on **P-7**.');
    expect(inputs[0]).toMatchObject({
      kind: 'action',
      actionId: 'pebble.support',
      value: '7',
      trigger: 'manual',
    });
    expect(bf.connectorCalls).toHaveLength(0);
  });

  it('opens the report dialog for "Report as pebble" with the message text and link', async () => {
    answer = (input) => ({
      dialog: {
        title: 'Report a pebble',
        view: noticeView(input.kind === 'open-form' ? (input.message?.text ?? '') : ''),
      },
    });
    const submit = fixture('activity-submit-action.json');
    const res = await app.post({ ...submit, name: 'composeExtension/fetchTask' }, signed());
    expect(res.status).toBe(200);
    expect(inputs[0]).toMatchObject({
      kind: 'open-form',
      source: 'messageExtension',
      commandId: 'reportAsPebble',
      message: {
        text: 'The expense form loses attachments & I retype them',
        link: 'https://teams.microsoft.com/l/message/19:abc/1767378504354',
      },
    });
    expect(res.body).toMatchObject({
      task: { type: 'continue', value: { title: 'Report a pebble' } },
    });
  });

  it('takes a message-extension submission once, however often Teams retries it', async () => {
    answer = () => ({ notice: 'Reported as P-9.' });
    const submit = fixture('activity-submit-action.json', {
      value: {
        ...(activityFixture('activity-submit-action.json').value as object),
        data: { title: `once ${Date.now()}` },
      },
    });
    const first = await app.post(submit, signed());
    const retry = await app.post(submit, signed());
    expect(first.body).toEqual({ task: { type: 'message', value: 'Reported as P-9.' } });
    expect(retry.body).toEqual({ task: { type: 'message', value: 'Already received.' } });
    expect(inputs.filter((i) => i.kind === 'submit')).toHaveLength(1);
  });

  it('answers with help when built without the services (transport tests)', async () => {
    const bare = await startTeamsApp(bf.config());
    try {
      expect((await bare.post(fixture('activity-personal-message.json'), signed())).status).toBe(
        200,
      );
      expect(JSON.stringify(bf.connectorCalls[0]!.body)).toContain('Pebblebot: report friction');
    } finally {
      await bare.close();
    }
  });
});
