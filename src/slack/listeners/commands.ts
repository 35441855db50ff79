import { z } from 'zod';
import { parseListFilter } from '../../core/pebbles/list-filter.js';
import { parsePebbleRef } from '../../core/pebbles/pebble.model.js';
import { PebbleError } from '../../core/shared/errors.js';
import type { WorkspaceSettings } from '../../core/workspaces/workspace.model.js';
import { helpView } from '../../views/help.view.js';
import type { MessageView } from '../../views/message.view.js';
import { noticeView, pebbleListView, pebbleView } from '../../views/pebble.view.js';
import { supportNoticeText } from '../../views/report.view.js';
import { pebbleContext, type PebbleContext } from '../context.js';
import type { Answer } from '../follow-up.js';
import { reportModal } from '../report-modal.js';
import { slackToPlain } from '../slack-text.js';
import { ackAfter } from './ack-after.js';
import { handleImprovementCommand, isImprovementCommand } from './improvements.js';
import { handleCouncilCommand, handleCouncilConfig, isCouncilCommand } from './council.js';
import { handleDigestConfig, handleDigestPreview } from './digest.js';
import type { CommandArgs, Registrar, SlackDeps } from './registry.js';
import { channel } from '../../views/tokens.js';

export const SLASH_COMMAND = '/pebble';
/** Pebbles per page of a list; with header, range, and buttons it stays far below 50 blocks. */
export const PAGE_SIZE = 10;

/** What `/pebble …` asks for. Anything that is not a sub-command is a report. */
export type PebbleCommand =
  | { kind: 'form' }
  | { kind: 'help' }
  | { kind: 'list'; filter: string }
  | { kind: 'mine' }
  | { kind: 'show'; number: number }
  | { kind: 'support'; number: number }
  | { kind: 'report'; text: string; anonymous: boolean }
  | { kind: 'config'; setting?: 'triage' | 'emoji' | 'admins'; value: string }
  | { kind: 'improvement'; text: string }
  | { kind: 'council'; text: string }
  | { kind: 'council-config'; text: string }
  | { kind: 'digest' }
  | { kind: 'digest-config'; text: string };

const usage = (message: string) => new PebbleError('COMMAND.USAGE', message);

/** Parses the text after `/pebble`. Pure: throws COMMAND.USAGE with a hint when malformed. */
export function parseCommand(raw: string): PebbleCommand {
  const text = raw.trim();
  if (!text) return { kind: 'form' };
  const [first = '', ...rest] = text.split(/\s+/);
  const arg = text.slice(first.length).trim();
  const word = first.toLowerCase();
  const alone = rest.length === 0;
  switch (word) {
    case 'help':
    case '?':
      if (alone) return { kind: 'help' };
      break;
    case 'list':
    case 'ls':
      // A filter is a word or three ("in council", "renew or leave"); more is a report.
      if (rest.length <= 3) return { kind: 'list', filter: slackToPlain(arg).slice(0, 100) };
      break;
    case 'mine':
      if (alone) return { kind: 'mine' };
      break;
    case 'show':
    case '+1':
    case 'support': {
      const number = rest.length === 1 && rest[0] ? parsePebbleRef(rest[0]) : undefined;
      if (number !== undefined) return { kind: word === 'show' ? 'show' : 'support', number };
      // "Support hold music is too long" is a report; "show xyz" and "+1" want a pebble id.
      if (word !== 'support' && rest.length <= 1)
        throw usage(`Usage: \`${SLASH_COMMAND} ${word} P-12\``);
      break;
    }
    case 'anon':
    case 'anonymous':
      if (!arg) throw usage(`Usage: \`${SLASH_COMMAND} anon <what got in the way>\``);
      return { kind: 'report', text: arg, anonymous: true };
    case 'report':
      if (!arg) return { kind: 'form' };
      return { kind: 'report', text: arg, anonymous: false };
    case 'improvement':
    case 'improvements':
      if (isImprovementCommand(arg)) return { kind: 'improvement', text: arg };
      break;
    case 'digest':
      if (alone) return { kind: 'digest' };
      break;
    case 'council':
      if (isCouncilCommand(arg)) return { kind: 'council', text: arg };
      break;
    case 'config': {
      const [setting = '', ...values] = rest;
      const key = setting.toLowerCase();
      if (!key) return { kind: 'config', value: '' };
      if (key === 'council') return { kind: 'council-config', text: values.join(' ') };
      if (key === 'digest') return { kind: 'digest-config', text: values.join(' ') };
      if (key === 'triage' || key === 'emoji' || key === 'admins' || key === 'admin')
        return {
          kind: 'config',
          setting: key === 'admin' ? 'admins' : key,
          value: values.join(' '),
        };
      throw usage(
        `I can set \`triage #channel\`, \`emoji name\`, \`admins @person …\`, \`council …\` or \`digest …\`, not "${setting}".`,
      );
    }
  }
  return { kind: 'report', text, anonymous: false };
}

const ChannelRef = z.string().regex(/^<#([A-Z0-9]+)(?:\|([^>]*))?>$/);
const UserRefs = /<@([A-Z0-9]+)(?:\|[^>]*)?>/g;
const EmojiName = z
  .string()
  .transform((v) => v.replace(/^:|:$/g, '').toLowerCase())
  .pipe(z.string().regex(/^[a-z0-9_+'-]{1,100}$/));

/** A list page's button value: which list, its filter, and where the page starts. */
export const ListPageSchema = z.object({
  s: z.enum(['list', 'mine']),
  f: z.string().max(100).default(''),
  o: z.number().int().min(0).max(1_000_000),
});
export type ListPage = z.infer<typeof ListPageSchema>;

/** One page of `/pebble list …` or `/pebble mine`, with Previous / Next when there is more. */
export async function listPageView(
  deps: SlackDeps,
  ctx: PebbleContext,
  page: ListPage,
): Promise<MessageView> {
  const { pebbles } = deps.services;
  const pageValue = (offset: number) => JSON.stringify({ ...page, o: offset });
  if (page.s === 'mine') {
    const result = await pebbles.mine(ctx.workspace, ctx.user, {
      limit: PAGE_SIZE,
      offset: page.o,
    });
    return pebbleListView({ ...result, offset: page.o, limit: PAGE_SIZE }, ctx.workspace.settings, {
      title: 'Pebbles you reported',
      emptyText: `You have not reported any pebble yet. Try \`${SLASH_COMMAND} <what got in the way>\`.`,
      pageValue,
    });
  }
  const { filter, label } = parseListFilter(page.f, ctx.workspace.settings);
  const result = await pebbles.list(ctx.workspace, filter, { limit: PAGE_SIZE, offset: page.o });
  return pebbleListView({ ...result, offset: page.o, limit: PAGE_SIZE }, ctx.workspace.settings, {
    title: label,
    emptyText: `No pebbles here yet. Report one with \`${SLASH_COMMAND} <what got in the way>\`.`,
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

async function configure(
  deps: SlackDeps,
  ctx: PebbleContext,
  command: Extract<PebbleCommand, { kind: 'config' }>,
): Promise<MessageView> {
  const { workspaces } = deps.services;
  const user = ctx.user;
  // Settings, even the summary, are for admins.
  await workspaces.requireAdmin(ctx.workspace, user);
  const update = async (patch: Partial<WorkspaceSettings>) => {
    const updated = await workspaces.updateSettings(ctx.workspace, user, patch);
    ctx.forgetWorkspace();
    return updated;
  };
  switch (command.setting) {
    case undefined:
      return noticeView(settingsSummary(ctx.workspace.settings));
    case 'triage': {
      if (/^(off|none)$/i.test(command.value)) {
        await update({ triageChannel: '' });
        return noticeView('New pebbles will no longer be posted to a triage channel.');
      }
      const match = ChannelRef.safeParse(command.value);
      const id = match.success ? /^<#([A-Z0-9]+)/.exec(match.data)?.[1] : undefined;
      if (!id)
        throw usage(`Pick the channel with #, e.g. \`${SLASH_COMMAND} config triage #cx-triage\`.`);
      const name = /\|([^>]+)>$/.exec(command.value)?.[1] ?? id;
      const joined = await deps.gateway.join(id);
      await update({ triageChannel: id });
      return noticeView(
        `:white_check_mark: New pebbles will be posted to ${channel(id, name)} as triage cards.` +
          (joined ? '' : ' It is a private channel: invite me there with `/invite @Pebblebot`.'),
      );
    }
    case 'emoji': {
      const parsed = EmojiName.safeParse(command.value.trim());
      if (!parsed.success) throw usage(`Usage: \`${SLASH_COMMAND} config emoji rock\``);
      await update({ reactionEmoji: parsed.data });
      return noticeView(
        `:white_check_mark: Reacting with :${parsed.data}: now reports a message as a pebble.`,
      );
    }
    case 'admins': {
      const ids = [...command.value.matchAll(UserRefs)].map((m) => m[1] ?? '').filter(Boolean);
      if (!ids.length && !/^none$/i.test(command.value.trim()))
        throw usage(`Usage: \`${SLASH_COMMAND} config admins @ana @ben\` (or \`none\`).`);
      await update({ admins: [...new Set(ids)] });
      return noticeView(
        ids.length
          ? `:white_check_mark: ${ids.length} ${ids.length === 1 ? 'person' : 'people'} can now configure Pebblebot and triage, besides workspace admins.`
          : ':white_check_mark: Only workspace admins can configure Pebblebot and triage now.',
      );
    }
  }
}

/** `/pebble`: report, list, show, support, help and (admins) config. */
export function registerCommands(r: Registrar, deps: SlackDeps): void {
  r.command(SLASH_COMMAND, async ({ command, ack, context }: CommandArgs) => {
    const ctx = pebbleContext(context);
    let parsed: PebbleCommand;
    try {
      parsed = parseCommand(command.text);
    } catch (error) {
      await ack();
      throw error;
    }
    const answer: Answer = { responseUrl: command.response_url };
    const { pebbles } = deps.services;
    if (parsed.kind === 'report' || parsed.kind === 'support') {
      const change = parsed;
      const done = await ackAfter(ack, async () => {
        if (!(await ctx.firstDelivery())) return undefined;
        if (change.kind === 'support')
          return { support: await pebbles.support(ctx.workspace, ctx.user, change.number) };
        const report = await pebbles.report(
          ctx.workspace,
          ctx.user,
          { text: slackToPlain(change.text), anonymous: change.anonymous },
          { kind: 'slash', channelId: command.channel_id },
        );
        return { report };
      });
      if (done?.report) return deps.followUp.afterReport(ctx.workspace, done.report, answer);
      if (done?.support) {
        const result = done.support;
        await deps.followUp.say(
          answer,
          noticeView(
            supportNoticeText({
              ...result,
              ownPebble: result.pebble.reporter.userId === ctx.user.userId,
            }),
          ),
        );
        if (result.added) await deps.followUp.refreshCard(ctx.workspace, result.pebble);
      }
      return;
    }
    await ack();
    if (parsed.kind === 'form') {
      // NOTE: the trigger_id lives 3 s: the form opens before anything else happens.
      await deps.gateway.openView(
        command.trigger_id,
        reportModal(ctx.workspace.settings, { k: 'slash', c: command.channel_id }),
      );
      return;
    }
    if (!(await ctx.firstDelivery())) return;
    switch (parsed.kind) {
      case 'help':
        return deps.followUp.say(
          answer,
          helpView({
            command: SLASH_COMMAND,
            reactionEmoji: ctx.workspace.settings.reactionEmoji,
            botName: 'Pebblebot',
          }),
        );
      case 'list':
        return deps.followUp.say(
          answer,
          await listPageView(deps, ctx, { s: 'list', f: parsed.filter, o: 0 }),
        );
      case 'mine':
        return deps.followUp.say(answer, await listPageView(deps, ctx, { s: 'mine', f: '', o: 0 }));
      case 'show':
        return deps.followUp.say(
          answer,
          pebbleView(
            await pebbles.get(ctx.workspace, parsed.number),
            ctx.workspace.settings,
            ctx.user,
          ),
        );
      case 'config':
        return deps.followUp.say(answer, await configure(deps, ctx, parsed));
      case 'improvement':
        return handleImprovementCommand(deps, ctx, parsed.text, answer);
      case 'council':
        return handleCouncilCommand(deps, ctx, parsed.text, answer);
      case 'council-config':
        return handleCouncilConfig(deps, ctx, parsed.text, answer);
      case 'digest':
        return handleDigestPreview(deps, ctx, answer);
      case 'digest-config':
        return handleDigestConfig(deps, ctx, parsed.text, answer);
    }
  });
}
