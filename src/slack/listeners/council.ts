import { z } from 'zod';
import {
  BallotChoiceSchema,
  OPTION_LABELS,
  parseVoteRef,
  VoteOptionSchema,
  voteShortId,
  type CouncilMember,
} from '../../core/council/council.model.js';
import { shortId } from '../../core/pebbles/pebble.model.js';
import { PebbleError } from '../../core/shared/errors.js';
import { ACTIONS } from '../../views/actions.js';
import { ballotReceiptView } from '../../views/council.view.js';
import { noticeView } from '../../views/pebble.view.js';
import { pebbleContext } from '../context.js';
import {
  COUNCIL_REASON_VIEW,
  COUNCIL_SETTINGS_VIEW,
  councilReasonModal,
  councilSettingsModal,
  parseCouncilForm,
  parseReasonForm,
} from '../council-modal.js';
import type { Answer } from '../follow-up.js';
import { ackAfter } from './ack-after.js';
import { readAction } from './action-payload.js';
import { conversationAction } from './conversation-action.js';
import type { ActionArgs, EventArgs, Registrar, SlackDeps, ViewArgs } from './registry.js';

const ref = voteShortId;
const usage = (message: string) => new PebbleError('COMMAND.USAGE', message);

const VoteNumber = z.coerce.number().int().positive().max(1_000_000_000);

/** `3:fix-now` → [3, 'fix-now']: a vote number and a choice carried in a button value. */
function voteAndChoice(value: string): [number, string] {
  const at = value.indexOf(':');
  const number = VoteNumber.safeParse(at === -1 ? '' : value.slice(0, at));
  if (!number.success || value.length > 64)
    throw usage('That button does not name a council vote.');
  return [number.data, value.slice(at + 1)];
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

/** Names for members that came without one (the form), from users.info; the rest stay ids. */
async function withNames(deps: SlackDeps, list: CouncilMember[]): Promise<CouncilMember[]> {
  // NOTE: users.info is Tier 4 (100+ per minute): a council is a handful of people.
  const budget = 50;
  let asked = 0;
  return Promise.all(
    list.map(async (m) => {
      if (m.name || asked++ >= budget) return m;
      const user = await deps.gateway.user(m.userId).catch(() => undefined);
      return user?.name ? { ...m, name: user.name } : m;
    }),
  );
}

/**
 * The council's Slack surface: ballots on the vote message (and the reminder DM), "Send to
 * council" from triage cards and `/pebble show`, the sponsor's decision buttons, the WIP
 * question, the settings form of the Home tab, and user-group sync. Each listener parses,
 * acknowledges, calls one CouncilService use case and answers with a view.
 */
export function registerCouncil(r: Registrar, deps: SlackDeps): void {
  const council = () => deps.services.council;

  r.action(ACTIONS.councilBallot, async ({ ack, body, context }: ActionArgs) => {
    const ctx = pebbleContext(context);
    // NOTE: no delivery claim here: a ballot is idempotent by itself, and a claim key would
    // store who clicked which button next to when, beside the secret ballot.
    const result = await ackAfter(ack, async () => {
      const action = readAction(body);
      const [number, raw] = voteAndChoice(action.value);
      const choice = BallotChoiceSchema.safeParse(raw);
      if (!choice.success) throw usage('That button is not a ballot option.');
      return council().cast(ctx.workspace, ctx.user, number, choice.data);
    });
    const action = readAction(body);
    await deps.followUp.say(
      answerTo(action, ctx.user.userId),
      ballotReceiptView(result.vote, result.choice, result.created),
    );
  });

  r.action(ACTIONS.councilPropose, conversationAction(deps, ACTIONS.councilPropose));

  r.action(ACTIONS.councilDecide, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    if (!(await ctx.firstDelivery())) return;
    const action = readAction(body);
    const [number, raw] = voteAndChoice(action.value);
    const option = VoteOptionSchema.safeParse(raw);
    if (!option.success) throw usage('That button is not a decision.');
    const vote = await council().sponsorDecide(ctx.workspace, ctx.user, number, option.data);
    deps.logger.info({ vote: ref(vote.number) }, 'escalated vote decided');
    await deps.followUp.say(
      answerTo(action, ctx.user.userId, true),
      noticeView(
        `:white_check_mark: You decided *${OPTION_LABELS[option.data]}* on council vote *${ref(vote.number)}* (${vote.pebbleNumbers.map(shortId).join(', ')}). The council channel and the people who reported or supported it are told.`,
      ),
    );
  });

  r.action(ACTIONS.councilWipDisplace, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    if (!(await ctx.firstDelivery())) return;
    const action = readAction(body);
    const [number, raw] = voteAndChoice(action.value);
    const improvement = z.coerce.number().int().positive().safeParse(raw);
    if (!improvement.success) throw usage('That choice does not name an improvement.');
    const vote = await council().resolveWip(ctx.workspace, ctx.user, number, {
      kind: 'displace',
      improvement: improvement.data,
    });
    await deps.followUp.say(
      answerTo(action, ctx.user.userId, true),
      noticeView(
        `:white_check_mark: I-${improvement.data} makes room${vote.improvementNumber ? `: I-${vote.improvementNumber} is planned for ${ref(vote.number)}` : ''}.`,
      ),
    );
  });

  r.action(ACTIONS.councilWipQueue, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    if (!(await ctx.firstDelivery())) return;
    const action = readAction(body);
    const number = parseVoteRef(action.value);
    if (!number) throw usage('That button does not name a council vote.');
    await council().resolveWip(ctx.workspace, ctx.user, number, { kind: 'queue' });
    await deps.followUp.say(
      answerTo(action, ctx.user.userId, true),
      noticeView(
        `:hourglass_flowing_sand: ${ref(number)} is queued: its improvement is planned as soon as an active one ends.`,
      ),
    );
  });

  r.action(ACTIONS.councilSettings, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    const action = readAction(body);
    if (!action.triggerId) return;
    // NOTE: the trigger_id lives 3 s: the admin check comes from the cache or one users.info.
    await council().requireConfigurer(ctx.workspace, ctx.user);
    await deps.gateway.openView(action.triggerId, councilSettingsModal(ctx.workspace.settings));
  });

  r.view(COUNCIL_SETTINGS_VIEW, async ({ view, ack, context, body }: ViewArgs) => {
    const form = parseCouncilForm(view);
    if (!form.ok) {
      await ack({ response_action: 'errors', errors: form.errors });
      return;
    }
    await ack();
    const ctx = pebbleContext(context);
    if (!(await ctx.firstDelivery())) return;
    const user = ctx.user;
    await council().requireConfigurer(ctx.workspace, user);
    const members = await withNames(
      deps,
      form.memberIds.map((userId) => {
        const known = ctx.workspace.settings.council.members.find((m) => m.userId === userId);
        return known ?? { userId };
      }),
    );
    const { changes, warning } = await council().configure(ctx.workspace, user, {
      ...form.patch,
      members,
    });
    ctx.forgetWorkspace();
    if (form.patch.channel) await deps.gateway.join(form.patch.channel).catch(() => false);
    await deps.gateway.dm(
      body.user.id,
      noticeView(
        (changes.length
          ? `:white_check_mark: Council settings saved (${changes.length} change${changes.length === 1 ? '' : 's'}, recorded in the history).`
          : 'Council settings: nothing changed.') + (warning ? `\n\n:warning: ${warning}` : ''),
      ),
    );
  });

  r.action(ACTIONS.councilReason, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    const action = readAction(body);
    const number = parseVoteRef(action.value);
    if (!number || !action.triggerId) throw usage('That button does not name a council vote.');
    // NOTE: the trigger_id lives 3 s: members and the sponsor are known from the settings; only
    // anyone else costs one users.info (cached) before the form opens.
    const vote = await council().requireReasonGiver(ctx.workspace, ctx.user, number);
    await deps.gateway.openView(
      action.triggerId,
      councilReasonModal(number, vote.decision?.reason),
    );
  });

  r.view(COUNCIL_REASON_VIEW, async ({ view, ack, context, body }: ViewArgs) => {
    const form = parseReasonForm(view);
    if (!form.ok) {
      await ack({ response_action: 'errors', errors: form.errors });
      return;
    }
    await ack();
    const ctx = pebbleContext(context);
    if (!(await ctx.firstDelivery())) return;
    const vote = await council().explain(ctx.workspace, ctx.user, form.vote, form.reason);
    await deps.gateway.dm(
      body.user.id,
      noticeView(
        `:white_check_mark: The council's reason for *${ref(vote.number)}* is recorded on its pebbles and sent to the people who reported or supported them.`,
      ),
    );
  });

  r.event(
    'subteam_members_changed',
    async ({ event, body }: EventArgs<'subteam_members_changed'>) => {
      const teamId = z.looseObject({ team_id: z.string() }).safeParse(body);
      const subteam = z.looseObject({ subteam_id: z.string().min(1) }).safeParse(event);
      if (!teamId.success || !subteam.success) return;
      const workspace = await deps.services.workspaces.ensure('slack', teamId.data.team_id);
      if (workspace.settings.council.userGroup?.id !== subteam.data.subteam_id) return;
      const synced = await council().syncFromDirectory(workspace, subteam.data.subteam_id);
      deps.logger.info(
        { members: synced?.settings.council.members.length },
        'council synced with its user group',
      );
    },
  );
}
