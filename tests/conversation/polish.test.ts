import { describe, expect, it } from 'vitest';
import { renderText } from '../../src/console/render-text.js';
import { buttonCommand, dispatchAction } from '../../src/conversation/actions.js';
import type {
  ConversationContext,
  ConversationDeps,
  Output,
} from '../../src/conversation/context.js';
import { runText } from '../../src/conversation/run-command.js';
import { slackMarkupToTokens } from '../../src/conversation/slack-markup.js';
import { inferStakeholder } from '../../src/core/pebbles/stakeholder.js';
import type { UserContext } from '../../src/core/workspaces/workspace.service.js';
import { ACTIONS, OVERFLOW_ACTION, overflowValue } from '../../src/views/actions.js';
import { councilNotices } from '../../src/views/council.view.js';
import { improvementNotices } from '../../src/views/improvement.view.js';
import type { BlockView, ButtonView, MessageView } from '../../src/core/ports/message-view.port.js';
import { plainText, splitTokens } from '../../src/views/tokens.js';
import {
  admin,
  FakeGateway,
  member,
  setUpCouncil,
  triagedPebble,
  vera,
} from '../core/council/fakes.js';
import { alice, bob, carol, makeServices } from '../helpers/services.js';

async function setup(start = '2026-03-02T10:00:00Z') {
  const made = await makeServices(start);
  const gateway = new FakeGateway();
  made.services.council.connect('slack', { gateway });
  const deps: ConversationDeps = { services: made.services, chat: gateway };
  const ctx = async (actor: UserContext): Promise<ConversationContext> => ({
    workspace: await made.services.workspaces.get(made.workspace.id),
    actor,
    channel: 'console',
  });
  // As a channel hands it over: platform markup (mentions, channels) already turned into tokens.
  const say = async (actor: UserContext, line: string) =>
    runText(deps, await ctx(actor), slackMarkupToTokens(line));
  const click = async (actor: UserContext, actionId: string, value: string) =>
    dispatchAction(deps, await ctx(actor), actionId, value);
  return { ...made, deps, ctx, say, click, gateway };
}

function viewOf(outputs: Output[]): MessageView {
  const out = outputs[0];
  if (!out || out.kind === 'form') throw new Error('expected a message');
  return out.view;
}

/** Everything a view says, tokens read by name (what the console shows). */
function textOf(outputs: Output[] | MessageView): string {
  const view = Array.isArray(outputs) ? viewOf(outputs) : outputs;
  return plainText(
    [
      view.text,
      ...view.blocks.map((b) =>
        'text' in b
          ? [
              b.text,
              ...('fields' in b ? (b.fields ?? []) : []).map((f) => `${f.label}: ${f.value}`),
            ].join('\n')
          : '',
      ),
    ].join('\n'),
  ).replace(/\*/g, '');
}

function actionBlocks(view: MessageView) {
  return view.blocks.filter(
    (b): b is Extract<BlockView, { type: 'actions' }> => b.type === 'actions',
  );
}

function tokenKinds(text: string): string[] {
  return splitTokens(text).flatMap((p) => (typeof p === 'string' ? [] : [p.kind]));
}

describe('names, channels and dates, not ids', () => {
  it('shows the triage channel as a channel token and the report day as a date token', async () => {
    const t = await setup();
    const adminUser = { ...carol, platformAdmin: true };
    await t.say(adminUser, 'config triage <#C0TRIAGE|cx-triage>');
    const summary = viewOf(await t.say(adminUser, 'config'));
    expect(tokenKinds(summary.text)).toContain('channel');
    expect(plainText(summary.text)).toContain('Triage channel: #C0TRIAGE');

    await t.say(alice, 'Checkout times out on mobile');
    const shown = viewOf(await t.say(bob, 'show P-1'));
    const fields = shown.blocks.flatMap((b) => ('fields' in b ? (b.fields ?? []) : []));
    const reporter = fields.find((f) => f.label === 'Reported by')!.value;
    expect(splitTokens(reporter)).toEqual([{ kind: 'person', id: alice.userId, name: 'Alice' }]);
    expect(JSON.stringify(shown.blocks)).toMatch(/date/);
    expect(textOf(shown)).toContain('Reported Mon 2 Mar 2026');
  });

  it('names the owner on assignment, and tells of a previous owner only when there is one', async () => {
    const t = await setup();
    await t.say(alice, 'Refund form loses the order number');
    const lead = { ...carol, platformAdmin: true };
    await t.say(lead, 'improvement new P-1 Keep the order number');
    const first = viewOf(await t.say(lead, 'improvement assign I-1 <@U0BOB|bob> 2026-04-15'));
    expect(tokenKinds(first.text)).toEqual(['person', 'date']);
    expect(textOf(first)).toContain('Asked @bob to own I-1');
    expect(textOf(first)).toContain('Wed 15 Apr 2026');
    expect(textOf(first)).not.toMatch(/previous owner|promise for it is withdrawn/);

    const again = viewOf(await t.say(lead, 'improvement assign I-1 <@U0DAN|dan> 2026-04-20'));
    expect(textOf(again)).toContain('is told their promise for it is withdrawn');
  });

  it('says V-1 on an improvement the council approved', async () => {
    const t = await setup('2026-01-05T09:00:00Z');
    const workspace = await setUpCouncil(t.services, t.workspace);
    const pebble = await triagedPebble(t.services, workspace);
    await t.services.council.propose(workspace, admin, [pebble.number]);
    for (const i of [0, 1, 2, 3]) await t.services.council.cast(workspace, member(i), 1, 'fix-now');
    const vote = await t.services.council.getVote(workspace, 1);
    await t.services.council.close(workspace, vote, 'all-voted');
    const shown = textOf(await t.say(member(0), 'improvement show I-1'));
    expect(shown).toContain('Approved by the CX council in V-1.');
    expect(shown).not.toContain('council vote 1');
  });
});

describe('report text', () => {
  it('cuts a long single line at a word for the title and keeps the rest as the description', async () => {
    const t = await setup();
    const words = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    await t.say(alice, words);
    const pebble = await t.services.pebbles.get(t.workspace, 1);
    expect(pebble.title.length).toBeLessThanOrEqual(150);
    expect(pebble.title.endsWith('…')).toBe(true);
    expect(pebble.title).toMatch(/word\d+…$/);
    const cut = pebble.title.slice(0, -1);
    expect(words.startsWith(cut)).toBe(true);
    expect(pebble.description).toBe(`…${words.slice(cut.length).trim()}`);
  });
});

describe('people affected, and merged reports kept', () => {
  it('says "1 person" for a new pebble and keeps a merged report as a duplicate', async () => {
    const t = await setup();
    await t.say(alice, 'Checkout times out on mobile');
    expect(textOf(await t.say(carol, 'show P-1'))).toContain('People affected: 1 person');
    await t.say(bob, 'Checkout timeout again');
    const merged = textOf(await t.say(bob, 'merge P-2 P-1'));
    expect(merged).toContain('P-2 joined P-1 as your +1: P-1 now gets in the way of 2 people.');
    expect(merged).not.toMatch(/\+0|\+1\)/);
    const p2 = await t.services.pebbles.get(t.workspace, 2);
    expect(p2).toMatchObject({
      status: 'duplicate',
      duplicateOf: 1,
      title: 'Checkout timeout again',
    });
    expect(textOf(await t.say(carol, 'show P-2'))).toContain('Duplicate of P-1');
  });

  it('offers +1 on show, and the button adds the viewer’s voice', async () => {
    const t = await setup();
    await t.say(alice, 'Checkout times out on mobile');
    const own = viewOf(await t.say(alice, 'show P-1'));
    expect(
      actionBlocks(own)
        .flatMap((b) => b.buttons)
        .map((b) => b.actionId),
    ).not.toContain(ACTIONS.support);
    const shown = viewOf(await t.say(bob, 'show P-1'));
    const plus = actionBlocks(shown)
      .flatMap((b) => b.buttons)
      .find((b) => b.actionId === ACTIONS.support)!;
    expect(plus.label).toBe('+1');
    await t.click(bob, plus.actionId, plus.value!);
    expect((await t.services.pebbles.get(t.workspace, 1)).supporterCount).toBe(1);
  });
});

describe('ballots', () => {
  it('says a double click on the same option changed nothing', async () => {
    const t = await setup('2026-01-05T09:00:00Z');
    const workspace = await setUpCouncil(t.services, t.workspace);
    const pebble = await triagedPebble(t.services, workspace);
    await t.services.council.propose(workspace, admin, [pebble.number]);
    expect(textOf(await t.say(member(0), 'vote V-1 fix-now'))).toContain('Ballot recorded on V-1');
    const twice = textOf(await t.say(member(0), 'vote V-1 fix-now'));
    expect(twice).toContain('Your ballot on V-1 is still Fix now; nothing changed.');
    expect(twice).not.toContain('Ballot changed');
    expect(textOf(await t.say(member(0), 'vote V-1 not-now'))).toContain('Ballot changed on V-1');
  });

  it('lets admins and the sponsor close a vote early with a reason the council sees', async () => {
    const t = await setup('2026-01-05T09:00:00Z');
    const workspace = await setUpCouncil(t.services, t.workspace);
    const pebble = await triagedPebble(t.services, workspace);
    await t.services.council.propose(workspace, admin, [pebble.number]);
    for (const i of [0, 1, 2]) await t.services.council.cast(workspace, member(i), 1, 'fix-now');

    await expect(t.say(member(3), 'council close V-1 "enough"')).rejects.toThrow(
      'Only Pebblebot admins and the executive sponsor can close V-1 early.',
    );
    expect((await t.services.council.getVote(workspace, 1)).status).toBe('open');
    await expect(t.say(vera, 'council close V-1')).rejects.toThrow('Say why it closes early');

    const closed = textOf(await t.say(vera, 'council close V-1 "the vendor ships it this week"'));
    expect(closed).toContain('V-1 is closed early');
    const vote = await t.services.council.getVote(workspace, 1);
    expect(vote).toMatchObject({
      status: 'decided',
      closedBy: 'early',
      closeReason: 'the vendor ships it this week',
    });
    // The vote message in the council channel shows why.
    const pebbles = [await t.services.pebbles.get(workspace, 1)];
    const message = councilNotices.voteMessage(
      vote,
      pebbles,
      { voted: 3, recused: 0 },
      workspace.settings,
    );
    expect(textOf(message)).toContain('closed early: the vendor ships it this week');
    await expect(t.say(admin, 'council close V-1 "again"')).rejects.toThrow('already closed');
  });
});

describe('the owner’s DM: three primary actions, the rest in an overflow, confirmations', () => {
  it('builds, renders and dispatches the overflow, confirm and date-picker kinds', async () => {
    const t = await setup();
    await t.say(alice, 'Refund form loses the order number');
    const lead = { ...carol, platformAdmin: true };
    await t.say(lead, 'improvement new P-1 Keep the order number');
    await t.say(lead, 'improvement assign I-1 <@U0BOB|bob> 2026-04-15');
    const asked = await t.services.improvements.get(t.workspace, 1);
    const owner = { userId: 'U0BOB', name: 'bob' };

    // Asked to own it: Accept, Decline (confirmed) and a date picker to propose another day.
    const ask = improvementNotices.ownerAsked(asked, t.workspace.settings);
    const [askBlock] = actionBlocks(ask);
    expect(askBlock!.buttons.map((b) => b.label)).toEqual(['Accept', 'Decline…']);
    expect(askBlock!.buttons[1]!.confirm).toMatchObject({ confirm: 'Decline', deny: 'Keep it' });
    expect(askBlock!.datepickers).toEqual([
      {
        actionId: ACTIONS.improvementProposeDate,
        value: '1',
        placeholder: 'Propose another date',
        initial: '2026-04-15',
      },
    ]);
    const commandFor = (b: ButtonView) => buttonCommand(b);
    expect(renderText(ask, commandFor)).toContain(
      'Propose another date: improvement accept I-1 YYYY-MM-DD',
    );
    // The picked day comes back with the click and is promised at once.
    await t.click(owner, ACTIONS.improvementProposeDate, '1:2026-04-30');
    const accepted = await t.services.improvements.get(t.workspace, 1);
    expect(accepted).toMatchObject({ ownerPending: false, promisedDate: '2026-04-30' });

    // The owner's controls: three buttons, five overflow options, labelled for screen readers.
    const shown = viewOf(await t.say(owner, 'improvement show I-1'));
    const [own] = actionBlocks(shown);
    expect(own!.buttons.map((b) => b.label)).toEqual(['On track', 'At risk', 'Done']);
    expect(own!.buttons.every((b) => b.accessibilityLabel?.startsWith('I-1'))).toBe(true);
    expect(own!.overflow!.options.map((b) => b.label)).toEqual(['Blocked', 'Change the date…']);
    const text = renderText(shown, commandFor);
    expect(text).toContain('⋯ Blocked: improvement update I-1 blocked');

    // An overflow option arrives as one carrier id on Block Kit; the dispatcher unfolds it.
    const blocked = own!.overflow!.options[0]!;
    await t.click(owner, OVERFLOW_ACTION, overflowValue(blocked));
    expect((await t.services.improvements.get(t.workspace, 1)).status).toBe('blocked');
    await expect(t.click(owner, OVERFLOW_ACTION, 'nonsense')).rejects.toThrow(
      'That menu option does not name an action.',
    );

    // The nudge adds the snoozes to the overflow: five options, Slack's maximum.
    const nudge = improvementNotices.nudge(
      {
        ownerId: bob.userId,
        items: [{ improvement: accepted, reason: 'check-in', daysLeft: 20 }],
      } as Parameters<typeof improvementNotices.nudge>[0],
      t.workspace.settings,
    );
    const [item] = actionBlocks(nudge);
    expect(item!.buttons).toHaveLength(3);
    expect(item!.overflow!.options).toHaveLength(5);
    expect(renderText(nudge, commandFor)).toContain('Snooze 1 week: improvement snooze I-1 1w');

    // Destructive actions ask first: the sponsor's Drop, the reporter's "Not really".
    const escalation = improvementNotices.escalation(
      {
        improvement: accepted,
        level: 1,
        overdueDays: 2,
        blockedDays: 0,
      } as Parameters<typeof improvementNotices.escalation>[0],
      t.workspace.settings,
    );
    const drop = actionBlocks(escalation)[0]!.buttons.find(
      (b) => b.actionId === ACTIONS.improvementDrop,
    );
    expect(drop?.confirm?.confirm).toBe('Drop it');
    const loop = improvementNotices.closeTheLoop(
      accepted,
      alice.userId,
      [await t.services.pebbles.get(t.workspace, 1)],
      t.workspace.settings,
    );
    const no = actionBlocks(loop)[0]!.buttons.find(
      (b) => b.actionId === ACTIONS.improvementFixedNo,
    );
    expect(no?.confirm?.confirm).toBe('Reopen it');
  });
});

describe('who feels it', () => {
  it('infers employee and partner friction from the words of a report', () => {
    expect(inferStakeholder('Payroll export breaks every month')).toBe('employee');
    expect(inferStakeholder('The VPN drops on my laptop')).toBe('employee');
    expect(inferStakeholder('Resellers cannot find prices in the partner portal')).toBe('partner');
    expect(inferStakeholder('Checkout asks for the address twice')).toBe('customer');
    expect(inferStakeholder('Shipping partnership page is slow')).toBe('customer');
  });

  it('lands a report with the inferred stakeholder; triagers change it from the card, others cannot', async () => {
    const t = await setup();
    await t.say(alice, 'Our payroll tool logs everyone out');
    expect((await t.services.pebbles.get(t.workspace, 1)).stakeholder).toBe('employee');

    const card = (await import('../../src/views/triage.view.js')).triageCardView(
      await t.services.pebbles.get(t.workspace, 1),
      t.workspace.settings,
    );
    const select = actionBlocks(card)[0]!.selects!.find(
      (s) => s.actionId === ACTIONS.setStakeholder,
    )!;
    expect(select.initial).toBe('1:employee');
    expect(select.options!.map((o) => o.value)).toEqual(['1:customer', '1:employee', '1:partner']);

    await expect(t.click(bob, ACTIONS.setStakeholder, '1:partner')).rejects.toThrow(
      /admins|triage/i,
    );
    expect((await t.services.pebbles.get(t.workspace, 1)).stakeholder).toBe('employee');
    await t.click({ ...carol, platformAdmin: true }, ACTIONS.setStakeholder, '1:partner');
    expect((await t.services.pebbles.get(t.workspace, 1)).stakeholder).toBe('partner');
    await expect(
      t.click({ ...carol, platformAdmin: true }, ACTIONS.setStakeholder, '1:alien'),
    ).rejects.toThrow('That menu option is not customer, employee or partner.');
    expect(
      buttonCommand({ label: 'x', actionId: ACTIONS.setStakeholder, value: '1:partner' }),
    ).toBe('triage P-1 who partner');
    await t.say({ ...carol, platformAdmin: true }, 'triage P-1 who customer');
    expect((await t.services.pebbles.get(t.workspace, 1)).stakeholder).toBe('customer');
  });
});

describe('teams for the team-sport metric', () => {
  it('records the profile team, else the council function, else none', async () => {
    const t = await setup('2026-01-05T09:00:00Z');
    await setUpCouncil(t.services, t.workspace);
    await t.say({ userId: 'U_M1', name: 'Mia' }, 'Badge printer jams at reception');
    await t.say(alice, '+1 P-1');
    await t.say({ userId: 'U_ZED', name: 'Zed' }, '+1 P-1');
    const pebble = await t.services.pebbles.get(t.workspace, 1);
    expect(pebble.reporter.team).toBe('Product');
    expect(pebble.supporters.map((s) => [s.userId, s.team])).toEqual([
      [alice.userId, 'Support'],
      ['U_ZED', undefined],
    ]);
  });
});
