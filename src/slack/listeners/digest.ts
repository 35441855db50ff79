import { IANAZone } from 'luxon';
import {
  DigestSettingsSchema,
  parseWeekday,
  weekdayName,
  type DigestSettings,
} from '../../core/digest/digest-settings.js';
import { PebbleError } from '../../core/shared/errors.js';
import type { WorkspaceSettings } from '../../core/workspaces/workspace.model.js';
import { ACTIONS } from '../../views/actions.js';
import { digestScheduleText, digestSettingsView, digestView } from '../../views/digest.view.js';
import type { MessageView } from '../../views/message.view.js';
import { noticeView } from '../../views/pebble.view.js';
import { pebbleContext, type PebbleContext } from '../context.js';
import type { Answer } from '../follow-up.js';
import type { ActionArgs, Registrar, SlackDeps } from './registry.js';
import { channel } from '../../views/tokens.js';

const usage = (message: string) => new PebbleError('COMMAND.USAGE', message);

const CHANNEL = /^<#([CG][A-Z0-9]+)(?:\|([^>]*))?>$/;
const USERS = /<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g;
const TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/;

/** What `/pebble config digest …` asks for. */
export type DigestConfigCommand =
  | { kind: 'show' }
  | {
      kind: 'patch';
      patch: Partial<DigestSettings>;
      timezone?: string;
      /** A channel to join first (named as the admin typed it). */
      join?: { id: string; name: string };
    };

function time(text: string): string {
  const match = TIME.exec(text);
  if (!match) throw usage(`"${text}" is not a time: write it like 09:00 or 16:30.`);
  return `${match[1]!.padStart(2, '0')}:${match[2]}`;
}

function day(text: string): number {
  const parsed = parseWeekday(text);
  if (parsed === undefined) throw usage(`"${text}" is not a day of the week: try monday or fri.`);
  return parsed;
}

/**
 * Parses the text after `/pebble config digest`. Pure: throws COMMAND.USAGE with a hint.
 * One setting per command: `channel #c|off`, `leaders @a @b|none`, `day fri`, `time 16:30`,
 * `friday 16:30`, `timezone Europe/Berlin`, `on`, `off`.
 */
export function parseDigestConfig(raw: string): DigestConfigCommand {
  const text = raw.trim();
  const [first = '', ...rest] = text.split(/\s+/);
  const arg = rest.join(' ');
  switch (first.toLowerCase()) {
    case '':
    case 'show':
      return { kind: 'show' };
    case 'on':
    case 'off':
      if (rest.length) break;
      return { kind: 'patch', patch: { enabled: first.toLowerCase() === 'on' } };
    case 'channel': {
      if (/^(off|none)$/i.test(arg)) return { kind: 'patch', patch: { channel: undefined } };
      const match = CHANNEL.exec(arg);
      if (!match)
        throw usage('Pick the channel with #, e.g. `/pebble config digest channel #leaders`.');
      return {
        kind: 'patch',
        patch: { channel: match[1]! },
        join: { id: match[1]!, name: match[2] || match[1]! },
      };
    }
    case 'leaders':
    case 'leader':
    case 'dm': {
      const ids = [...arg.matchAll(USERS)].map((m) => m[1]!);
      if (!ids.length && !/^none$/i.test(arg))
        throw usage('Usage: `/pebble config digest leaders @ana @ben` (or `none`).');
      return { kind: 'patch', patch: { leaders: [...new Set(ids)] } };
    }
    case 'day':
      return { kind: 'patch', patch: { day: day(arg) } };
    case 'time':
    case 'at':
      return { kind: 'patch', patch: { time: time(arg) } };
    case 'timezone':
    case 'tz': {
      if (!IANAZone.isValidZone(arg))
        throw usage(
          `"${arg}" is not a time zone: write it like Europe/Berlin or America/New_York.`,
        );
      return { kind: 'patch', patch: {}, timezone: arg };
    }
    default: {
      // `friday 16:30`, `monday at 9:00`.
      const weekday = parseWeekday(first);
      const at = rest.filter((t) => t.toLowerCase() !== 'at');
      if (weekday !== undefined && at.length <= 1)
        return {
          kind: 'patch',
          patch: { day: weekday, ...(at[0] ? { time: time(at[0]) } : {}) },
        };
    }
  }
  throw usage(
    `I can set the digest's \`channel\`, \`leaders\`, \`day\`, \`time\`, \`timezone\`, or turn it \`on\`/\`off\`, not "${text}".`,
  );
}

/** What changed, in one sentence. */
function changedText(before: WorkspaceSettings, after: WorkspaceSettings): string {
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

/** `/pebble config digest …` (admins). */
export async function handleDigestConfig(
  deps: SlackDeps,
  ctx: PebbleContext,
  text: string,
  answer: Answer,
): Promise<void> {
  const command = parseDigestConfig(text);
  const user = ctx.user;
  const { workspaces } = deps.services;
  await workspaces.requireAdmin(ctx.workspace, user, 'change the digest');
  if (command.kind === 'show')
    return deps.followUp.say(answer, digestSettingsView(ctx.workspace.settings, deps.command));
  const digest = DigestSettingsSchema.parse({ ...ctx.workspace.settings.digest, ...command.patch });
  if ('channel' in command.patch && command.patch.channel === undefined) delete digest.channel;
  const joined = command.join ? await deps.gateway.join(command.join.id) : true;
  const updated = await workspaces.updateSettings(ctx.workspace, user, {
    digest,
    ...(command.timezone ? { timezone: command.timezone } : {}),
  });
  ctx.forgetWorkspace();
  const note =
    command.join && !joined
      ? ` It is a private channel: invite me there with \`/invite @Pebblebot\`.`
      : '';
  await deps.followUp.say(
    answer,
    noticeView(
      `:white_check_mark: ${changedText(ctx.workspace.settings, updated.settings)}${note}\n${digestScheduleText(updated.settings)}`,
    ),
  );
}

/** This week's digest so far, as only the asker sees it (the chart as numbers). */
export async function digestPreviewView(deps: SlackDeps, ctx: PebbleContext): Promise<MessageView> {
  const preview = await deps.services.digest.preview(ctx.workspace);
  return digestView(preview, { chart: 'fallback', preview: true });
}

/** `/pebble digest`: the running week's digest, privately, without posting it. */
export async function handleDigestPreview(
  deps: SlackDeps,
  ctx: PebbleContext,
  answer: Answer,
): Promise<void> {
  await deps.followUp.say(answer, await digestPreviewView(deps, ctx));
}

/** The Home tab's "Preview this week" (admins): the preview arrives by direct message. */
export function registerDigest(r: Registrar, deps: SlackDeps): void {
  r.action(ACTIONS.digestPreview, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    if (!(await ctx.firstDelivery())) return;
    const userId = (body as { user?: { id?: string } }).user?.id ?? ctx.user.userId;
    await deps.gateway.dm(userId, await digestPreviewView(deps, ctx));
  });
}
