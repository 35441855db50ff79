import { z } from 'zod';
import {
  improvementShortId,
  IMPROVEMENT_STATUS_LABELS,
  type Improvement,
} from '../../core/improvements/improvement.model.js';
import { SNOOZE_PERIODS, type SnoozePeriod } from '../../core/improvements/improvement.service.js';
import { shortId } from '../../core/pebbles/pebble.model.js';
import { PebbleError } from '../../core/shared/errors.js';
import { ACTIONS } from '../../views/actions.js';
import { improvementView } from '../../views/improvement.view.js';
import type { MessageView } from '../../core/ports/message-view.port.js';
import { noticeView } from '../../views/pebble.view.js';
import { pebbleContext, type PebbleContext } from '../context.js';
import type { Answer } from '../follow-up.js';
import {
  changeDateModal,
  declineModal,
  doneModal,
  dropModal,
  IMPROVEMENT_VIEWS,
  parseForm,
  proposeDateModal,
  reassignModal,
  type FormMeta,
} from '../improvement-modals.js';
import { readAction } from './action-payload.js';
import type { ActionArgs, Registrar, SlackDeps, ViewArgs } from './registry.js';

const ref = improvementShortId;

const NumberValue = z.coerce.number().int().positive().max(1_000_000_000);

function improvementNumber(value: string): number {
  const parsed = NumberValue.safeParse(value.split(':')[0]);
  if (!parsed.success)
    throw new PebbleError('COMMAND.USAGE', 'That button does not name an improvement.');
  return parsed.data;
}

const MessageOf = z.looseObject({
  container: z
    .looseObject({ message_ts: z.string().optional(), channel_id: z.string().optional() })
    .optional(),
  message: z.looseObject({ ts: z.string() }).optional(),
  channel: z.looseObject({ id: z.string() }).nullish(),
});

/** The form's metadata: the improvement, and the message the button was on (to update it). */
function formMeta(body: unknown, number: number): FormMeta {
  const parsed = MessageOf.safeParse(body);
  const channel = parsed.success
    ? (parsed.data.channel?.id ?? parsed.data.container?.channel_id)
    : undefined;
  const ts = parsed.success
    ? (parsed.data.message?.ts ?? parsed.data.container?.message_ts)
    : undefined;
  return { n: number, ...(channel ? { c: channel } : {}), ...(ts ? { t: ts } : {}) };
}

function answerTo(
  action: ReturnType<typeof readAction>,
  user: string,
  replaceOriginal = false,
): Answer {
  return action.responseUrl
    ? { responseUrl: action.responseUrl, replaceOriginal }
    : { user, ...(action.channelId ? { channel: action.channelId } : {}) };
}

/**
 * The journey-improvement surface of Slack: the `/pebble improvement …` sub-commands, the
 * owner's DM buttons (accept, propose a date, decline, status, done, snooze, change date), the
 * sponsor's (reassign, extend, drop), "Did this fix it for you?", and their forms. Each
 * listener parses, acknowledges, calls one ImprovementService use case and answers with a
 * view; messages to other people go through the outbox inside the use case.
 */
export function registerImprovements(r: Registrar, deps: SlackDeps): void {
  const { improvements } = deps.services;

  /** After a status change, the pebbles' triage cards show it (update in place). */
  const refreshCards = async (ctx: PebbleContext, improvement: Improvement) => {
    for (const pebble of await improvements.linkedPebbles(ctx.workspace, improvement))
      await deps.followUp.refreshCard(ctx.workspace, pebble);
  };

  /** Replaces the message a form was opened from (the DM with the buttons), when known. */
  const updateOrigin = async (meta: FormMeta, view: MessageView) => {
    if (!meta.c || !meta.t) return false;
    try {
      await deps.gateway.update({ channelId: meta.c, ts: meta.t }, view);
      return true;
    } catch (error) {
      deps.logger.warn({ err: error, improvement: ref(meta.n) }, 'could not update the message');
      return false;
    }
  };

  // --- Owner: the ask ---------------------------------------------------------------------

  r.action(ACTIONS.improvementAccept, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    if (!(await ctx.firstDelivery())) return;
    const action = readAction(body);
    const accepted = await improvements.accept(
      ctx.workspace,
      ctx.user,
      improvementNumber(action.value),
    );
    deps.logger.info({ improvement: ref(accepted.number) }, 'improvement accepted');
    await deps.followUp.say(
      answerTo(action, ctx.user.userId, true),
      withNotice(
        `:handshake: You promised *${ref(accepted.number)}* for *${accepted.promisedDate}*. I will check in with you; the buttons below update everyone.`,
        improvementView(accepted, { viewerId: ctx.user.userId }),
      ),
    );
    await refreshCards(ctx, accepted);
  });

  r.action(ACTIONS.improvementProposeDate, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    const action = readAction(body);
    if (!action.triggerId) return;
    const improvement = await improvements.formFor(
      ctx.workspace,
      ctx.user,
      improvementNumber(action.value),
      'propose-date',
    );
    await deps.gateway.openView(
      action.triggerId,
      proposeDateModal(improvement, formMeta(body, improvement.number)),
    );
  });

  r.action(ACTIONS.improvementDecline, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    const action = readAction(body);
    if (!action.triggerId) return;
    const improvement = await improvements.formFor(
      ctx.workspace,
      ctx.user,
      improvementNumber(action.value),
      'decline',
    );
    await deps.gateway.openView(
      action.triggerId,
      declineModal(improvement, formMeta(body, improvement.number)),
    );
  });

  r.view(IMPROVEMENT_VIEWS.proposeDate, async ({ view, ack, context }: ViewArgs) => {
    const form = parseForm(view, { date: true });
    if (!form.ok) return ack({ response_action: 'errors', errors: form.errors });
    const ctx = pebbleContext(context);
    const accepted = await improvements
      .accept(ctx.workspace, ctx.user, form.meta.n, { promisedDate: form.date! })
      .catch(formError(ack, 'date'));
    if (!accepted) return;
    await ack();
    const done = withNotice(
      `:handshake: You promised *${ref(accepted.number)}* for *${accepted.promisedDate}*; whoever asked you is told.`,
      improvementView(accepted, { viewerId: ctx.user.userId }),
    );
    if (!(await updateOrigin(form.meta, done))) await deps.gateway.dm(ctx.user.userId, done);
    await refreshCards(ctx, accepted);
  });

  r.view(IMPROVEMENT_VIEWS.decline, async ({ view, ack, context }: ViewArgs) => {
    const form = parseForm(view, { note: true });
    if (!form.ok) return ack({ response_action: 'errors', errors: form.errors });
    const ctx = pebbleContext(context);
    const declined = await improvements
      .decline(ctx.workspace, ctx.user, form.meta.n, form.note!)
      .catch(formError(ack, 'note'));
    if (!declined) return;
    await ack();
    const notice = noticeView(
      `You declined *${ref(declined.number)}* ${declined.title}. Whoever asked you has your reason.`,
    );
    if (!(await updateOrigin(form.meta, notice))) await deps.gateway.dm(ctx.user.userId, notice);
  });

  // --- Owner: check-ins -------------------------------------------------------------------

  r.action(ACTIONS.improvementStatus, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    if (!(await ctx.firstDelivery())) return;
    const action = readAction(body);
    const number = improvementNumber(action.value);
    const status = z.enum(['on-track', 'at-risk', 'blocked']).parse(action.value.split(':')[1]);
    const updated = await improvements.checkIn(ctx.workspace, ctx.user, number, status);
    await deps.followUp.say(
      answerTo(action, ctx.user.userId),
      noticeView(
        `:white_check_mark: *${ref(number)}* is now *${IMPROVEMENT_STATUS_LABELS[updated.status]}*. Add a note any time: \`/pebble improvement update ${ref(number)} ${status} "…"\``,
      ),
    );
  });

  r.action(ACTIONS.improvementSnooze, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    if (!(await ctx.firstDelivery())) return;
    const action = readAction(body);
    const number = improvementNumber(action.value);
    const period = z
      .enum(Object.keys(SNOOZE_PERIODS) as [SnoozePeriod, ...SnoozePeriod[]])
      .parse(action.value.split(':')[1]);
    const result = await improvements.snooze(ctx.workspace, ctx.user, number, period);
    await deps.followUp.say(
      answerTo(action, ctx.user.userId),
      noticeView(
        `:zzz: No reminders about *${ref(number)}* until ${result.until.toISOString().slice(0, 16).replace('T', ' ')} UTC${result.capped ? ', its promised date: a snooze cannot push past it' : ''}.`,
      ),
    );
  });

  r.action(ACTIONS.improvementDone, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    const action = readAction(body);
    if (!action.triggerId) return;
    const improvement = await improvements.formFor(
      ctx.workspace,
      ctx.user,
      improvementNumber(action.value),
      'done',
    );
    await deps.gateway.openView(
      action.triggerId,
      doneModal(improvement, formMeta(body, improvement.number)),
    );
  });

  r.view(IMPROVEMENT_VIEWS.done, async ({ view, ack, context }: ViewArgs) => {
    const form = parseForm(view, {});
    if (!form.ok) return ack({ response_action: 'errors', errors: form.errors });
    const ctx = pebbleContext(context);
    // Done before the ack, so a refusal (already done, not the owner) shows in the form.
    const result = await improvements
      .complete(ctx.workspace, ctx.user, form.meta.n, form.note)
      .catch(formError(ack, 'note'));
    if (!result) return;
    await ack();
    deps.logger.info(
      { improvement: ref(result.improvement.number), asked: result.asked },
      'improvement done',
    );
    await deps.gateway.dm(ctx.user.userId, doneNotice(result.improvement, result.asked));
    await refreshCards(ctx, result.improvement);
  });

  r.action(ACTIONS.improvementChangeDate, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    const action = readAction(body);
    if (!action.triggerId) return;
    const improvement = await improvements.formFor(
      ctx.workspace,
      ctx.user,
      improvementNumber(action.value),
      'change-date',
    );
    await deps.gateway.openView(
      action.triggerId,
      changeDateModal(improvement, formMeta(body, improvement.number), 'owner'),
    );
  });

  // --- Sponsor ----------------------------------------------------------------------------

  r.action(ACTIONS.improvementExtend, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    const action = readAction(body);
    if (!action.triggerId) return;
    const improvement = await improvements.formFor(
      ctx.workspace,
      ctx.user,
      improvementNumber(action.value),
      'extend',
    );
    await deps.gateway.openView(
      action.triggerId,
      changeDateModal(improvement, formMeta(body, improvement.number), 'sponsor'),
    );
  });

  for (const id of [IMPROVEMENT_VIEWS.changeDate, IMPROVEMENT_VIEWS.extend]) {
    r.view(id, async ({ view, ack, context }: ViewArgs) => {
      const form = parseForm(view, { date: true });
      if (!form.ok) return ack({ response_action: 'errors', errors: form.errors });
      const ctx = pebbleContext(context);
      const current = await improvements.get(ctx.workspace, form.meta.n);
      const moved = await improvements
        .changeDate(ctx.workspace, ctx.user, form.meta.n, form.date!, form.note)
        .catch(formError(ack, 'date'));
      if (!moved) return;
      await ack();
      await deps.gateway.dm(
        ctx.user.userId,
        noticeView(
          `:calendar: *${ref(moved.number)}* is now promised for *${moved.promisedDate}*. The ledger keeps ${current.promisedDate ?? 'the old date'} as a broken promise.`,
        ),
      );
    });
  }

  r.action(ACTIONS.improvementReassign, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    const action = readAction(body);
    if (!action.triggerId) return;
    const improvement = await improvements.formFor(
      ctx.workspace,
      ctx.user,
      improvementNumber(action.value),
      'reassign',
    );
    await deps.gateway.openView(
      action.triggerId,
      reassignModal(improvement, formMeta(body, improvement.number)),
    );
  });

  r.view(IMPROVEMENT_VIEWS.reassign, async ({ view, ack, context }: ViewArgs) => {
    const form = parseForm(view, { owner: true, date: true });
    if (!form.ok) return ack({ response_action: 'errors', errors: form.errors });
    const ctx = pebbleContext(context);
    const lead = ctx.user;
    // Before asking Slack about the new owner for someone who may not reassign.
    const allowed = await improvements
      .assertLead(ctx.workspace, lead, 'reassign an improvement')
      .then(() => true, formError(ack, 'owner'));
    if (!allowed) return;
    const owner = await deps.gateway.user(form.owner!).catch(() => undefined);
    const assigned = await improvements
      .assign(ctx.workspace, lead, form.meta.n, {
        ownerId: form.owner!,
        promisedDate: form.date!,
        ...(owner?.tz ? { ownerTimezone: owner.tz } : {}),
        ...(owner?.name ? { ownerName: owner.name } : {}),
      })
      .catch(formError(ack, 'date'));
    if (!assigned) return;
    await ack();
    await deps.gateway.dm(
      ctx.user.userId,
      noticeView(
        `:incoming_envelope: Asked ${assigned.ownerName ?? 'the new owner'} to own *${ref(assigned.number)}* by ${assigned.proposedDate}; the previous owner is told.`,
      ),
    );
  });

  r.action(ACTIONS.improvementDrop, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    const action = readAction(body);
    if (!action.triggerId) return;
    const improvement = await improvements.formFor(
      ctx.workspace,
      ctx.user,
      improvementNumber(action.value),
      'drop',
    );
    await deps.gateway.openView(
      action.triggerId,
      dropModal(improvement, formMeta(body, improvement.number)),
    );
  });

  r.view(IMPROVEMENT_VIEWS.drop, async ({ view, ack, context }: ViewArgs) => {
    const form = parseForm(view, { note: true });
    if (!form.ok) return ack({ response_action: 'errors', errors: form.errors });
    const ctx = pebbleContext(context);
    const dropped = await improvements
      .drop(ctx.workspace, ctx.user, form.meta.n, form.note!)
      .catch(formError(ack, 'note'));
    if (!dropped) return;
    await ack();
    await updateOrigin(
      form.meta,
      noticeView(`*${ref(dropped.number)}* ${dropped.title} was dropped: ${form.note}`),
    );
    await refreshCards(ctx, dropped);
  });

  // --- Close the loop ---------------------------------------------------------------------

  for (const [id, answer] of [
    [ACTIONS.improvementFixedYes, 'yes'],
    [ACTIONS.improvementFixedNo, 'no'],
  ] as const) {
    r.action(id, async ({ ack, body, context }: ActionArgs) => {
      await ack();
      const ctx = pebbleContext(context);
      if (!(await ctx.firstDelivery())) return;
      const action = readAction(body);
      const number = improvementNumber(action.value);
      const result = await improvements.answerFix(ctx.workspace, ctx.user, number, answer);
      const text = !result.recorded
        ? `You already answered about *${ref(number)}*; thank you.`
        : answer === 'yes'
          ? `:tada: Thank you! Glad *${ref(number)}* fixed it.`
          : result.reopened
            ? `Thank you for saying so. *${shortId(result.reopened.number)}* is reopened, so the council looks at it again.`
            : 'Thank you for saying so; the council hears about it.';
      await deps.followUp.say(answerTo(action, ctx.user.userId, true), noticeView(text));
      if (result.reopened) await deps.followUp.refreshCard(ctx.workspace, result.reopened);
    });
  }
}

/** A notice on top of a view. */
function withNotice(text: string, view: MessageView): MessageView {
  return { text, blocks: [{ type: 'section', text }, ...view.blocks] };
}

function doneNotice(improvement: Improvement, asked: number): MessageView {
  return noticeView(
    `:tada: *${ref(improvement.number)}* ${improvement.title} is done. ${asked} ${asked === 1 ? 'person who reported or supported it is' : 'people who reported or supported it are'} told and asked whether it fixed it for them.`,
  );
}

/**
 * Shows a domain refusal (a date in the past, not the owner…) in the form, which stays open;
 * anything else is rethrown for the channel's error handler.
 */
function formError(ack: ViewArgs['ack'], field: string): (error: unknown) => Promise<undefined> {
  return async (error: unknown) => {
    if (error instanceof PebbleError && !error.code.startsWith('STORE.')) {
      await ack({ response_action: 'errors', errors: { [field]: error.message } });
      return undefined;
    }
    throw error;
  };
}
