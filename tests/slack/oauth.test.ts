import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from './harness.js';
import {
  CLIENT_SECRET,
  fakeInstall,
  KEY_A,
  KEY_B,
  startOAuthApp,
  type FakeInstall,
  type OAuthTestApp,
} from './oauth-harness.js';

let t: OAuthTestApp | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const ACME = fakeInstall('UANNA', { team: { id: 'TACME', name: 'Acme' } });
const GLOBEX = fakeInstall('UBRUNO', { team: { id: 'TGLOBEX', name: 'Globex' } });
/** An Enterprise Grid org installed org-wide: its workspaces TINITECH1 and TINITECH2. */
const INITECH = fakeInstall('UCARLA', { enterprise: { id: 'EINITECH', name: 'Initech' } });
/** A second org, with its workspace TUMBRELLA. */
const UMBRELLA = fakeInstall('UDARIO', { enterprise: { id: 'EUMBRELLA', name: 'Umbrella' } });

const text = (answer: Record<string, unknown> | undefined) => JSON.stringify(answer ?? {});

describe('Slack OAuth: install', () => {
  it('installs through /slack/install and the redirect, stores the token sealed, and welcomes the installer', async () => {
    t = await startOAuthApp();
    const done = await t.install(ACME);
    expect(done.status).toBe(200);
    expect(done.html).toContain('Pebblebot is installed in Acme');
    const exchange = t.slack.of('oauth.v2.access');
    expect(exchange).toHaveLength(1);
    expect(exchange[0]!.body).toMatchObject({ code: ACME.code, client_secret: CLIENT_SECRET });

    // The welcome DM goes to the installer, with the new installation's token, pointing to App Home.
    const welcome = await eventually(() =>
      t!.slack.of('chat.postMessage').find((c) => c.body.channel === ACME.installer),
    );
    expect(welcome.token).toBe(ACME.token);
    expect(JSON.stringify(welcome.body)).toMatch(/Home tab/);
    // …with a button straight to it: slack://app?team=…&id=…&tab=home.
    expect(JSON.stringify(welcome.body)).toContain('slack://app?team=TACME&id=A0PEBBLE&tab=home');

    const stored = await t.app.services.store.installations.get('team:TACME');
    expect(stored).toMatchObject({
      teamId: 'TACME',
      isEnterpriseInstall: false,
      installerUserId: 'UANNA',
    });
    expect(JSON.stringify(stored)).not.toContain(ACME.token);
  });
});

describe('Slack OAuth: many workspaces and Enterprise Grid', () => {
  it('serves each workspace with its own token and keeps their pebbles apart, within one org and across orgs', async () => {
    t = await startOAuthApp();
    for (const install of [ACME, GLOBEX, INITECH, UMBRELLA])
      expect((await t.install(install)).status).toBe(200);
    const orgInstall = await t.app.services.store.installations.get('enterprise:EINITECH');
    expect(orgInstall).toMatchObject({ isEnterpriseInstall: true, enterpriseId: 'EINITECH' });
    expect(orgInstall?.teamId).toBeUndefined();

    const places: Record<string, { team: string; enterprise?: string; user: string }> = {
      acme: { team: 'TACME', user: 'UANNA' },
      globex: { team: 'TGLOBEX', user: 'UBRUNO' },
      initech1: { team: 'TINITECH1', enterprise: 'EINITECH', user: 'UCARLA' },
      initech2: { team: 'TINITECH2', enterprise: 'EINITECH', user: 'UELIO' },
      umbrella: { team: 'TUMBRELLA', enterprise: 'EUMBRELLA', user: 'UDARIO' },
    };
    const reported = {
      acme: 'Acme invoices arrive twice',
      globex: 'Globex login loops forever',
      initech1: 'Initech one: badge reader rejects visitors',
      initech2: 'Initech two: expense form loses receipts',
      umbrella: 'Umbrella portal hides the refund button',
    };
    for (const [where, title] of Object.entries(reported)) {
      const done = await t.command(title, places[where]!);
      expect(done.status).toBe(200);
    }

    // Each workspace is its own Pebblebot workspace, attributed by team_id (the org's two apart).
    const store = t.app.services.store;
    for (const [where, title] of Object.entries(reported)) {
      const team = places[where]!.team;
      const pebbles = await eventually(async () => {
        const page = await store.pebbles.list(`slack:${team}`);
        return page.total === 1 ? page.items : undefined;
      });
      expect(pebbles.map((p) => p.title)).toEqual([title]);
    }

    // Listing and showing from every other place never reveals another workspace's pebble.
    for (const [where, place] of Object.entries(places)) {
      const list = text((await t.command('list', place)).answer);
      const shown = text((await t.command('show P-1', place)).answer);
      for (const [other, title] of Object.entries(reported)) {
        if (other === where) {
          expect(list).toContain(title);
          expect(shown).toContain(title);
        } else {
          expect(list).not.toContain(title);
          expect(shown).not.toContain(title);
        }
      }
    }

    // Every Web API call carried the token of the installation serving its workspace: the
    // org's token for both of its workspaces, never another installation's.
    const tokenOf: Record<string, string> = {
      UANNA: ACME.token,
      UBRUNO: GLOBEX.token,
      UCARLA: INITECH.token,
      UELIO: INITECH.token,
      UDARIO: UMBRELLA.token,
    };
    for (const place of Object.values(places)) {
      const { user: _user, ...where } = place;
      expect(
        (
          await t.event(
            { type: 'app_home_opened', user: place.user, channel: 'D1', tab: 'home' },
            {
              ...where,
              orgWide: Boolean(place.enterprise),
            },
          )
        ).status,
      ).toBe(200);
    }
    const homes = await eventually(() => {
      const published = t!.slack.of('views.publish');
      return published.length === Object.keys(places).length ? published : undefined;
    });
    for (const call of homes) expect(call.token).toBe(tokenOf[String(call.body.user_id)]);
  });

  it('refuses a request from a workspace that did not install Pebblebot, and one naming another org', async () => {
    t = await startOAuthApp();
    await t.install(INITECH);
    await t.install(UMBRELLA);
    await t.command('Initech friction', {
      team: 'TINITECH1',
      enterprise: 'EINITECH',
      user: 'UCARLA',
    });
    const before = t.slack.calls.length;
    const stranger = await t.command('Stranger friction', { team: 'TSTRANGER', user: 'UX' });
    expect(stranger.answer).toBeUndefined();
    // A workspace of one org naming the other org is not served by the other org's token.
    const crossed = await t.command('Crossed friction', {
      team: 'TINITECH1',
      enterprise: 'EUMBRELLA',
      user: 'UCARLA',
    });
    expect(crossed.answer).toBeUndefined();
    const store = t.app.services.store;
    expect((await store.pebbles.list('slack:TSTRANGER')).total).toBe(0);
    expect(await store.workspaces.get('slack:TSTRANGER')).toBeNull();
    // No call went out for the stranger, with any token.
    expect(t.slack.calls.slice(before).filter((c) => !c.method.startsWith('respond'))).toEqual([]);
    expect((await store.pebbles.list('slack:TINITECH1')).total).toBe(1);
  });
});

describe('Slack OAuth: state tied to the installing browser', () => {
  async function startInstall(app: OAuthTestApp) {
    const res = await fetch(`${app.base}/slack/install`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const state = new URL(res.headers.get('location') ?? '').searchParams.get('state') ?? '';
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(state).not.toBe('');
    expect(cookie).toBe(`slack-app-oauth-state=${state}`);
    return { state, cookie };
  }
  const redirect = (app: OAuthTestApp, query: string, cookie?: string) =>
    fetch(`${app.base}/slack/oauth_redirect?${query}`, {
      headers: cookie ? { cookie } : {},
      redirect: 'manual',
    });

  it('refuses a missing, forged or other-browser state before calling oauth.v2.access', async () => {
    t = await startOAuthApp();
    t.slack.installs.set(ACME.code, ACME);
    const mine = await startInstall(t);
    const theirs = await startInstall(t);

    const cases: [string, string, string | undefined][] = [
      ['no state', `code=${ACME.code}`, mine.cookie],
      ['a forged state', `code=${ACME.code}&state=forged`, 'slack-app-oauth-state=forged'],
      ['a state from another browser', `code=${ACME.code}&state=${theirs.state}`, mine.cookie],
      ['a valid state without its cookie', `code=${ACME.code}&state=${mine.state}`, undefined],
    ];
    for (const [what, query, cookie] of cases) {
      const res = await redirect(t, query, cookie);
      expect(res.status, what).toBe(400);
      expect(await res.text(), what).toContain('Start the install again');
    }
    expect(t.slack.of('oauth.v2.access')).toEqual([]);
    expect(await t.app.services.store.installations.get('team:TACME')).toBeNull();

    // The same browser with its own state installs.
    const ok = await redirect(t, `code=${ACME.code}&state=${mine.state}`, mine.cookie);
    expect(ok.status).toBe(200);
    expect(t.slack.of('oauth.v2.access')).toHaveLength(1);
    // The browser's state cookie is cleared once used.
    expect(ok.headers.get('set-cookie')).toMatch(
      /^slack-app-oauth-state=[^;]*;.*Expires=Thu, 01 Jan 1970/,
    );
  });
});

describe('Slack OAuth: uninstall and reinstall', () => {
  it('answers app_uninstalled 200, removes the token, keeps the data, never uses the old token; reinstalling brings it back', async () => {
    t = await startOAuthApp();
    await t.install(ACME);
    await t.install(GLOBEX);
    const acme = { team: 'TACME', user: 'UANNA' };
    expect((await t.command('Acme invoices arrive twice', acme)).answer).toBeDefined();
    const store = t.app.services.store;

    const uninstalled = await t.event({ type: 'app_uninstalled' }, { team: 'TACME' });
    expect(uninstalled.status).toBe(200);
    const inactive = await eventually(async () => {
      const ws = await store.workspaces.get('slack:TACME');
      return ws?.inactiveSince ? ws : undefined;
    });
    expect(inactive.inactiveSince).toBeInstanceOf(Date);
    expect(await store.installations.get('team:TACME')).toBeNull();
    expect((await store.pebbles.list('slack:TACME')).total).toBe(1);
    // tokens_revoked for the bot, delivered after, is answered 200 too (nothing left to remove).
    expect(
      (await t.event({ type: 'tokens_revoked', tokens: { bot: ['UBOTACME'] } }, { team: 'TACME' }))
        .status,
    ).toBe(200);
    // The other workspace is untouched.
    expect(await store.installations.get('team:TGLOBEX')).not.toBeNull();
    expect((await store.workspaces.get('slack:TGLOBEX'))?.inactiveSince).toBeUndefined();

    // A message owed to the uninstalled workspace waits in the outbox, unsent.
    const before = t.slack.calls.length;
    const key = `test:after-uninstall:${Date.now()}`;
    await t.app.services.outbox.enqueue({
      key,
      workspaceId: 'slack:TACME',
      kind: 'test',
      target: { kind: 'dm', userId: 'UANNA' },
      view: { text: 'owed message', blocks: [{ type: 'section', text: 'owed message' }] },
    });
    const owed = await eventually(async () => {
      const message = await store.outbox.get(key);
      return message?.lastError ? message : undefined;
    }, 15_000);
    expect(owed).toMatchObject({ status: 'pending' });
    expect(owed.lastError).toContain('not installed');

    // A request from the uninstalled workspace is not served.
    expect((await t.command('list', acme)).answer).toBeUndefined();
    // Nothing went out for that workspace after the uninstall, with its old token or any other.
    expect(t.slack.calls.slice(before).filter((c) => c.token === ACME.token)).toEqual([]);
    expect(JSON.stringify(t.slack.calls.slice(before))).not.toContain('owed message');

    // Reinstalling reactivates the workspace with its data, under the new token.
    const again: FakeInstall = { ...ACME, code: 'code-acme-2', token: 'xoxb-acme-reinstalled' };
    expect((await t.install(again)).status).toBe(200);
    expect((await store.workspaces.get('slack:TACME'))?.inactiveSince).toBeUndefined();
    const list = await t.command('list', acme);
    expect(text(list.answer)).toContain('Acme invoices arrive twice');
  });

  it('ends an org-wide installation on its org’s app_uninstalled, marking every workspace seen inactive', async () => {
    t = await startOAuthApp();
    await t.install(INITECH);
    await t.command('one', { team: 'TINITECH1', enterprise: 'EINITECH', user: 'UCARLA' });
    await t.command('two', { team: 'TINITECH2', enterprise: 'EINITECH', user: 'UELIO' });
    // A single workspace's event does not end the org's installation.
    await t.event({ type: 'app_uninstalled' }, { team: 'TINITECH1', enterprise: 'EINITECH' });
    const store = t.app.services.store;
    expect(await store.installations.get('enterprise:EINITECH')).not.toBeNull();

    const res = await t.event(
      { type: 'app_uninstalled' },
      { team: 'TINITECH1', enterprise: 'EINITECH', orgWide: true },
    );
    expect(res.status).toBe(200);
    await eventually(async () => !(await store.installations.get('enterprise:EINITECH')));
    for (const team of ['TINITECH1', 'TINITECH2'])
      expect((await store.workspaces.get(`slack:${team}`))?.inactiveSince).toBeInstanceOf(Date);

    await t.install({ ...INITECH, code: 'code-initech-2', token: 'xoxb-initech-org-again' });
    for (const team of ['TINITECH1', 'TINITECH2'])
      expect((await store.workspaces.get(`slack:${team}`))?.inactiveSince).toBeUndefined();
  });
});

describe('Slack OAuth: tokens encrypted at rest', () => {
  function rawFiles(dir: string): string {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.db'))
      .map((f) => readFileSync(path.join(dir, f), 'utf8'))
      .join('\n');
  }

  it('never writes a token to the store, and reads rows sealed with a rotated key', async () => {
    t = await startOAuthApp();
    await t.install(ACME);
    await t.install(INITECH);
    const dataDir = t.dataDir;
    await t.stop();
    t = undefined;

    const raw = rawFiles(dataDir);
    expect(raw).toContain('team:TACME');
    for (const token of [ACME.token, INITECH.token]) expect(raw).not.toContain(token);
    expect(raw).not.toContain('xoxb-');

    // A new key, with the old one kept for reading: the installed workspace is still served.
    t = await startOAuthApp({
      dataDir,
      env: { PEBBLEBOT_ENCRYPTION_KEY: KEY_B, PEBBLEBOT_ENCRYPTION_KEYS_OLD: KEY_A },
    });
    expect(
      text((await t.command('Rotated key friction', { team: 'TACME', user: 'UANNA' })).answer),
    ).toContain('recorded');
    // Reinstalling seals the token under the new key.
    await t.install({ ...ACME, code: 'code-acme-rotated' });
    const resealed = await t.app.services.store.installations.get('team:TACME');
    const org = await t.app.services.store.installations.get('enterprise:EINITECH');
    expect(resealed?.sealed.keyId).not.toBe(org?.sealed.keyId);
    await t.stop();
    t = undefined;

    // Without the old key, a row sealed with it is not readable: that workspace is not served.
    t = await startOAuthApp({ dataDir, env: { PEBBLEBOT_ENCRYPTION_KEY: KEY_B } });
    expect(
      (
        await t.command('org friction', {
          team: 'TINITECH1',
          enterprise: 'EINITECH',
          user: 'UCARLA',
        })
      ).answer,
    ).toBeUndefined();
    expect(
      (await t.command('acme friction', { team: 'TACME', user: 'UANNA' })).answer,
    ).toBeDefined();
  });
});
