import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPTION_LABELS } from '../../src/core/council/council.model.js';
import { registerSensitive } from '../helpers/privacy.js';
import {
  CHANNELS,
  PEOPLE,
  personalConversation,
  TeamsDriver,
  WORKSPACE_ID,
} from './teams.driver.js';

let t: TeamsDriver;

beforeAll(async () => {
  // Mia reports anonymously and Ben, Cy and Dee vote by secret ballot: the suite-wide privacy
  // scan (tests/privacy-scan.global.ts) looks for them in everything the run sent or logged.
  const own = (key: 'mia' | 'ben' | 'cy' | 'dee') => [personalConversation(PEOPLE[key])];
  registerSensitive({
    kind: 'anonymous-reporter',
    id: PEOPLE.mia.id,
    names: [PEOPLE.mia.aad, PEOPLE.mia.name],
    ownAddresses: own('mia'),
  });
  for (const key of ['ben', 'cy', 'dee'] as const)
    registerSensitive({
      kind: 'secret-voter',
      id: PEOPLE[key].id,
      names: [PEOPLE[key].aad, PEOPLE[key].name],
      ownAddresses: own(key),
      choices: Object.values(OPTION_LABELS),
    });
  t = await TeamsDriver.start();
  await t.install();
  await t.configure();
}, 60_000);
afterAll(async () => {
  await t?.close();
});

const workspace = () => t.services.workspaces.get(WORKSPACE_ID);

describe('the pebble story through Teams (signed activities at /api/messages)', () => {
  it('runs report → +1 → triage → council → owner → done → fixed? → digest, as the console does', async () => {
    // Set-up by typing: "here" named the channels, mentions named the people.
    const settings = (await workspace()).settings;
    expect(settings.triageChannel).toBe(CHANNELS.triage);
    expect(settings.council.channel).toBe(CHANNELS.council);
    expect(settings.council.members.map((m) => m.userId)).toEqual([
      PEOPLE.ben.id,
      PEOPLE.cy.id,
      PEOPLE.dee.id,
    ]);
    expect(JSON.stringify(settings)).toContain(PEOPLE.vera.id);

    // Three people report; Mia anonymously.
    expect(await t.report('raj', 'Checkout times out on mobile')).toContain('P-1');
    await t.report('mia', 'Password reset email arrives late', { anonymous: true });
    await t.report('olu', 'Invoice PDF shows the wrong VAT number');
    const ws = await workspace();
    const p2 = await t.services.pebbles.get(ws, 2);
    expect(p2).toMatchObject({ anonymous: true, status: 'new' });
    // Each report's triage card went to the triage channel.
    expect(t.postsIn('triage')).toContain('Checkout times out on mobile');
    expect(t.postsIn('triage')).toContain('Password reset email arrives late');

    // Two +1 from the triage card: the answer is the caller's own card.
    const plusOne = await t.support('ben', 1);
    expect(plusOne).toMatchObject({
      statusCode: 200,
      type: 'application/vnd.microsoft.card.adaptive',
    });
    await t.support('cy', 1);
    expect((await t.services.pebbles.get(ws, 1)).supporterCount).toBe(2);
    // Where the card landed was recorded, so the +1s updated it in place for everyone.
    const card = await t.services.pebbles.get(ws, 1);
    expect(card.triageCard?.channelId).toBe(CHANNELS.triage);
    expect(card.source.kind).toBe('mention');
    const updates = t
      .sentTo(CHANNELS.triage)
      .filter((c) => c.method === 'PUT' && c.path.endsWith(`/activities/${card.triageCard!.ts}`));
    expect(JSON.stringify(updates.at(-1)?.body)).toContain('3 people');

    // A plain member cannot triage; the admin can.
    await t.triage('raj', 1, { severity: 3 });
    expect((await t.services.pebbles.get(ws, 1)).severity).toBeUndefined();
    await t.triage('ana', 1, { severity: 3, stage: 'buy' });
    expect(await t.services.pebbles.get(ws, 1)).toMatchObject({ severity: 3, stage: 'buy' });

    // The admin proposes P-1: the vote message goes to the council channel, refreshing for members.
    await t.propose('ana', 1);
    const voteCall = t
      .sentTo(CHANNELS.council)
      .find((c) => JSON.stringify(c.body).includes('Council vote V-1'));
    expect(voteCall).toBeDefined();
    const refresh = (
      voteCall!.body.attachments as {
        content: { refresh?: { userIds: string[]; action: { verb: string } } };
      }[]
    )[0]!.content.refresh;
    expect(refresh?.action.verb).toBe('council.ballot');
    expect(refresh?.userIds.sort()).toEqual([PEOPLE.ben.id, PEOPLE.cy.id, PEOPLE.dee.id].sort());

    // Three council members vote with the card's buttons (secret ballot, the default).
    const ballot = await t.vote('ben', 1, 'fix-now');
    expect(JSON.stringify(ballot)).toContain('Your ballot: **Fix now**');
    expect(JSON.stringify(ballot)).toContain('Council vote V-1');
    await t.vote('cy', 1, 'fix-now');
    await t.vote('dee', 1, 'next-cycle');
    // A refresh of the card (Teams asks when a member opens the channel) only reads.
    const refreshed = await t.post({
      type: 'invoke',
      name: 'adaptiveCard/action',
      id: 'refresh-1',
      channelId: 'msteams',
      serviceUrl: t.bf.serviceUrl,
      from: { id: PEOPLE.dee.id, name: PEOPLE.dee.name, aadObjectId: PEOPLE.dee.aad },
      recipient: { id: 'bot' },
      conversation: {
        id: CHANNELS.council,
        conversationType: 'channel',
        tenantId: WORKSPACE_ID.slice(6),
      },
      value: {
        action: {
          type: 'Action.Execute',
          verb: 'council.ballot',
          data: { action: 'council.ballot', value: '1' },
        },
        trigger: 'automatic',
      },
    });
    t.invokeAnswers.push({ person: 'dee', body: refreshed.body });
    expect(JSON.stringify(refreshed.body)).toContain('Council vote V-1');
    expect(JSON.stringify(refreshed.body)).not.toContain('Your ballot');

    await t.closeVotes();
    const vote = await t.services.council.getVote(ws, 1);
    expect(vote.status).toBe('decided');
    expect(vote.decision?.option).toBe('fix-now');
    expect(vote.result?.cast).toBe(3);
    // Reporters and supporters hear the decision in their personal chats.
    expect(t.dmsOf('raj')).toContain('decided by the CX council');

    // The sponsor names an owner; the owner accepts from the question in their chat.
    const date = '2026-03-20';
    await t.assign('vera', 1, 'olu', date);
    expect(t.dmsOf('olu')).toContain('Will you own I-1?');
    const accepted = await t.accept('olu', 1);
    expect(accepted.statusCode).toBe(200);
    expect((await t.services.improvements.get(ws, 1)).ownerPending).toBe(false);

    await t.done('olu', 1, 'Checkout loads in under two seconds on mobile');
    expect((await t.services.improvements.get(ws, 1)).status).toBe('done');
    expect(t.dmsOf('raj')).toContain('Did this fix it for you?');
    expect(t.dmsOf('ben')).toContain('Did this fix it for you?');

    // A reporter says fixed; a supporter says not really, which reopens the pebble.
    await t.answerFixed('raj', 1, 'yes');
    const no = await t.answerFixed('ben', 1, 'no');
    expect(JSON.stringify(no)).toContain('reopened');
    expect((await t.services.pebbles.get(ws, 1)).status).not.toBe('resolved');

    // The weekly digest: a card in the leaders' channel. Without PUBLIC_URL there is no address
    // Teams could fetch a chart image from, so its numbers are in the details (digest-chart.test
    // shows the image).
    await t.digest();
    const leaders = JSON.stringify(t.sentTo(CHANNELS.leaders).map((c) => c.body));
    expect(leaders).toContain('Weekly CX digest');
    expect(leaders).toContain('New pebbles per journey stage');
    expect(leaders).not.toContain('"type":"Image"');
    expect(t.dmsOf('lea')).toContain('Weekly CX digest');
  }, 120_000);

  it('never puts the anonymous reporter or a secret ballot choice in a payload for someone else', () => {
    const mia = PEOPLE.mia;
    const others = t
      .payloads()
      .filter((p) => p.to !== personalConversation(mia) && p.to !== 'invoke:mia');
    expect(others.length).toBeGreaterThan(20);
    for (const payload of others) {
      const text = JSON.stringify(payload.body);
      expect(text).not.toContain(mia.id);
      expect(text).not.toContain(mia.aad);
      expect(text).not.toContain(mia.name);
    }
    // Secret ballots: a payload that names a voter never carries an option beside the name.
    const labels = Object.values(OPTION_LABELS);
    for (const key of ['ben', 'cy', 'dee'] as const) {
      const voter = PEOPLE[key];
      for (const payload of t.payloads()) {
        if (payload.to === personalConversation(voter) || payload.to === `invoke:${key}`) continue;
        // The envelope's addressee and the card's refresh list name people without a choice.
        const text = JSON.stringify(payload.body, (k, v: unknown) =>
          k === 'recipient' || k === 'refresh' ? undefined : v,
        );
        if (!text.includes(voter.name) && !text.includes(voter.id)) continue;
        for (const label of labels) expect(text, `${payload.to} names ${key}`).not.toContain(label);
      }
    }
    // And the voters' own answers do carry their own choice (and only to them).
    const own = t.invokeAnswers.filter((a) => JSON.stringify(a.body).includes('Your ballot'));
    expect(own.map((a) => a.person).sort()).toEqual(['ben', 'cy', 'dee']);
  });

  it('skips a person with no personal chat with a logged reason, and keeps going', async () => {
    // Zed never installed the app; he reports from a channel, and the admin declines it.
    await t.say('zed', 'report The lift to floor 3 is slow', 'triage');
    const ws = await workspace();
    const reported = await t.services.pebbles.list(ws, {}, { limit: 10, offset: 0 });
    const zeds = reported.items.find((p) => p.reporter.userId === PEOPLE.zed.id);
    expect(zeds).toBeDefined();
    const before = t.dmsOf('raj');
    await t.say('ana', `triage P-${zeds!.number} decline Not a customer journey`, 'triage');
    await t.settle();
    expect((await t.services.pebbles.get(ws, zeds!.number)).status).toBe('declined');
    expect(t.logs.join('\n')).toContain('has not installed Pebblebot in Teams');
    expect(t.sentTo(personalConversation(PEOPLE.zed))).toHaveLength(0);
    // Nobody else got Zed's notice instead.
    expect(t.dmsOf('raj')).toBe(before);
  });
});
