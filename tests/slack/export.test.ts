import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  alice,
  API,
  bob,
  carol,
  commandBody,
  responsePath,
  startSlackApp,
  TEAM,
  uid,
  type SlackTestApp,
} from './harness.js';
import { expectUploads } from './uploads.js';
import { decidedSecretVote } from '../helpers/votes.js';

const WORKSPACE = `slack:${TEAM}`;

let t: SlackTestApp;
afterEach(async () => {
  expect(t.slack.unexpected).toEqual([]);
  await t.stop();
});

const userInfo = (body: Record<string, unknown>) => ({
  user: {
    id: body.user,
    name: String(body.user).slice(2).toLowerCase(),
    is_admin: body.user === carol.id,
  },
});

/** Runs `/pebble <text>` as a person and waits for the private answer. */
async function command(who: { id: string; name: string }, text: string): Promise<string> {
  const id = uid();
  t.slack.expectRespond(responsePath(id));
  const res = await t.command(text, {
    user_id: who.id,
    user_name: who.name,
    response_url: `https://hooks.slack.com${responsePath(id)}`,
  });
  expect(res.status).toBe(200);
  await t.slack.done();
  const answer = t.slack.of(`respond ${responsePath(id)}`).at(-1)!;
  return JSON.stringify(answer.body);
}

describe('/pebble export on Slack', () => {
  it('uploads the CSV files to the admin in a DM: anonymous reporters and voters left out, formulas neutralised', async () => {
    t = await startSlackApp();
    // Asked whenever a rule needs a role or a name, as often as the middleware's cache misses.
    nock(API)
      .persist()
      .post('/api/users.info')
      .reply(200, (_uri, body) => ({
        ok: true,
        ...userInfo(Object.fromEntries(new URLSearchParams(body as string))),
      }));
    await command(alice, 'report =HYPERLINK("http://evil.example","click") in the invoice');
    await command(bob, 'anon @SUM(A1) shows on the payroll page');
    const { store } = t.app.services;
    const now = new Date();
    await store.votes.create(
      decidedSecretVote(WORKSPACE, 1, now, {
        proposedBy: carol.id,
        voters: ['U0VOTER1', 'U0VOTER2'],
      }),
    );

    // A member is refused before anything is read, uploaded or recorded.
    expect(await command(bob, 'export')).toMatch(/admin/i);
    expect(t.slack.of('files.getUploadURLExternal')).toHaveLength(0);

    t.slack.expect('conversations.open', { channel: { id: 'D0CAROL' } });
    const files = expectUploads(t, 4);
    const answer = await command(carol, 'export');
    expect(answer).toContain('Your export is in your direct messages');
    expect(answer).toContain('Pebbles: 2 rows');

    expect(t.slack.of('conversations.open')[0]!.body.users).toBe(carol.id);
    const shared = t.slack.of('files.completeUploadExternal').map((c) => c.body);
    expect(shared.map((b) => b.channel_id)).toEqual(['D0CAROL', 'D0CAROL', 'D0CAROL', 'D0CAROL']);
    const day = now.toISOString().slice(0, 10);
    const names = t.slack
      .of('files.getUploadURLExternal')
      .map((c) => ({ name: String(c.body.filename), length: Number(c.body.length) }));
    expect(names.map((n) => n.name)).toEqual([
      `pebblebot-pebbles-start_${day}.csv`,
      `pebblebot-improvements-start_${day}.csv`,
      `pebblebot-decisions-start_${day}.csv`,
      `pebblebot-audit-start_${day}.csv`,
    ]);
    const [pebbles, , decisions, audit] = files.map((b) => b.toString('utf8'));
    expect(files.map((b) => b.length)).toEqual(names.map((n) => n.length));
    expect(pebbles!.split('\r\n')[0]).toMatch(/^id,title,description,status/);
    expect(pebbles).toContain('"\'=HYPERLINK(""http://evil.example"",""click"") in the invoice"');
    expect(pebbles).toContain("'@SUM(A1) shows on the payroll page");
    expect(pebbles).not.toMatch(/(^|,)[=+\-@]/m);
    expect(pebbles).toContain('alice');
    expect(pebbles).not.toMatch(/bob|U0BOB/i);
    expect(decisions).toMatch(/V-1,P-1,decided,.*fix-now/);
    expect(decisions).not.toContain('U0VOTER');
    expect(audit).toMatch(/^at,actor,action/);
    expect((await store.audit.list(WORKSPACE)).items[0]).toMatchObject({
      action: 'export',
      actor: carol.id,
    });
  });

  it('tells the admin when Slack refuses the upload', async () => {
    t = await startSlackApp();
    t.slack
      .expect('users.info', userInfo)
      .expect('conversations.open', { channel: { id: 'D0CAROL' } })
      .fail('files.getUploadURLExternal', 'missing_scope');
    const id = uid();
    t.slack.expectRespond(responsePath(id));
    await t.post(
      new URLSearchParams(
        commandBody('export', {
          user_id: carol.id,
          user_name: carol.name,
          response_url: `https://hooks.slack.com${responsePath(id)}`,
        }),
      ).toString(),
    );
    await t.slack.done();
    const answer = JSON.stringify(t.slack.of(`respond ${responsePath(id)}`)[0]!.body);
    expect(answer).toMatch(/went wrong/i);
    expect(answer).not.toContain('Your export is in your direct messages');
  });
});
