import { z } from 'zod';
import { OPTION_LABELS, voteShortId } from '../core/council/council.model.js';
import { DigestSettingsSchema, weekdayName } from '../core/digest/digest-settings.js';
import {
  IMPROVEMENT_STATUS_LABELS,
  improvementShortId,
} from '../core/improvements/improvement.model.js';
import { parseListFilter } from '../core/pebbles/list-filter.js';
import { shortId, type Pebble } from '../core/pebbles/pebble.model.js';
import type { ReportResult } from '../core/pebbles/pebble.service.js';
import { PebbleError } from '../core/shared/errors.js';
import type { Workspace, WorkspaceSettings } from '../core/workspaces/workspace.model.js';
import {
  ballotReceiptView,
  councilSettingsText,
  COUNCIL_CONFIG_USAGE,
  formatWhen,
} from '../views/council.view.js';
import { aiSettingsView } from '../views/ai.view.js';
import { digestScheduleText, digestSettingsView, digestView } from '../views/digest.view.js';
import {
  improvementListView,
  improvementView,
  nudgeSettingsText,
} from '../views/improvement.view.js';
import type { MessageView } from '../core/ports/message-view.port.js';
import {
  confirmationView,
  noticeView,
  pebbleListView,
  peopleAffected,
  pebbleView,
} from '../views/pebble.view.js';
import { supportNoticeText } from '../views/report.view.js';
import { dayText } from '../views/dates.js';
import { channel, person, plainText } from '../views/tokens.js';
import { triageCardView } from '../views/triage.view.js';
import {
  parseCommand,
  quote,
  type Command,
  type CouncilCommand,
  type ImprovementCommand,
} from './commands.js';
import {
  reply,
  withRole,
  type ConversationContext,
  type ConversationDeps,
  type Output,
} from './context.js';
import { Cards } from './cards.js';
import { runGovernance } from './governance-commands.js';
import { homeFor } from './home.js';
import { runSettings } from './settings-commands.js';
import { grammarHelpView, type HelpOptions } from './help.js';

/** Pebbles per page of a list; with header, range and buttons it stays far below 50 blocks. */
export const PAGE_SIZE = 10;

const usage = (message: string) => new PebbleError('COMMAND.USAGE', message);
const vref = voteShortId;
const iref = improvementShortId;

/** A list page's button value: which list, its filter, and where the page starts. */
export const ListPageSchema = z.object({
  s: z.enum(['list', 'mine']),
  f: z.string().max(100).default(''),
  o: z.number().int().min(0).max(1_000_000),
});
export type ListPage = z.infer<typeof ListPageSchema>;

/** A notice on top of a view. */
export function withNotice(text: string, view: MessageView): MessageView {
  return { text, blocks: [{ type: 'section', text }, ...view.blocks] };
}

/** After a report: the private confirmation (offering similar open pebbles) and the triage card. */
export async function afterReport(
  deps: ConversationDeps,
  workspace: Workspace,
  result: ReportResult,
): Promise<Output[]> {
  const similar = await deps.services.pebbles.findSimilar(workspace, result.pebble);
  const cards = new Cards(deps);
  await cards.post(workspace, result.pebble);
  cards.assist(workspace, result.pebble);
  return [reply(confirmationView(result.pebble, similar, { truncated: result.truncated }))];
}

/** One page of `list …` or `mine`, with Previous / Next when there is more. */
export async function listPageView(
  deps: ConversationDeps,
  ctx: ConversationContext,
  page: ListPage,
): Promise<MessageView> {
  const { pebbles } = deps.services;
  const q = (t: string) => quote(ctx.prefix, t);
  const pageValue = (offset: number) => JSON.stringify({ ...page, o: offset });
  if (page.s === 'mine') {
    const result = await pebbles.mine(ctx.workspace, ctx.actor, {
      limit: PAGE_SIZE,
      offset: page.o,
    });
    return pebbleListView({ ...result, offset: page.o, limit: PAGE_SIZE }, ctx.workspace.settings, {
      title: 'Pebbles you reported',
      emptyText: `You have not reported any pebble yet. Try ${q('<what got in the way>')}.`,
      pageValue,
    });
  }
  const { filter, label } = parseListFilter(page.f, ctx.workspace.settings);
  const result = await pebbles.list(ctx.workspace, filter, { limit: PAGE_SIZE, offset: page.o });
  return pebbleListView({ ...result, offset: page.o, limit: PAGE_SIZE }, ctx.workspace.settings, {
    title: label,
    emptyText: `No pebbles here yet. Report one with ${q('<what got in the way>')}.`,
    pageValue,
  });
}

function settingsSummary(settings: WorkspaceSettings): string {
  return [
    '*Pebblebot settings*',
    `• Triage channel: ${settings.triageChannel ? channel(settings.triageChannel) : 'none'}`,
    `• Reaction that reports a message: :${settings.reactionEmoji}:`,
    `• Pebblebot admins besides workspace admins: ${settings.admins.length}`,
    `• Journeys: ${settings.journeys.map((j) => j.name).join(', ')}`,
  ].join('\n');
}

const EmojiName = z
  .string()
  .transform((v) => v.replace(/^:|:$/g, '').toLowerCase())
  .pipe(z.string().regex(/^[a-z0-9_+'-]{1,100}$/));

export interface RunOptions {
  /** Channel-specific help lines (Slack shortcuts, console `as @ana`). */
  help?: HelpOptions['extra'];
  /** What `digest` shows of the chart (`fallback`: as numbers). */
  chart?: 'fallback' | 'none';
  /**
   * Called once a report or +1 is stored, before the slower steps that follow (similar pebbles,
   * the triage card): a channel that must acknowledge only what is stored acknowledges here.
   */
  stored?: (pebble: Pebble) => Promise<void>;
}

/** Parses and runs one line people typed. */
export async function runText(
  deps: ConversationDeps,
  ctx: ConversationContext,
  text: string,
  options: RunOptions = {},
): Promise<Output[]> {
  return runCommand(
    deps,
    ctx,
    parseCommand(text, { ...(ctx.prefix ? { prefix: ctx.prefix } : {}) }),
    options,
  );
}

/**
 * Runs a typed command: calls the one service use case it names (which checks who may) and
 * returns what to show. The `form` command is for the channel: it opens its report form.
 */
export async function runCommand(
  deps: ConversationDeps,
  ctx: ConversationContext,
  command: Command,
  options: RunOptions = {},
): Promise<Output[]> {
  const { pebbles, workspaces } = deps.services;
  const { workspace, actor } = ctx;
  const q = (t: string) => quote(ctx.prefix, t);
  const say = (view: MessageView) => [reply(view)];
  const cards = new Cards(deps);
  switch (command.kind) {
    case 'form':
      throw usage(`Usage: ${q('report <what got in the way>')}`);
    case 'help':
      return say(
        grammarHelpView({
          ...(ctx.prefix ? { prefix: ctx.prefix } : {}),
          ...(options.help ? { extra: options.help } : {}),
        }),
      );
    case 'list': {
      const [, filter = command.filter, page] =
        /^(.*?)\s*\bpage\s+(\d+)$/i.exec(command.filter) ?? [];
      const o = page ? (Math.max(1, Number(page)) - 1) * PAGE_SIZE : 0;
      return say(await listPageView(deps, ctx, { s: 'list', f: filter.trim(), o }));
    }
    case 'mine':
      return say(await listPageView(deps, ctx, { s: 'mine', f: '', o: 0 }));
    case 'show':
      return say(
        pebbleView(await pebbles.get(workspace, command.number), workspace.settings, actor),
      );
    case 'support': {
      const result = await pebbles.support(workspace, actor, command.number);
      await options.stored?.(result.pebble);
      if (result.added) await cards.refresh(workspace, result.pebble);
      return say(
        noticeView(
          supportNoticeText({
            ...result,
            ownPebble: result.pebble.reporter.userId === actor.userId,
          }),
        ),
      );
    }
    case 'report': {
      const result = await pebbles.report(
        workspace,
        actor,
        { text: plainText(command.text), anonymous: command.anonymous },
        {
          // A line typed to the bot in Teams is a message to it (personal chat or @mention).
          kind:
            ctx.channel === 'console' ? 'console' : ctx.channel === 'teams' ? 'mention' : 'slash',
          ...(ctx.where ? { channelId: ctx.where } : {}),
        },
      );
      await options.stored?.(result.pebble);
      deps.log?.info(
        { pebble: shortId(result.pebble.number), source: result.pebble.source.kind },
        'pebble reported',
      );
      return afterReport(deps, workspace, result);
    }
    case 'merge': {
      const result = await pebbles.mergeInto(workspace, actor, command.from, command.into);
      await cards.refresh(workspace, result.pebble);
      await cards.refresh(workspace, result.merged);
      const into = shortId(result.pebble.number);
      return say(
        noticeView(
          result.added
            ? `${shortId(command.from)} joined ${into} as your +1: ${into} now gets in the way of ${peopleAffected(result.pebble)}. ${shortId(command.from)} stays as its duplicate, with your text.`
            : `${shortId(command.from)} joined ${into}, where your voice already counts (${peopleAffected(result.pebble)}). ${shortId(command.from)} stays as its duplicate, with your text.`,
        ),
      );
    }
    case 'anon-toggle': {
      const current = await pebbles.get(workspace, command.number);
      const updated = await pebbles.setAnonymous(
        workspace,
        actor,
        command.number,
        !current.anonymous,
      );
      await cards.refresh(workspace, updated);
      return say(
        noticeView(
          updated.anonymous
            ? `${shortId(command.number)} is now anonymous: nobody else sees your name.`
            : `${shortId(command.number)} now shows your name.`,
        ),
      );
    }
    case 'config':
    case 'config-triage':
    case 'config-emoji':
    case 'config-admins':
      return say(await configure(deps, ctx, command));
    case 'config-ai':
      return say(await configureAi(deps, ctx, command.on));
    case 'triage':
      return triage(deps, ctx, command);
    case 'governance':
      return runGovernance(deps, ctx, command.command, q);
    case 'settings':
      return runSettings(deps, ctx, command.command, q);
    case 'home':
      return say(await homeFor(deps, ctx));
    case 'vote': {
      const result = await deps.services.council.cast(
        workspace,
        actor,
        command.vote,
        command.choice,
      );
      return say(ballotReceiptView(result.vote, result.choice, result.created, result.unchanged));
    }
    case 'council':
      return council(deps, ctx, command.command);
    case 'council-config': {
      const c = command.command;
      if (c.kind === 'show')
        return say(
          noticeView(`${councilSettingsText(workspace.settings)}\n\n${COUNCIL_CONFIG_USAGE}`),
        );
      // Core decides who may change the council, before names are looked up or a channel joined.
      const user = await withRole(ctx);
      await deps.services.council.requireConfigurer(workspace, user);
      let patch = c.patch;
      const named = async (list: { userId: string; name?: string }[]) =>
        Promise.all(
          list.map(async (m) => {
            if (m.name) return m;
            const found = await ctx.resolve?.user?.(m.userId).catch(() => undefined);
            return found?.name ? { ...m, name: found.name } : m;
          }),
        );
      if (patch.members) patch = { ...patch, members: await named(patch.members) };
      if (patch.addMembers) patch = { ...patch, addMembers: await named(patch.addMembers) };
      const result = await deps.services.council.configure(workspace, user, patch);
      ctx.resolve?.forgetWorkspace?.();
      const joined = c.joinChannel ? ((await ctx.resolve?.join?.(c.joinChannel)) ?? true) : true;
      return say(
        noticeView(
          (result.changes.length
            ? `:white_check_mark: Council updated (${result.changes.length} change${result.changes.length === 1 ? '' : 's'}, recorded).`
            : 'Nothing changed.') +
            (joined ? '' : ' The council channel is private: invite me there first.') +
            (result.warning ? `\n\n:warning: ${result.warning}` : '') +
            `\n\n${councilSettingsText(result.workspace.settings)}`,
        ),
      );
    }
    case 'improvement':
      return improvement(deps, ctx, command.command);
    case 'digest': {
      const preview = await deps.services.digest.preview(workspace);
      return say(digestView(preview, { chart: options.chart ?? 'fallback', preview: true }));
    }
    case 'digest-config': {
      const c = command.command;
      const user = await withRole(ctx);
      // Changes are refused by core; showing them has no use case, so core's admin rule answers.
      if (c.kind === 'show') {
        await workspaces.requireAdmin(workspace, user, 'change the digest');
        return say(digestSettingsView(workspace.settings, ctx.prefix ?? ''));
      }
      const digest = DigestSettingsSchema.parse({ ...workspace.settings.digest, ...c.patch });
      if ('channel' in c.patch && c.patch.channel === undefined) delete digest.channel;
      const updated = await workspaces.updateSettings(workspace, user, {
        digest,
        ...(c.timezone ? { timezone: c.timezone } : {}),
      });
      ctx.resolve?.forgetWorkspace?.();
      const joined = c.join ? ((await ctx.resolve?.join?.(c.join.id)) ?? true) : true;
      const note = c.join && !joined ? ' It is a private channel: invite me there first.' : '';
      return say(
        noticeView(
          `:white_check_mark: ${digestChangedText(workspace.settings, updated.settings)}${note}\n${digestScheduleText(updated.settings)}`,
        ),
      );
    }
  }
}

/** What changed in the digest settings, in one sentence. */
function digestChangedText(before: WorkspaceSettings, after: WorkspaceSettings): string {
  const d = after.digest;
  if (before.digest.enabled !== d.enabled)
    return d.enabled ? 'The weekly digest is on.' : 'The weekly digest is off.';
  if (before.timezone !== after.timezone) return `The workspace time zone is ${after.timezone}.`;
  if (before.digest.channel !== d.channel)
    return d.channel
      ? `The digest will be posted to ${channel(d.channel)}.`
      : 'The digest will not be posted to a channel.';
  if (before.digest.leaders.join() !== d.leaders.join())
    return d.leaders.length
      ? `${d.leaders.length} ${d.leaders.length === 1 ? 'leader gets' : 'leaders get'} the digest by direct message.`
      : 'No leader gets the digest by direct message.';
  return `The digest goes out on ${weekdayName(d.day)}s at ${d.time}.`;
}

async function configure(
  deps: ConversationDeps,
  ctx: ConversationContext,
  command: Extract<
    Command,
    { kind: 'config' | 'config-triage' | 'config-emoji' | 'config-admins' }
  >,
): Promise<MessageView> {
  const { workspaces } = deps.services;
  const q = (t: string) => quote(ctx.prefix, t);
  const user = await withRole(ctx);
  // Changes are refused by core; the summary has no use case, so core's admin rule answers.
  if (command.kind === 'config') await workspaces.requireAdmin(ctx.workspace, user);
  const update = async (patch: Partial<WorkspaceSettings>) => {
    const updated = await workspaces.updateSettings(ctx.workspace, user, patch);
    ctx.resolve?.forgetWorkspace?.();
    return updated;
  };
  switch (command.kind) {
    case 'config':
      return noticeView(settingsSummary(ctx.workspace.settings));
    case 'config-triage': {
      if (!command.channel) {
        await update({ triageChannel: '' });
        return noticeView('New pebbles will no longer be posted to a triage channel.');
      }
      const { id, name } = command.channel;
      await update({ triageChannel: id });
      const joined = (await ctx.resolve?.join?.(id)) ?? true;
      return noticeView(
        `:white_check_mark: New pebbles will be posted to ${channel(id, name)} as triage cards.` +
          (joined ? '' : ' It is a private channel: invite me there first.'),
      );
    }
    case 'config-emoji': {
      const parsed = EmojiName.safeParse(command.value.trim());
      if (!parsed.success) throw usage(`Usage: ${q('config emoji rock')}`);
      await update({ reactionEmoji: parsed.data });
      return noticeView(
        `:white_check_mark: Reacting with :${parsed.data}: now reports a message as a pebble.`,
      );
    }
    case 'config-admins': {
      const ids = command.ids;
      await update({ admins: ids });
      return noticeView(
        ids.length
          ? `:white_check_mark: ${ids.length} ${ids.length === 1 ? 'person' : 'people'} can now configure Pebblebot and triage, besides workspace admins.`
          : ':white_check_mark: Only workspace admins can configure Pebblebot and triage now.',
      );
    }
  }
}

/**
 * `config ai [on|off]`: switches AI for the workspace (core checks the admin and audits it),
 * and shows admins the switch, the models and today's usage against the daily caps.
 */
async function configureAi(
  deps: ConversationDeps,
  ctx: ConversationContext,
  on: boolean | undefined,
): Promise<MessageView> {
  const { workspaces, ai } = deps.services;
  const user = await withRole(ctx);
  let workspace = ctx.workspace;
  if (on !== undefined) {
    workspace = await workspaces.setAiEnabled(workspace, user, on);
    ctx.resolve?.forgetWorkspace?.();
  } else {
    await workspaces.requireAdmin(workspace, user, 'see the AI settings and usage');
  }
  const usage = ai ? await ai.usage(workspace, user) : undefined;
  return aiSettingsView({
    enabled: workspace.settings.aiEnabled,
    ...(on !== undefined ? { changed: on } : {}),
    ...(ai && usage ? { configured: { ...ai.models, usage } } : {}),
    prefix: ctx.prefix ?? '',
  });
}

/** A stage as typed: `journey/stage` keys, a stage key, or its name. */
function stageOf(
  settings: WorkspaceSettings,
  typed: string,
): { journey: string; stage: string } | undefined {
  const t = typed.trim().toLowerCase();
  for (const journey of settings.journeys)
    for (const stage of journey.stages)
      if ([`${journey.key}/${stage.key}`, stage.key, stage.name.toLowerCase()].includes(t))
        return { journey: journey.key, stage: stage.key };
  return undefined;
}

async function triage(
  deps: ConversationDeps,
  ctx: ConversationContext,
  command: Extract<Command, { kind: 'triage' }>,
): Promise<Output[]> {
  const { pebbles } = deps.services;
  const { workspace } = ctx;
  const cards = new Cards(deps);
  const user = await withRole(ctx);
  const change = command.change;
  switch (change.kind) {
    case 'accept': {
      const pebble = await pebbles.acceptSuggestion(workspace, user, command.number);
      await cards.refresh(workspace, pebble);
      return [reply(triageCardView(pebble, workspace.settings))];
    }
    case 'severity':
    case 'stakeholder':
    case 'stage': {
      const patch =
        change.kind === 'severity'
          ? { severity: change.severity }
          : change.kind === 'stakeholder'
            ? { stakeholder: change.stakeholder }
            : stageOf(workspace.settings, change.stage);
      if (!patch)
        throw usage(
          `There is no stage "${change.kind === 'stage' ? change.stage : ''}". Stages: ${workspace.settings.journeys.flatMap((j) => j.stages.map((s) => s.key)).join(', ')}.`,
        );
      const pebble = await pebbles.updateDetails(workspace, user, command.number, patch);
      await cards.refresh(workspace, pebble);
      return [reply(triageCardView(pebble, workspace.settings))];
    }
    case 'decline': {
      // Core has queued the notices to the reporter and supporters in the outbox.
      const { pebble } = await pebbles.decline(workspace, user, command.number, change.reason);
      deps.log?.info({ pebble: shortId(pebble.number) }, 'pebble declined');
      await cards.refresh(workspace, pebble);
      return [reply(noticeView(`${shortId(pebble.number)} is declined.`))];
    }
    case 'duplicate': {
      const result = await pebbles.markDuplicate(workspace, user, command.number, change.of);
      deps.log?.info(
        { pebble: shortId(result.pebble.number), of: shortId(result.original.number) },
        'pebble marked duplicate',
      );
      await cards.refresh(workspace, result.pebble);
      await cards.refresh(workspace, result.original);
      return [
        reply(
          noticeView(
            `${shortId(result.pebble.number)} is marked as a duplicate of ${shortId(result.original.number)}.`,
          ),
        ),
      ];
    }
  }
}

function councilHelp(prefix: string | undefined): MessageView {
  const q = (t: string) => quote(prefix, t);
  return noticeView(
    [
      '*CX council*',
      `• ${q('council propose P-12 [P-15 …]')} sends triaged pebbles to the council (members and admins)`,
      `• ${q('council votes')} lists the open votes`,
      `• Members vote with the buttons on the vote (or ${q('vote V-3 fix-now')}); ballots can change until the close.`,
      `• ${q('council close V-3 <why>')} closes a vote early (admins and the sponsor); the council sees why`,
      COUNCIL_CONFIG_USAGE,
    ].join('\n'),
  );
}

/** Sends pebbles to the council; shared by the command and the "Send to council" button. */
export async function propose(
  deps: ConversationDeps,
  ctx: ConversationContext,
  numbers: number[],
): Promise<Output[]> {
  const result = await deps.services.council.propose(ctx.workspace, await withRole(ctx), numbers);
  deps.log?.info(
    { vote: vref(result.vote.number), pebbles: result.pebbles.length },
    'pebbles sent to the council',
  );
  const list = result.pebbles.map((p) => shortId(p.number)).join(', ');
  const cards = new Cards(deps);
  for (const pebble of result.pebbles) await cards.refresh(ctx.workspace, pebble);
  return [
    reply(
      noticeView(
        result.posted
          ? `:ballot_box_with_ballot: ${list} went to the council as *${vref(result.vote.number)}*; it closes ${formatWhen(result.vote.deadline, ctx.workspace.settings.timezone)}. Reporters and supporters are told.`
          : `${list} went to the council as *${vref(result.vote.number)}*, but I could not post in the council channel: invite me there; I will post it as soon as I can.`,
      ),
    ),
  ];
}

async function council(
  deps: ConversationDeps,
  ctx: ConversationContext,
  command: CouncilCommand,
): Promise<Output[]> {
  const { council } = deps.services;
  const { workspace } = ctx;
  const q = (t: string) => quote(ctx.prefix, t);
  switch (command.kind) {
    case 'help':
      return [reply(councilHelp(ctx.prefix))];
    case 'votes': {
      const votes = await council.openVotes(workspace);
      const tz = workspace.settings.timezone;
      return [
        reply(
          noticeView(
            votes.length
              ? `*Open council votes*\n${votes
                  .map(
                    (v) =>
                      `• *${vref(v.number)}* ${v.pebbleNumbers.map(shortId).join(', ')} · ${
                        v.status === 'open'
                          ? `closes ${formatWhen(v.deadline, tz)}`
                          : 'waiting for the sponsor'
                      }`,
                  )
                  .join('\n')}`
              : `No council vote is open. Send triaged pebbles with ${q('council propose P-12')}.`,
          ),
        ),
      ];
    }
    case 'propose':
      return propose(deps, ctx, command.pebbles);
    case 'decide': {
      const vote = await council.sponsorDecide(
        workspace,
        await withRole(ctx),
        command.vote,
        command.option,
      );
      return [
        reply(
          noticeView(
            `:white_check_mark: You decided *${OPTION_LABELS[command.option]}* on council vote *${vref(vote.number)}* (${vote.pebbleNumbers.map(shortId).join(', ')}). The council channel and the people who reported or supported it are told.`,
          ),
        ),
      ];
    }
    case 'close': {
      const vote = await council.closeEarly(
        workspace,
        await withRole(ctx),
        command.vote,
        command.reason,
      );
      return [
        reply(
          noticeView(
            `:white_check_mark: *${vref(vote.number)}* is closed early (${command.reason}); the ballots cast so far decide it, and the council sees your reason on the vote.`,
          ),
        ),
      ];
    }
    case 'reason': {
      const vote = await council.explain(
        workspace,
        await withRole(ctx),
        command.vote,
        command.reason,
      );
      return [
        reply(
          noticeView(
            `:white_check_mark: The council's reason for *${vref(vote.number)}* is recorded on its pebbles and sent to the people who reported or supported them.`,
          ),
        ),
      ];
    }
    case 'wip': {
      const user = await withRole(ctx);
      if (command.displace === undefined) {
        await council.resolveWip(workspace, user, command.vote, { kind: 'queue' });
        return [
          reply(
            noticeView(
              `:hourglass_flowing_sand: ${vref(command.vote)} is queued: its improvement is planned as soon as an active one ends.`,
            ),
          ),
        ];
      }
      const vote = await council.resolveWip(workspace, user, command.vote, {
        kind: 'displace',
        improvement: command.displace,
      });
      return [
        reply(
          noticeView(
            `:white_check_mark: I-${command.displace} makes room${vote.improvementNumber ? `: I-${vote.improvementNumber} is planned for ${vref(vote.number)}` : ''}.`,
          ),
        ),
      ];
    }
  }
}

function improvementHelp(prefix: string | undefined): MessageView {
  const q = (t: string) => quote(prefix, t);
  return noticeView(
    [
      '*Journey improvements*',
      `• ${q('improvement list [all|mine]')} the improvements and their owners`,
      `• ${q('improvement show I-3')} one improvement with its promise ledger`,
      `• ${q('improvement update I-3 at-risk "waiting on vendor"')} a status update (on-track, at-risk, blocked, done)`,
      `• ${q('improvement date I-3 2027-01-15 "why"')} a new promised date (kept as a broken promise and a new one)`,
      '*Sponsor and admins*',
      `• ${q('improvement assign I-3 @owner 2026-12-15')} asks someone to own it by a date`,
      `• ${q('improvement new P-3 P-4 <title>')} plans an improvement without a council vote`,
      `• ${q('improvement update I-3 dropped "why"')} drops it`,
      `• ${q('improvement sponsor @dana')} sets the executive sponsor (escalations go there)`,
      `• ${q('improvement settings')} nudge cadence, quiet hours, escalation`,
    ].join('\n'),
  );
}

/** The text when an owner marks an improvement done. */
export function doneNotice(number: number, title: string, asked: number): MessageView {
  return noticeView(
    `:tada: *${iref(number)}* ${title} is done. ${asked} ${asked === 1 ? 'person who reported or supported it is' : 'people who reported or supported it are'} told and asked whether it fixed it for them.`,
  );
}

/** The text after a "did this fix it for you?" answer. */
export function fixAnswerText(
  number: number,
  answer: 'yes' | 'no',
  result: { recorded: boolean; reopened?: Pebble | undefined },
): string {
  return !result.recorded
    ? `You already answered about *${iref(number)}*; thank you.`
    : answer === 'yes'
      ? `:tada: Thank you! Glad *${iref(number)}* fixed it.`
      : result.reopened
        ? `Thank you for saying so. *${shortId(result.reopened.number)}* is reopened, so the council looks at it again.`
        : 'Thank you for saying so; the council hears about it.';
}

async function improvement(
  deps: ConversationDeps,
  ctx: ConversationContext,
  command: ImprovementCommand,
): Promise<Output[]> {
  const { improvements, workspaces } = deps.services;
  const { workspace, actor } = ctx;
  const q = (t: string) => quote(ctx.prefix, t);
  const say = (view: MessageView) => [reply(view)];
  const cards = new Cards(deps);
  /** The owner acts as themselves; anyone else is checked for their admin role. */
  const asOwnerOr = async (number: number) => {
    const current = await improvements.get(workspace, number);
    return { current, user: current.ownerId === actor.userId ? actor : await withRole(ctx) };
  };
  const refreshLinked = async (number: number) => {
    const current = await improvements.get(workspace, number);
    for (const pebble of await improvements.linkedPebbles(workspace, current))
      await cards.refresh(workspace, pebble);
  };
  switch (command.kind) {
    case 'help':
      return say(improvementHelp(ctx.prefix));
    case 'settings':
      return say(noticeView(nudgeSettingsText(workspace.settings)));
    case 'list': {
      if (command.scope === 'mine') {
        const mine = await improvements.ownedBy(workspace, actor.userId);
        return say(improvementListView(mine, mine.length, 'Your journey improvements'));
      }
      const page = await improvements.list(
        workspace,
        command.scope === 'all' ? {} : { status: ['planned', 'on-track', 'at-risk', 'blocked'] },
        { sort: { field: 'number', direction: 'desc' }, limit: 20 },
      );
      return say(improvementListView(page.items, page.total));
    }
    case 'show':
      return say(
        improvementView(await improvements.get(workspace, command.number), {
          viewerId: actor.userId,
        }),
      );
    case 'assign': {
      const lead = await withRole(ctx);
      await improvements.assertLead(workspace, lead, 'assign an improvement');
      const before = await improvements.get(workspace, command.number);
      // The owner's time zone (nudges follow it) and name, from their profile.
      const owner = await ctx.resolve?.user?.(command.ownerId).catch(() => undefined);
      const ownerName = owner?.name ?? command.ownerName;
      const assigned = await improvements.assign(workspace, lead, command.number, {
        ownerId: command.ownerId,
        promisedDate: command.date,
        ...(owner?.tz ? { ownerTimezone: owner.tz } : {}),
        ...(ownerName ? { ownerName } : {}),
      });
      // Only a reassignment has someone to tell that their promise is withdrawn.
      const previous =
        before.ownerId && before.ownerId !== assigned.ownerId
          ? ` ${person(before.ownerId, before.ownerName)} is told their promise for it is withdrawn.`
          : '';
      return say(
        noticeView(
          `:incoming_envelope: Asked ${person(command.ownerId, assigned.ownerName)} to own *${iref(assigned.number)}* ${assigned.title} by *${dayText(command.date)}*. They got a direct message to accept, propose another date or decline.${previous}`,
        ),
      );
    }
    case 'update': {
      const { user } = await asOwnerOr(command.number);
      if (command.status === 'done') {
        const result = await improvements.complete(workspace, user, command.number, command.note);
        for (const pebble of result.pebbles) await cards.refresh(workspace, pebble);
        return say(doneNotice(result.improvement.number, result.improvement.title, result.asked));
      }
      if (command.status === 'dropped') {
        if (!command.note)
          throw usage(`Say why it is dropped: ${q('improvement update I-3 dropped "why"')}.`);
        const dropped = await improvements.drop(workspace, user, command.number, command.note);
        await refreshLinked(dropped.number);
        return say(
          noticeView(`*${iref(dropped.number)}* is dropped; its pebbles are back in triage.`),
        );
      }
      const updated = await improvements.checkIn(
        workspace,
        user,
        command.number,
        command.status,
        command.note,
      );
      await refreshLinked(updated.number);
      return say(
        noticeView(
          `:white_check_mark: *${iref(updated.number)}* is now *${IMPROVEMENT_STATUS_LABELS[updated.status]}*${command.note ? `: ${command.note}` : ''}.`,
        ),
      );
    }
    case 'date': {
      const { current, user } = await asOwnerOr(command.number);
      const moved = await improvements.changeDate(
        workspace,
        user,
        command.number,
        command.date,
        command.note,
      );
      return say(
        noticeView(
          `:calendar: *${iref(moved.number)}* is now promised for *${moved.promisedDate}*; ${current.promisedDate} stays in the ledger as a broken promise.`,
        ),
      );
    }
    case 'new': {
      const lead = await withRole(ctx);
      const created = await improvements.createFromPebbles(workspace, lead, {
        title: command.title,
        pebbleNumbers: command.pebbles,
      });
      return say(
        noticeView(
          `:seedling: *${iref(created.number)}* ${created.title} is planned for ${command.pebbles.map(shortId).join(', ')}. Give it an owner: ${q(`improvement assign ${iref(created.number)} @owner YYYY-MM-DD`)}.`,
        ),
      );
    }
    case 'sponsor': {
      const admin = await withRole(ctx);
      await workspaces.updateSettings(workspace, admin, { sponsor: command.userId ?? undefined });
      ctx.resolve?.forgetWorkspace?.();
      return say(
        noticeView(
          command.userId
            ? ':white_check_mark: Overdue and blocked improvements now escalate to the new executive sponsor.'
            : 'No executive sponsor: escalations are not sent.',
        ),
      );
    }
    case 'accept': {
      const accepted = await improvements.accept(
        workspace,
        actor,
        command.number,
        command.date ? { promisedDate: command.date } : {},
      );
      await refreshLinked(accepted.number);
      return say(
        withNotice(
          `:handshake: You promised *${iref(accepted.number)}* for *${accepted.promisedDate}*. I will check in with you; the buttons below update everyone.`,
          improvementView(accepted, { viewerId: actor.userId }),
        ),
      );
    }
    case 'decline': {
      const declined = await improvements.decline(workspace, actor, command.number, command.reason);
      return say(noticeView(`You declined *${iref(declined.number)}*; whoever asked you is told.`));
    }
    case 'snooze': {
      const { user } = await asOwnerOr(command.number);
      const result = await improvements.snooze(workspace, user, command.number, command.period);
      return say(
        noticeView(
          `:zzz: No reminders about *${iref(command.number)}* until ${result.until.toISOString().slice(0, 16).replace('T', ' ')} UTC${result.capped ? ', its promised date: a snooze cannot push past it' : ''}.`,
        ),
      );
    }
    case 'fixed': {
      const result = await improvements.answerFix(workspace, actor, command.number, command.answer);
      if (result.reopened) await cards.refresh(workspace, result.reopened);
      return say(noticeView(fixAnswerText(command.number, command.answer, result)));
    }
  }
}
