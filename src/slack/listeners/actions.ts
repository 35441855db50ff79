import { dispatchAction } from '../../conversation/actions.js';
import { shortId } from '../../core/pebbles/pebble.model.js';
import { conversationContext, sendOutputs } from '../conversation.js';
import { ACTIONS } from '../../views/actions.js';
import { confirmationView, noticeView, pebbleView } from '../../views/pebble.view.js';
import { supportNoticeText } from '../../views/report.view.js';
import { mergedCardView } from '../../views/triage.view.js';
import { pebbleContext } from '../context.js';
import type { Answer } from '../follow-up.js';
import { reportModal } from '../report-modal.js';
import { showModal } from '../triage-modals.js';
import { ackAfter } from './ack-after.js';
import { numberAndChoice, pebbleNumber, readAction } from './action-payload.js';
import type { ActionArgs, Registrar, SlackDeps } from './registry.js';

/** Where to answer a button: its message (privately, through response_url) or the user. */
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
 * The buttons of private confirmations, lists, notices and the Home tab: add details,
 * anonymous, "+1 P-n instead", +1, show, next/previous page, report.
 */
export function registerActions(r: Registrar, deps: SlackDeps): void {
  const { pebbles } = deps.services;

  r.action(ACTIONS.report, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    const action = readAction(body);
    if (!action.triggerId) return;
    await deps.gateway.openView(
      action.triggerId,
      reportModal(ctx.workspace.settings, { k: 'modal' }),
    );
  });

  r.action(ACTIONS.addDetails, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    const action = readAction(body);
    if (!action.triggerId) return;
    const pebble = await pebbles.requireReporter(
      ctx.workspace,
      ctx.user,
      pebbleNumber(action.value),
    );
    await deps.gateway.openView(
      action.triggerId,
      reportModal(
        ctx.workspace.settings,
        {
          n: pebble.number,
          k: pebble.source.kind,
          ...(action.channelId ? { c: action.channelId } : {}),
          ...(action.responseUrl && action.responseUrl.length <= 1_000
            ? { r: action.responseUrl }
            : {}),
        },
        pebble,
      ),
    );
  });

  r.action(ACTIONS.toggleAnonymous, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    if (!(await ctx.firstDelivery())) return;
    const action = readAction(body);
    const number = pebbleNumber(action.value);
    const current = await pebbles.get(ctx.workspace, number);
    const pebble = await pebbles.setAnonymous(ctx.workspace, ctx.user, number, !current.anonymous);
    const similar = await pebbles.findSimilar(ctx.workspace, pebble);
    await deps.followUp.say(
      answerTo(action, ctx.user.userId, true),
      confirmationView(pebble, similar),
    );
    await deps.followUp.refreshCard(ctx.workspace, pebble);
  });

  r.action(ACTIONS.mergeInto, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    if (!(await ctx.firstDelivery())) return;
    const action = readAction(body);
    const [from, into] = numberAndChoice(action.value);
    const result = await pebbles.mergeInto(ctx.workspace, ctx.user, from, pebbleNumber(into));
    deps.logger.info(
      { pebble: shortId(from), into: shortId(result.pebble.number) },
      'report folded into a known pebble',
    );
    await deps.followUp.say(
      answerTo(action, ctx.user.userId, true),
      noticeView(
        `:+1: ${shortId(from)} was folded into *${shortId(result.pebble.number)}* ${result.pebble.title} as your +1 (now +${result.pebble.supporterCount}).`,
      ),
    );
    await deps.followUp.refreshCard(
      ctx.workspace,
      result.merged,
      mergedCardView(result.merged, result.pebble),
    );
    await deps.followUp.refreshCard(ctx.workspace, result.pebble);
  });

  r.action(ACTIONS.support, async ({ ack, body, context }: ActionArgs) => {
    const ctx = pebbleContext(context);
    const action = readAction(body);
    const result = await ackAfter(ack, async () =>
      (await ctx.firstDelivery())
        ? pebbles.support(ctx.workspace, ctx.user, pebbleNumber(action.value))
        : undefined,
    );
    if (!result) return;
    const ownPebble = result.pebble.reporter.userId === ctx.user.userId;
    await deps.followUp.say(
      answerTo(action, ctx.user.userId),
      noticeView(supportNoticeText({ ...result, ownPebble })),
    );
    if (result.added) await deps.followUp.refreshCard(ctx.workspace, result.pebble);
  });

  r.action(ACTIONS.show, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    const action = readAction(body);
    const pebble = await pebbles.get(ctx.workspace, pebbleNumber(action.value));
    const view = pebbleView(pebble, ctx.workspace.settings, ctx.user);
    if (action.container === 'view' && action.triggerId) {
      await deps.gateway.openView(action.triggerId, showModal(view));
      return;
    }
    await deps.followUp.say(answerTo(action, ctx.user.userId), view);
  });

  r.action(ACTIONS.listPage, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    const action = readAction(body);
    const outputs = await dispatchAction(
      deps.conversation,
      conversationContext(deps, ctx),
      ACTIONS.listPage,
      action.value,
    );
    await sendOutputs(deps, outputs, answerTo(action, ctx.user.userId, true));
  });
}
