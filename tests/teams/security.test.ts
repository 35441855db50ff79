import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  activityFixture,
  APP_ID,
  FakeBotFramework,
  signingKey,
  signToken,
  startTeamsApp,
  TENANT,
  type TeamsApp,
} from './harness.js';

const bf = new FakeBotFramework();
let app: TeamsApp;

beforeAll(async () => {
  await bf.start();
  app = await startTeamsApp(bf.config());
});
afterAll(async () => {
  await app?.close();
  await bf.stop();
});
beforeEach(() => {
  bf.connectorCalls.length = 0;
});

function message(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...activityFixture('activity-personal-message.json'),
    serviceUrl: bf.serviceUrl,
    ...overrides,
  };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('Teams endpoint security (real JWT validation against a loopback OpenID configuration)', () => {
  it('answers a correctly signed activity and replies through the connector with its own token', async () => {
    const res = await app.post(message(), bearer(bf.token()));
    expect(res.status).toBe(200);
    expect(bf.connectorCalls).toHaveLength(1);
    const [call] = bf.connectorCalls;
    expect(call!.method).toBe('POST');
    expect(call!.path).toContain('/v3/conversations/');
    expect(call!.authorization).toBe('Bearer outgoing-token');
    expect(bf.tokenRequests.at(-1)).toContain(`client_id=${APP_ID}`);
    const attachments = call!.body.attachments as { contentType: string }[];
    expect(attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
  });

  const refusals: [string, () => Record<string, string>][] = [
    ['no token', () => ({})],
    ['a token that is not a JWT', () => bearer('not-a-jwt')],
    ['an expired token', () => bearer(bf.token({ nbf: -7200, exp: -3600 }))],
    ['a token not yet valid', () => bearer(bf.token({ nbf: 3600, exp: 7200 }))],
    ['a token for another app (audience)', () => bearer(bf.token({ aud: 'someone-else' }))],
    ['a token from another issuer', () => bearer(bf.token({ iss: 'https://evil.example' }))],
    [
      'a token signed with an unknown key',
      () => bearer(signToken(signingKey(), { serviceurl: bf.serviceUrl })),
    ],
    [
      'a token whose serviceurl claim does not match the activity',
      () => bearer(bf.token({ serviceurl: 'https://smba.trafficmanager.net/emea/' })),
    ],
  ];
  for (const [name, headers] of refusals) {
    it(`refuses ${name} with 401 before any work`, async () => {
      const res = await app.post(message(), headers());
      expect(res.status).toBe(401);
      expect(bf.connectorCalls).toHaveLength(0);
      expect(await app.store.conversations.byUser(`teams:${TENANT}`, 'nobody')).toBeNull();
    });
  }

  it('writes nothing for a refused request (no conversation reference stored)', async () => {
    const fresh = message({
      conversation: { id: 'a:never-stored', conversationType: 'personal', tenantId: TENANT },
    });
    expect((await app.post(fresh, bearer('not-a-jwt'))).status).toBe(401);
    expect(
      await app.store.conversations.byConversation(`teams:${TENANT}`, 'a:never-stored'),
    ).toBeNull();
  });

  it('answers 400 for a body that is not JSON, or an activity without channelId or serviceUrl', async () => {
    expect((await app.post('{not json', bearer(bf.token()))).status).toBe(400);
    const { channelId: _c, ...noChannel } = message();
    const missingChannel = await app.post(noChannel, bearer(bf.token()));
    expect(missingChannel.status).toBe(400);
    expect(JSON.stringify(missingChannel.body)).toContain('channelId');
    const { serviceUrl: _s, ...noService } = message();
    expect((await app.post(noService, bearer(bf.token()))).status).toBe(400);
    expect((await app.post(message({ from: {} }), bearer(bf.token()))).status).toBe(400);
    expect(bf.connectorCalls).toHaveLength(0);
  });

  it('answers 413 for an oversized activity', async () => {
    const res = await app.post(message({ text: 'x'.repeat(300 * 1024) }), bearer(bf.token()));
    expect(res.status).toBe(413);
  });

  it('answers a card action without its action with a clear error, never a 5xx', async () => {
    const action = {
      ...activityFixture('activity-card-action.json'),
      serviceUrl: bf.serviceUrl,
      value: {},
    };
    const res = await app.post(action, bearer(bf.token()));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      statusCode: 400,
      type: 'application/vnd.microsoft.error',
      value: { code: 'BadRequest' },
    });
  });
});

describe('Teams endpoint for a single tenant', () => {
  it('refuses a validly signed activity from another tenant with 403', async () => {
    const single = await startTeamsApp(
      bf.config({ appType: 'SingleTenant', tenantId: '99999999-0000-0000-0000-000000000000' }),
    );
    try {
      const res = await single.post(message(), bearer(bf.token()));
      expect(res.status).toBe(403);
      expect(bf.connectorCalls).toHaveLength(0);
    } finally {
      await single.close();
    }
  });
});

describe('Teams endpoint without an app id', () => {
  it('is off (404) unless TEAMS_ALLOW_UNAUTHENTICATED is set', async () => {
    const off = await startTeamsApp({ appType: 'MultiTenant', allowUnauthenticated: false });
    try {
      expect(off.channel.routes).toHaveLength(0);
      expect((await off.post(message())).status).toBe(404);
    } finally {
      await off.close();
    }
  });

  it('accepts unsigned activities for the Bot Framework Emulator when explicitly allowed', async () => {
    const emulator = await startTeamsApp({ appType: 'MultiTenant', allowUnauthenticated: true });
    try {
      const activity = {
        ...message(),
        channelId: 'emulator',
        conversation: { id: 'emulator-conversation' },
        channelData: {},
      };
      const res = await emulator.post(activity);
      expect(res.status).toBe(200);
      expect(bf.connectorCalls).toHaveLength(1);
      expect(bf.connectorCalls[0]!.authorization).toBeUndefined();
    } finally {
      await emulator.close();
    }
  });
});
