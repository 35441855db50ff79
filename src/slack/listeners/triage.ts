import { shortId, StakeholderSchema } from '../../core/pebbles/pebble.model.js';
import { ACTIONS } from '../../views/actions.js';
import { noticeView } from '../../views/pebble.view.js';
import { declinedNoticeView, duplicateNoticeView } from '../../views/triage.view.js';
import { pebbleContext } from '../context.js';
import {
  DECLINE_CALLBACK_ID,
  declineModal,
  DUPLICATE_CALLBACK_ID,
  duplicateModal,
  parseDecline,
  parseDuplicate,
} from '../triage-modals.js';
import { numberAndChoice, pebbleNumber, readAction } from './action-payload.js';
import type { ActionArgs, Registrar, SlackDeps, ViewArgs } from './registry.js';

/** The triage card's controls and the decline / duplicate forms. */
export function registerTriage(r: Registrar, deps: SlackDeps): void {
  const { pebbles } = deps.services;

  r.action(ACTIONS.setSeverity, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    if (!(await ctx.firstDelivery())) return;
    const [number, choice] = numberAndChoice(readAction(body).value);
    const pebble = await pebbles.updateDetails(ctx.workspace, ctx.user, number, {
      severity: Number(choice),
    });
    await deps.followUp.refreshCard(ctx.workspace, pebble);
  });

  r.action(ACTIONS.setStakeholder, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    if (!(await ctx.firstDelivery())) return;
    const [number, choice] = numberAndChoice(readAction(body).value);
    const stakeholder = StakeholderSchema.parse(choice);
    const pebble = await pebbles.updateDetails(ctx.workspace, ctx.user, number, { stakeholder });
    await deps.followUp.refreshCard(ctx.workspace, pebble);
  });

  r.action(ACTIONS.setStage, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    if (!(await ctx.firstDelivery())) return;
    const [number, choice] = numberAndChoice(readAction(body).value);
    const [journey, stage] = choice.split('/');
    const pebble = await pebbles.updateDetails(ctx.workspace, ctx.user, number, {
      ...(journey ? { journey } : {}),
      ...(stage ? { stage } : {}),
    });
    await deps.followUp.refreshCard(ctx.workspace, pebble);
  });

  r.action(ACTIONS.decline, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    const action = readAction(body);
    // Said before opening a form they could not submit.
    await pebbles.requireTriager(ctx.workspace, ctx.user, 'decline a pebble');
    const pebble = await pebbles.get(ctx.workspace, pebbleNumber(action.value));
    if (action.triggerId) await deps.gateway.openView(action.triggerId, declineModal(pebble));
  });

  r.action(ACTIONS.markDuplicate, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    const action = readAction(body);
    await pebbles.requireTriager(ctx.workspace, ctx.user, 'mark a pebble as a duplicate');
    const pebble = await pebbles.get(ctx.workspace, pebbleNumber(action.value));
    if (action.triggerId) await deps.gateway.openView(action.triggerId, duplicateModal(pebble));
  });

  r.view(DECLINE_CALLBACK_ID, async ({ view, ack, context, body }: ViewArgs) => {
    const form = parseDecline(view);
    if (!form.ok) {
      await ack({ response_action: 'errors', errors: form.errors });
      return;
    }
    await ack();
    const ctx = pebbleContext(context);
    if (!(await ctx.firstDelivery())) return;
    const { pebble, notify } = await pebbles.decline(
      ctx.workspace,
      ctx.user,
      form.number,
      form.reason,
    );
    deps.logger.info({ pebble: shortId(pebble.number) }, 'pebble declined');
    await deps.followUp.refreshCard(ctx.workspace, pebble);
    if (!pebble.triageCard)
      await deps.gateway.dm(body.user.id, noticeView(`${shortId(pebble.number)} is declined.`));
    await deps.followUp.notify(
      notify,
      (to) => declinedNoticeView(pebble, to === pebble.reporter.userId),
      pebble,
    );
  });

  r.view(DUPLICATE_CALLBACK_ID, async ({ view, ack, context, body }: ViewArgs) => {
    const form = parseDuplicate(view);
    if (!form.ok) {
      await ack({ response_action: 'errors', errors: form.errors });
      return;
    }
    const ctx = pebbleContext(context);
    // A mistyped id is shown in the form, which stays open.
    const target = await pebbles.get(ctx.workspace, form.of).catch(() => undefined);
    if (!target) {
      await ack({ response_action: 'errors', errors: { of: `There is no ${shortId(form.of)}.` } });
      return;
    }
    await ack();
    if (!(await ctx.firstDelivery())) return;
    const result = await pebbles.markDuplicate(ctx.workspace, ctx.user, form.number, form.of);
    deps.logger.info(
      {
        pebble: shortId(result.pebble.number),
        of: shortId(result.original.number),
        moved: result.moved,
      },
      'pebble marked duplicate',
    );
    await deps.followUp.refreshCard(ctx.workspace, result.pebble);
    await deps.followUp.refreshCard(ctx.workspace, result.original);
    if (!result.pebble.triageCard)
      await deps.gateway.dm(
        body.user.id,
        noticeView(
          `${shortId(result.pebble.number)} is marked as a duplicate of ${shortId(result.original.number)}.`,
        ),
      );
    await deps.followUp.notify(
      result.notify,
      (to) =>
        duplicateNoticeView(result.pebble, result.original, to === result.pebble.reporter.userId),
      result.pebble,
    );
  });
}
