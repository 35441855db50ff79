import { describe, expect, it } from 'vitest';
import { buttonCommand, dispatchAction } from '../../src/conversation/actions.js';
import type { ConversationContext, ConversationDeps } from '../../src/conversation/context.js';
import { TRIAGE_CARD_KIND } from '../../src/conversation/cards.js';
import { submitForm } from '../../src/conversation/forms.js';
import { runText } from '../../src/conversation/run-command.js';
import { slackMarkupToTokens } from '../../src/conversation/slack-markup.js';
import { DECLINED_NOTICE_KIND } from '../../src/core/pebbles/pebble.notices.js';
import type { ChatGateway, ChatTarget } from '../../src/core/shared/chat-gateway.port.js';
import { isPebbleError } from '../../src/core/shared/errors.js';
import type { UserContext } from '../../src/core/workspaces/workspace.service.js';
import { ACTIONS } from '../../src/views/actions.js';
import { FORMS } from '../../src/views/form.view.js';
import { channel } from '../../src/views/tokens.js';
import type { MessageView } from '../../src/core/ports/message-view.port.js';
import { alice, bob, carol, makeServices } from '../helpers/services.js';

/** A gateway that remembers what it was asked to send. */
function recordingGateway() {
  const sent: { target: ChatTarget; view: MessageView }[] = [];
  const gateway: ChatGateway = {
    send: (_w, target, view) => {
      sent.push({ target, view });
      return Promise.resolve({
        channelId: target.kind === 'dm' ? target.userId : target.channelId,
        messageId: String(sent.length),
      });
    },
    update: () => Promise.resolve(),
    uploadImage: () => Promise.resolve(),
  };
  return { gateway, sent };
}

async function setup() {
  const made = await makeServices();
  const { gateway, sent } = recordingGateway();
  const deps: ConversationDeps = { services: made.services, chat: gateway };
  const admin: UserContext = { ...carol, platformAdmin: true };
  const ctx = async (actor: UserContext): Promise<ConversationContext> => ({
    workspace: await made.services.workspaces.get(made.workspace.id),
    actor,
    channel: 'slack',
    prefix: '/pebble',
  });
  await made.services.workspaces.updateSettings(made.workspace, admin, {
    triageChannel: 'C_TRIAGE',
  });
  return { ...made, deps, ctx, admin, sent };
}

describe('the action dispatcher', () => {
  it('runs a button through the same use case as its command: +1 from a triage card', async () => {
    const { deps, ctx, services, workspace, store } = await setup();
    await runText(deps, await ctx(alice), 'Checkout times out on mobile');
    // The triage card is owed to the channel: it leaves through the outbox, as on every channel.
    expect(
      await store.outbox.list({ workspaceId: workspace.id, kind: TRIAGE_CARD_KIND }),
    ).toMatchObject([{ target: { kind: 'channel', channelId: 'C_TRIAGE' } }]);
    const outputs = await dispatchAction(deps, await ctx(bob), ACTIONS.support, '1');
    expect(outputs[0]).toMatchObject({ kind: 'reply', visibility: 'private' });
    expect((await services.pebbles.get(workspace, 1)).supporterCount).toBe(1);
  });

  it('opens a form for a button that needs more, and the form submission does the work', async () => {
    const { deps, ctx, services, workspace, admin, store } = await setup();
    await runText(deps, await ctx(alice), 'Wrong VAT on invoices');
    const [open] = await dispatchAction(deps, await ctx(admin), ACTIONS.decline, '1');
    expect(open?.kind).toBe('form');
    if (open?.kind !== 'form') return;
    expect(open.form.id).toBe(FORMS.decline);
    expect(open.form.fields.map((f) => f.id)).toEqual(['reason']);

    const empty = await submitForm(deps, await ctx(admin), open.form.id, open.form.meta, {
      reason: '  ',
    });
    expect(empty).toEqual({ ok: false, errors: { reason: 'Say why, in a sentence.' } });
    expect((await services.pebbles.get(workspace, 1)).status).toBe('new');

    const done = await submitForm(deps, await ctx(admin), open.form.id, open.form.meta, {
      reason: 'Finance owns this',
    });
    expect(done.ok).toBe(true);
    expect((await services.pebbles.get(workspace, 1)).status).toBe('declined');
    // The reporter's notice is owed: it waits in the outbox, not on a live send.
    expect(
      await store.outbox.list({ workspaceId: workspace.id, kind: DECLINED_NOTICE_KIND }),
    ).toMatchObject([{ target: { kind: 'dm', userId: alice.userId } }]);
  });

  it('shows a refusal of the service next to the field, and writes nothing', async () => {
    const { deps, ctx, services, workspace } = await setup();
    await runText(deps, await ctx(alice), 'Wrong VAT on invoices');
    // Bob is no admin: the core service refuses, the form stays open with the reason.
    const result = await submitForm(
      deps,
      await ctx(bob),
      FORMS.decline,
      { n: 1 },
      { reason: 'nah' },
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.reason).toMatch(/Only Pebblebot admins/);
    expect((await services.pebbles.get(workspace, 1)).status).toBe('new');
  });

  it('lets the reporter add details through the report form, and nobody else', async () => {
    const { deps, ctx, services, workspace } = await setup();
    await runText(deps, await ctx(alice), 'Checkout times out on mobile');
    const [open] = await dispatchAction(deps, await ctx(alice), ACTIONS.addDetails, '1');
    if (open?.kind !== 'form') throw new Error('no form');
    expect(open.form.fields.find((f) => f.id === 'title')?.initial).toBe(
      'Checkout times out on mobile',
    );
    const values = {
      title: 'Checkout times out on mobile',
      stakeholder: 'customer',
      severity: '3',
      stage: 'customer/buy',
    };
    const other = await submitForm(deps, await ctx(bob), open.form.id, open.form.meta, values);
    expect(other).toEqual({
      ok: false,
      errors: { title: 'Only the reporter of P-1 can change its details.' },
    });
    const mine = await submitForm(deps, await ctx(alice), open.form.id, open.form.meta, values);
    expect(mine.ok).toBe(true);
    expect(await services.pebbles.get(workspace, 1)).toMatchObject({ severity: 3, stage: 'buy' });
  });

  it('rejects a forged value with a usage error, before any service call', async () => {
    const { deps, ctx } = await setup();
    const error = await dispatchAction(
      deps,
      await ctx(bob),
      ACTIONS.councilBallot,
      '1:maybe',
    ).catch((e: unknown) => e);
    expect(isPebbleError(error, 'COMMAND.USAGE')).toBe(true);
    const unknown = await dispatchAction(deps, await ctx(bob), 'pebble.launch', '1').catch(
      (e: unknown) => e,
    );
    expect(isPebbleError(unknown, 'COMMAND.USAGE')).toBe(true);
  });

  it('names the command that does what a button does, for channels without buttons', () => {
    expect(
      buttonCommand({ label: 'Fix now', actionId: ACTIONS.councilBallot, value: '3:fix-now' }),
    ).toBe('vote V-3 fix-now');
    expect(buttonCommand({ label: 'Yes', actionId: ACTIONS.improvementFixedYes, value: '2' })).toBe(
      'improvement fixed I-2 yes',
    );
    expect(
      buttonCommand({ label: 'Done', actionId: ACTIONS.improvementDone, value: '2' }, '/pebble'),
    ).toBe('/pebble improvement update I-2 done "what changed"');
    expect(
      buttonCommand({
        label: 'Next',
        actionId: ACTIONS.listPage,
        value: JSON.stringify({ s: 'list', f: 'buy', o: 10 }),
      }),
    ).toBe('list buy page 2');
  });
});

describe('running typed commands', () => {
  it('stores a report plain: tokens read by name, never as markup', async () => {
    const { deps, ctx, services, workspace } = await setup();
    await runText(deps, await ctx(alice), slackMarkupToTokens('Ask <@U1|dana> about &lt;v2&gt;'));
    expect((await services.pebbles.get(workspace, 1)).title).toBe('Ask @dana about <v2>');
  });

  it('leaves the permission to core: a non-admin cannot move triage, and no channel is joined', async () => {
    const { deps, ctx, services, workspace } = await setup();
    const joined: string[] = [];
    const context = {
      ...(await ctx(bob)),
      resolve: { join: (id: string) => (joined.push(id), Promise.resolve(true)) },
    };
    const error = await runText(
      deps,
      context,
      `config triage ${channel('C_OTHER', 'other')}`,
    ).catch((e: unknown) => e);
    expect(isPebbleError(error, 'WORKSPACE.NOT_ADMIN')).toBe(true);
    expect(joined).toEqual([]);
    expect((await services.workspaces.get(workspace.id)).settings.triageChannel).toBe('C_TRIAGE');
  });
});

describe('buttons on a channel without buttons', () => {
  it('names a command for every action a view can carry, or opens a form the console can fill by command', () => {
    // Values as the views build them (src/views/*.view.ts).
    const values: Record<string, string> = {
      [ACTIONS.mergeInto]: '4:3',
      [ACTIONS.setSeverity]: '3:2',
      [ACTIONS.setStage]: '3:customer/buy',
      [ACTIONS.setStakeholder]: '3:employee',
      [ACTIONS.improvementStatus]: '2:at-risk',
      [ACTIONS.improvementSnooze]: '2:3d',
      [ACTIONS.councilBallot]: '3:fix-now',
      [ACTIONS.councilDecide]: '3:fix-now',
      [ACTIONS.councilWipDisplace]: '3:2',
      [ACTIONS.confirmRecurrence]: '3:1',
      [ACTIONS.listPage]: JSON.stringify({ s: 'list', f: '', o: 10 }),
    };
    // Forms with no one-line command yet: filled on Slack (and later Teams dialogs).
    const formOnly = new Set<string>([ACTIONS.addDetails]);
    for (const actionId of Object.values(ACTIONS)) {
      if (formOnly.has(actionId)) continue;
      const command = buttonCommand({ label: actionId, actionId, value: values[actionId] ?? '3' });
      expect(command, actionId).toBeTruthy();
    }
  });
});
