import type { CatalogOp } from '../core/workspaces/catalog.js';
import type { NudgeSettings, WorkspaceSettings } from '../core/workspaces/workspace.model.js';
import { PebbleError } from '../core/shared/errors.js';
import type { MessageView } from '../core/ports/message-view.port.js';
import { noticeView } from '../views/pebble.view.js';
import { catalogText, nudgesSummary } from '../views/settings.view.js';
import { channel, plainText } from '../views/tokens.js';
import { FORMS, type FormId } from '../views/form.view.js';
import { apiTokenCreatedView } from '../views/governance.view.js';
import {
  reply,
  withRole,
  type ConversationContext,
  type ConversationDeps,
  type Output,
} from './context.js';
import { after, words } from './words.js';

/** Settings typed after `config`: the time zone, owner nudges and the journeys catalog. */
export type SettingsCommand =
  | { kind: 'timezone'; zone: string }
  | { kind: 'nudges-show' }
  | { kind: 'nudges'; patch: Partial<NudgeSettings> }
  | { kind: 'stages-show' }
  | { kind: 'catalog'; op: CatalogOp };

type Quote = (text: string) => string;
const usage = (message: string) => new PebbleError('COMMAND.USAGE', message);
const TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/;

function clock(text: string, example: string): string {
  const match = TIME.exec(text.trim());
  if (!match) throw usage(`"${text}" is not a time: write it like 19:00, e.g. ${example}.`);
  return `${match[1]!.padStart(2, '0')}:${match[2]}`;
}

function whole(value: string | undefined, what: string, min: number, max: number): number {
  const n = Number(value);
  if (!value || !Number.isInteger(n) || n < min || n > max)
    throw usage(`${what}: a whole number from ${min} to ${max}.`);
  return n;
}

/** `config nudges …`: one setting per command. */
function parseNudges(value: string, q: Quote): SettingsCommand {
  const [sub = '', ...rest] = words(value);
  const arg = rest.join(' ');
  switch (sub.toLowerCase()) {
    case '':
    case 'show':
      return { kind: 'nudges-show' };
    case 'every':
      return {
        kind: 'nudges',
        patch: { checkInEveryDays: whole(rest[0], 'Days between check-in nudges', 1, 30) },
      };
    case 'daily':
      return {
        kind: 'nudges',
        patch: {
          dailyFromDaysBefore: whole(rest[0], 'Daily nudges from days before the date', 0, 30),
        },
      };
    case 'quiet': {
      const example = q('config nudges quiet 19:00 to 08:00');
      const [start = '', end = ''] = arg.split(/\s*(?:-|–|to)\s*/);
      if (!start || !end) throw usage(`Give the quiet hours as start-end: ${example}.`);
      return {
        kind: 'nudges',
        patch: { quietStart: clock(start, example), quietEnd: clock(end, example) },
      };
    }
    case 'weekends':
    case 'weekend': {
      const v = arg.toLowerCase();
      if (v === 'off' || v === 'skip') return { kind: 'nudges', patch: { skipWeekends: true } };
      if (v === 'on') return { kind: 'nudges', patch: { skipWeekends: false } };
      throw usage(
        `Say ${q('config nudges weekends off')} (no nudges on Saturdays and Sundays) or \`on\`.`,
      );
    }
    case 'escalate':
      return {
        kind: 'nudges',
        patch: { escalateAfterDays: whole(rest[0], 'Days before an escalation', 1, 90) },
      };
  }
  throw usage(
    `I can set the nudges' \`every 7\`, \`daily 3\`, \`quiet 19:00 to 08:00\`, \`weekends off|on\` or \`escalate 3\`, not "${plainText(sub)}".`,
  );
}

/** `config stage …` and `config journey …`: one change of the catalog. */
function parseCatalog(key: 'stage' | 'journey', value: string, q: Quote): SettingsCommand {
  const [sub = '', ...rest] = words(value);
  const arg = plainText(after(value, 1)).trim();
  const renamed = /^(.+?)\s+to\s+(.+)$/i.exec(arg);
  if (key === 'journey') {
    switch (sub.toLowerCase()) {
      case 'add': {
        const match = /^([^:]+):(.+)$/.exec(arg);
        const stages = (match?.[2] ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        if (!match || !stages.length)
          throw usage(
            `Name the journey and its stages: ${q('config journey add Partner journey: Sign up, Integrate, Sell')}.`,
          );
        return { kind: 'catalog', op: { op: 'add-journey', name: match[1]!.trim(), stages } };
      }
      case 'rename':
        if (!renamed)
          throw usage(`Usage: ${q('config journey rename customer to Client journey')}.`);
        return {
          kind: 'catalog',
          op: { op: 'rename-journey', journey: renamed[1]!, name: renamed[2]! },
        };
    }
    throw usage(
      `Try ${q('config journey add <name>: <stage>, <stage>')} or ${q('config journey rename <journey> to <name>')}.`,
    );
  }
  switch (sub.toLowerCase()) {
    case 'add': {
      const match = /^(.+?)(?:\s+in\s+(.+?))?(?:\s+after\s+(.+))?$/i.exec(arg);
      if (!match?.[1])
        throw usage(`Name the stage: ${q('config stage add Cancel after renew-or-leave')}.`);
      return {
        kind: 'catalog',
        op: {
          op: 'add-stage',
          name: match[1].trim(),
          ...(match[2] ? { journey: match[2].trim() } : {}),
          ...(match[3] ? { after: match[3].trim() } : {}),
        },
      };
    }
    case 'rename':
      if (!renamed) throw usage(`Usage: ${q('config stage rename get-help to Ask for help')}.`);
      return {
        kind: 'catalog',
        op: { op: 'rename-stage', stage: renamed[1]!, name: renamed[2]! },
      };
    case 'move': {
      const match = /^(.+?)\s+(?:to\s+)?(\d+)$/i.exec(arg);
      if (!match) throw usage(`Say where: ${q('config stage move renew-or-leave to 2')}.`);
      return {
        kind: 'catalog',
        op: {
          op: 'move-stage',
          stage: match[1]!,
          position: whole(match[2], 'The position', 1, 25),
        },
      };
    }
    case 'retire':
    case 'restore':
      if (!rest.length)
        throw usage(`Say which stage: ${q(`config stage ${sub.toLowerCase()} buy`)}.`);
      return {
        kind: 'catalog',
        op: { op: sub.toLowerCase() === 'retire' ? 'retire-stage' : 'restore-stage', stage: arg },
      };
  }
  throw usage(
    `Try ${q('config stage add <name> [after <stage>]')}, \`rename <stage> to <name>\`, \`move <stage> to 2\`, \`retire <stage>\` or \`restore <stage>\`.`,
  );
}

/** The settings after `config` this file owns; undefined when the key is another's. */
export function parseSettingsConfig(
  key: string,
  value: string,
  q: Quote,
): SettingsCommand | undefined {
  switch (key) {
    case 'timezone':
    case 'tz': {
      const zone = plainText(value).trim();
      if (!zone) throw usage(`Name the time zone: ${q('config timezone Europe/Berlin')}.`);
      return { kind: 'timezone', zone };
    }
    case 'nudges':
    case 'nudge':
      return parseNudges(value, q);
    case 'stages':
    case 'journeys':
      if (value.trim()) break;
      return { kind: 'stages-show' };
    case 'stage':
    case 'journey':
      return parseCatalog(key, value, q);
  }
  return undefined;
}

const NUDGE_USAGE = (q: Quote) =>
  `Change with ${q('config nudges every 7')}, \`daily 3\`, \`quiet 19:00 to 08:00\`, \`weekends off\` (or \`on\`), \`escalate 3\`.`;

const STAGE_USAGE = (q: Quote) =>
  `Change with ${q('config stage add <name> [after <stage>]')}, \`rename <stage> to <name>\`, \`move <stage> to 2\`, \`retire <stage>\`, \`restore <stage>\`, or ${q('config journey add <name>: <stage>, <stage>')}.`;

/** Runs a settings command; the workspace service checks the admin role and validates. */
export async function runSettings(
  deps: ConversationDeps,
  ctx: ConversationContext,
  command: SettingsCommand,
  q: Quote,
): Promise<Output[]> {
  const { workspaces } = deps.services;
  const { workspace } = ctx;
  const say = (view: MessageView) => [reply(view)];
  const user = await withRole(ctx);
  const changed = () => ctx.resolve?.forgetWorkspace?.();
  switch (command.kind) {
    case 'timezone': {
      const updated = await workspaces.setTimezone(workspace, user, command.zone);
      changed();
      return say(
        noticeView(
          `:white_check_mark: The workspace time zone is ${updated.settings.timezone}: the digest's schedule and council deadlines follow it.`,
        ),
      );
    }
    case 'nudges-show':
      await workspaces.requireAdmin(workspace, user);
      return say(
        noticeView(`*Owner nudges* · ${nudgesSummary(workspace.settings)}\n${NUDGE_USAGE(q)}`),
      );
    case 'nudges': {
      const updated = await workspaces.updateSettings(workspace, user, {
        nudges: { ...workspace.settings.nudges, ...command.patch },
      });
      changed();
      return say(
        noticeView(`:white_check_mark: Owner nudges: ${nudgesSummary(updated.settings)}.`),
      );
    }
    case 'stages-show':
      await workspaces.requireAdmin(workspace, user);
      return say(noticeView(`${catalogText(workspace.settings)}\n${STAGE_USAGE(q)}`));
    case 'catalog': {
      const result = await workspaces.editCatalog(workspace, user, command.op);
      changed();
      return say(
        noticeView(
          `:white_check_mark: Done: ${result.summary}.\n${catalogText(result.workspace.settings)}`,
        ),
      );
    }
  }
}

/** The keys whose values differ: only those go into a change (and the audit log). */
export function changedOnly(
  current: WorkspaceSettings,
  patch: Partial<WorkspaceSettings>,
): Partial<WorkspaceSettings> {
  return Object.fromEntries(
    Object.entries(patch).filter(
      ([key, value]) =>
        JSON.stringify(current[key as keyof WorkspaceSettings] ?? null) !==
        JSON.stringify(value ?? null),
    ),
  );
}

/** Saves one App Home settings form (values validated in forms.ts); core checks the role. */
export async function runSettingsForm(
  deps: ConversationDeps,
  ctx: ConversationContext,
  formId: FormId,
  v: Record<string, unknown>,
): Promise<Output[]> {
  const { workspaces, governance } = deps.services;
  const user = await withRole(ctx);
  // The stored settings, not a cached copy, are what the change is compared with.
  const workspace = await workspaces.get(ctx.workspace.id);
  const current = workspace.settings;
  const say = (text: string) => [reply(noticeView(text))];
  const save = async (patch: Partial<WorkspaceSettings>, done: string) => {
    await workspaces.requireAdmin(workspace, user);
    const changes = changedOnly(current, patch);
    if (!Object.keys(changes).length) return say('Nothing changed.');
    await workspaces.updateSettings(workspace, user, changes);
    ctx.resolve?.forgetWorkspace?.();
    return say(`:white_check_mark: ${done} (recorded in the audit log).`);
  };
  switch (formId) {
    case FORMS.settingsTriage: {
      const id = v.channel as string | undefined;
      const outputs = await save(
        // No channel clears one that was set; an unset one stays unset.
        {
          triageChannel: id ?? (current.triageChannel ? '' : undefined),
          reactionEmoji: v.emoji as string,
        },
        id
          ? `New pebbles go to ${channel(id)} as triage cards; reacting with :${String(v.emoji)}: reports a message`
          : `No triage channel; reacting with :${String(v.emoji)}: reports a message`,
      );
      if (id && current.triageChannel !== id && (await ctx.resolve?.join?.(id)) === false)
        outputs.push(reply(noticeView('The triage channel is private: invite me there first.')));
      return outputs;
    }
    case FORMS.settingsStages: {
      const action = v.action as 'add' | 'rename' | 'move' | 'retire' | 'restore';
      const stage = v.stage as string | undefined;
      const name = v.name as string | undefined;
      const op: CatalogOp =
        action === 'add'
          ? {
              op: 'add-stage',
              name: name ?? '',
              ...(stage ? { after: stage } : v.journey ? { journey: v.journey as string } : {}),
            }
          : action === 'rename'
            ? { op: 'rename-stage', stage: stage ?? '', name: name ?? '' }
            : action === 'move'
              ? { op: 'move-stage', stage: stage ?? '', position: v.position as number }
              : { op: action === 'retire' ? 'retire-stage' : 'restore-stage', stage: stage ?? '' };
      const result = await workspaces.editCatalog(workspace, user, op);
      ctx.resolve?.forgetWorkspace?.();
      return say(`:white_check_mark: Done: ${result.summary} (recorded in the audit log).`);
    }
    case FORMS.settingsNudges:
      return save(
        {
          nudges: {
            ...current.nudges,
            checkInEveryDays: v.every as number,
            dailyFromDaysBefore: v.daily as number,
            quietStart: v.quietStart as string,
            quietEnd: v.quietEnd as string,
            skipWeekends: v.weekends as boolean,
            escalateAfterDays: v.escalate as number,
          },
        },
        'Owner nudges saved',
      );
    case FORMS.settingsDigest: {
      const { channel: _old, ...rest } = current.digest;
      void _old;
      const id = v.channel as string | undefined;
      const outputs = await save(
        {
          digest: {
            ...rest,
            enabled: v.enabled as boolean,
            day: v.day as number,
            time: v.time as string,
            ...(id ? { channel: id } : {}),
            leaders: [...new Set(v.leaders as string[])],
          },
        },
        'Weekly digest saved',
      );
      if (id && current.digest.channel !== id && (await ctx.resolve?.join?.(id)) === false)
        outputs.push(reply(noticeView('The digest channel is private: invite me there first.')));
      return outputs;
    }
    case FORMS.settingsWorkspace: {
      const days = v.retention as number | null;
      return save(
        {
          timezone: v.timezone as string,
          retentionDays: days ?? undefined,
          admins: [...new Set(v.admins as string[])],
        },
        'Workspace settings saved',
      );
    }
    case FORMS.apiTokenCreate: {
      const { token, record } = await governance.createApiToken(workspace, user, v.name as string);
      return [reply(apiTokenCreatedView(token, record))];
    }
  }
  throw new PebbleError('COMMAND.UNKNOWN', `I do not know the form "${formId}".`);
}
