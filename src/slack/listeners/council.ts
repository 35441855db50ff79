import { z } from 'zod';
import {
  BallotChoiceSchema,
  OPTION_LABELS,
  parseVoteRef,
  VoteOptionSchema,
  voteShortId,
  type CouncilMember,
} from '../../core/council/council.model.js';
import type { CouncilPatch } from '../../core/council/council.service.js';
import { parsePebbleRef, shortId } from '../../core/pebbles/pebble.model.js';
import { PebbleError } from '../../core/shared/errors.js';
import { ACTIONS } from '../../views/actions.js';
import {
  ballotReceiptView,
  COUNCIL_CONFIG_USAGE,
  councilSettingsText,
  formatWhen,
} from '../../views/council.view.js';
import type { MessageView } from '../../views/message.view.js';
import { noticeView } from '../../views/pebble.view.js';
import { pebbleContext, type PebbleContext } from '../context.js';
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
import type { ActionArgs, EventArgs, Registrar, SlackDeps, ViewArgs } from './registry.js';

const ref = voteShortId;
const usage = (message: string) => new PebbleError('COMMAND.USAGE', message);

/** What `/pebble council …` asks for. */
export type CouncilCommand =
  { kind: 'help' } | { kind: 'votes' } | { kind: 'propose'; pebbles: number[] };

const SUBCOMMANDS = /^(help|votes|list|ls|propose|send)$/i;

/** Whether the text after `/pebble council` is a sub-command (so "council should…" stays a report). */
export function isCouncilCommand(text: string): boolean {
  const first = text.trim().split(/\s+/)[0] ?? '';
  return first === '' || SUBCOMMANDS.test(first);
}

/** Parses the text after `/pebble council`. Pure: throws COMMAND.USAGE with a hint. */
export function parseCouncilCommand(raw: string): CouncilCommand {
  const [sub = '', ...rest] = raw.trim().split(/\s+/);
  switch (sub.toLowerCase()) {
    case '':
    case 'votes':
    case 'list':
    case 'ls':
      return { kind: 'votes' };
    case 'help':
      return { kind: 'help' };
    case 'propose':
    case 'send': {
      const pebbles = rest.map((token) => parsePebbleRef(token.replace(/,$/, '')));
      if (!pebbles.length || pebbles.some((n) => n === undefined))
        throw usage('Name the pebbles: `/pebble council propose P-12 P-15`.');
      return { kind: 'propose', pebbles: pebbles as number[] };
    }
  }
  throw usage(`I do not know \`council ${sub}\`. Try \`/pebble council help\`.`);
}

const USER = /^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$/;
const USERS = /<@([UW][A-Z0-9]+)(?:\|([^>]*))?>/g;
const CHANNEL = /^<#([CG][A-Z0-9]+)(?:\|([^>]*))?>$/;
const GROUP = /^<!subteam\^([A-Z0-9]+)(?:\|@?([^>]*))?>$/;

/** What `/pebble config council …` asks for: a change, or the settings. */
export type CouncilConfigCommand =
  { kind: 'show' } | { kind: 'patch'; patch: CouncilPatch; joinChannel?: string };

function members(text: string): CouncilMember[] {
  return [...text.matchAll(USERS)].map((m) => ({
    userId: m[1]!,
    ...(m[2] ? { name: m[2] } : {}),
  }));
}

function count(value: string | undefined, what: string, min: number, max: number): number {
  const n = Number(value);
  if (!value || !Number.isInteger(n) || n < min || n > max)
    throw usage(`${what}: a whole number from ${min} to ${max}.`);
  return n;
}

/** Parses the text after `/pebble config council`. Pure: throws COMMAND.USAGE with a hint. */
export function parseCouncilConfig(raw: string): CouncilConfigCommand {
  const text = raw.trim();
  const [word = '', ...rest] = text.split(/\s+/);
  const value = text.slice(word.length).trim();
  const off = /^(off|none|no)$/i.test(value);
  switch (word.toLowerCase()) {
    case '':
    case 'show':
      return { kind: 'show' };
    case 'members': {
      const list = members(value);
      if (!list.length && !off) throw usage('Usage: `/pebble config council members @ana @ben`.');
      return { kind: 'patch', patch: { members: list } };
    }
    case 'add': {
      const list = members(value);
      if (!list.length) throw usage('Usage: `/pebble config council add @cy`.');
      return { kind: 'patch', patch: { addMembers: list } };
    }
    case 'remove': {
      const list = members(value);
      if (!list.length) throw usage('Usage: `/pebble config council remove @ben`.');
      return { kind: 'patch', patch: { removeMembers: list.map((m) => m.userId) } };
    }
    case 'function': {
      const user = USER.exec(rest[0] ?? '');
      const fn = rest.slice(1).join(' ').trim();
      if (!user?.[1] || !fn)
        throw usage('Usage: `/pebble config council function @ana Product` (or `none`).');
      return {
        kind: 'patch',
        patch: { functions: { [user[1]]: /^(none|off)$/i.test(fn) ? null : fn.slice(0, 40) } },
      };
    }
    case 'group': {
      if (off) return { kind: 'patch', patch: { userGroup: null } };
      const group = GROUP.exec(value);
      if (!group?.[1])
        throw usage('Pick the user group with @, e.g. `/pebble config council group @cx-council`.');
      const handle = group[2] ? `@${group[2]}` : undefined;
      return {
        kind: 'patch',
        patch: { userGroup: { id: group[1], ...(handle ? { handle } : {}) } },
      };
    }
    case 'channel': {
      if (off) return { kind: 'patch', patch: { channel: null } };
      const channel = CHANNEL.exec(value);
      if (!channel?.[1])
        throw usage('Pick the channel with #, e.g. `/pebble config council channel #cx-council`.');
      return { kind: 'patch', patch: { channel: channel[1] }, joinChannel: channel[1] };
    }
    case 'sponsor': {
      if (off) return { kind: 'patch', patch: { sponsor: null } };
      const user = USER.exec(value);
      if (!user?.[1]) throw usage('Usage: `/pebble config council sponsor @vera` (or `none`).');
      return { kind: 'patch', patch: { sponsor: user[1] } };
    }
    case 'window':
    case 'days':
      return {
        kind: 'patch',
        patch: { votingDays: count(rest[0], 'The voting window in working days', 1, 20) },
      };
    case 'quorum':
      if (/^(half|default|off|none)$/i.test(value))
        return { kind: 'patch', patch: { quorum: null } };
      return {
        kind: 'patch',
        patch: { quorum: count(rest[0], 'The quorum in ballots', 1, 2_000) },
      };
    case 'threshold': {
      if (/^(majority|simple|default)$/i.test(value))
        return { kind: 'patch', patch: { threshold: 50 } };
      if (/^(unanimous|all)$/i.test(value)) return { kind: 'patch', patch: { threshold: 100 } };
      return {
        kind: 'patch',
        patch: {
          threshold: count(rest[0]?.replace(/%$/, ''), 'The threshold in percent', 50, 100),
        },
      };
    }
    case 'balance':
      if (off) return { kind: 'patch', patch: { balance: null } };
      return {
        kind: 'patch',
        patch: { balance: count(rest[0], 'The balance in functions', 2, 50) },
      };
    case 'ballots':
    case 'secret': {
      const v = value.toLowerCase();
      if (['secret', 'on', 'yes'].includes(v)) return { kind: 'patch', patch: { secret: true } };
      if (['open', 'off', 'no'].includes(v)) return { kind: 'patch', patch: { secret: false } };
      throw usage('Usage: `/pebble config council ballots secret` (or `open`).');
    }
    case 'wip':
      return {
        kind: 'patch',
        patch: { wipLimit: count(rest[0], 'The WIP limit in active improvements', 1, 100) },
      };
    case 'cycle': {
      const v = value.toLowerCase().replace(/ly$/, '');
      if (v === 'week' || v === 'month') return { kind: 'patch', patch: { cycle: v } };
      throw usage('Usage: `/pebble config council cycle week` (or `month`).');
    }
  }
  throw usage(`I cannot set \`council ${word}\`.\n${COUNCIL_CONFIG_USAGE}`);
}

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

function councilHelp(): MessageView {
  return noticeView(
    [
      '*CX council*',
      '• `/pebble council propose P-12 [P-15 …]` sends triaged pebbles to the council (members and admins)',
      '• `/pebble council votes` lists the open votes',
      '• Members vote with the buttons on the vote in the council channel; ballots can change until the close.',
      COUNCIL_CONFIG_USAGE,
    ].join('\n'),
  );
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

/** `/pebble council …`. */
export async function handleCouncilCommand(
  deps: SlackDeps,
  ctx: PebbleContext,
  text: string,
  answer: Answer,
): Promise<void> {
  const command = parseCouncilCommand(text);
  const { council } = deps.services;
  switch (command.kind) {
    case 'help':
      return deps.followUp.say(answer, councilHelp());
    case 'votes': {
      const votes = await council.openVotes(ctx.workspace);
      const tz = ctx.workspace.settings.timezone;
      return deps.followUp.say(
        answer,
        noticeView(
          votes.length
            ? `*Open council votes*\n${votes
                .map(
                  (v) =>
                    `• *${ref(v.number)}* ${v.pebbleNumbers.map(shortId).join(', ')} · ${
                      v.status === 'open'
                        ? `closes ${formatWhen(v.deadline, tz)}`
                        : 'waiting for the sponsor'
                    }`,
                )
                .join('\n')}`
            : 'No council vote is open. Send triaged pebbles with `/pebble council propose P-12`.',
        ),
      );
    }
    case 'propose':
      return propose(deps, ctx, command.pebbles, answer);
  }
}

async function propose(
  deps: SlackDeps,
  ctx: PebbleContext,
  numbers: number[],
  answer: Answer,
): Promise<void> {
  const result = await deps.services.council.propose(ctx.workspace, ctx.user, numbers);
  deps.logger.info(
    { vote: ref(result.vote.number), pebbles: result.pebbles.length },
    'pebbles sent to the council',
  );
  const list = result.pebbles.map((p) => shortId(p.number)).join(', ');
  await deps.followUp.say(
    answer,
    noticeView(
      result.posted
        ? `:ballot_box_with_ballot: ${list} went to the council as *${ref(result.vote.number)}*; it closes ${formatWhen(result.vote.deadline, ctx.workspace.settings.timezone)}. Reporters and supporters are told.`
        : `${list} went to the council as *${ref(result.vote.number)}*, but I could not post in the council channel: invite me there with \`/invite @Pebblebot\`; I will post it as soon as I can.`,
    ),
  );
  for (const pebble of result.pebbles) await deps.followUp.refreshCard(ctx.workspace, pebble);
}

/** `/pebble config council …` (admins). */
export async function handleCouncilConfig(
  deps: SlackDeps,
  ctx: PebbleContext,
  text: string,
  answer: Answer,
): Promise<void> {
  const command = parseCouncilConfig(text);
  if (command.kind === 'show')
    return deps.followUp.say(
      answer,
      noticeView(`${councilSettingsText(ctx.workspace.settings)}\n\n${COUNCIL_CONFIG_USAGE}`),
    );
  const user = ctx.user;
  // Before joining a channel or looking up names for someone who may not change anything.
  await deps.services.council.requireConfigurer(ctx.workspace, user);
  let patch = command.patch;
  let joined = true;
  if (command.joinChannel) joined = await deps.gateway.join(command.joinChannel);
  if (patch.members) patch = { ...patch, members: await withNames(deps, patch.members) };
  if (patch.addMembers) patch = { ...patch, addMembers: await withNames(deps, patch.addMembers) };
  const { workspace, changes, warning } = await deps.services.council.configure(
    ctx.workspace,
    user,
    patch,
  );
  ctx.forgetWorkspace();
  await deps.followUp.say(
    answer,
    noticeView(
      (changes.length
        ? `:white_check_mark: Council updated (${changes.length} change${changes.length === 1 ? '' : 's'}, recorded).`
        : 'Nothing changed.') +
        (joined
          ? ''
          : ' The council channel is private: invite me there with `/invite @Pebblebot`.') +
        (warning ? `\n\n:warning: ${warning}` : '') +
        `\n\n${councilSettingsText(workspace.settings)}`,
    ),
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

  r.action(ACTIONS.councilPropose, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    if (!(await ctx.firstDelivery())) return;
    const action = readAction(body);
    const numbers = action.value.split(',').map((v) => parsePebbleRef(v));
    if (!numbers.length || numbers.some((n) => n === undefined))
      throw usage('That button does not name a pebble.');
    await propose(deps, ctx, numbers as number[], answerTo(action, ctx.user.userId));
  });

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
