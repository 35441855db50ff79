import type { types, webApi } from '@slack/bolt';
import { z } from 'zod';
import { COUNCIL_MEMBERS_MAX } from '../core/council/council.model.js';
import type { CouncilDirectory } from '../core/council/council.notices.js';
import type { CouncilPatch } from '../core/council/council.service.js';
import type { WorkspaceSettings } from '../core/workspaces/workspace.model.js';
import { plain, slackPlain } from './render-blocks.js';

export const COUNCIL_SETTINGS_VIEW = 'council_settings';

// NOTE: a modal title, submit and close label hold 24 characters; a label 2,000.
// Every plain_text goes through the renderer: view tokens read as names.
const text = (t: string, max = 24): types.PlainTextElement => plain(t, max);

function numberInput(
  block: string,
  label: string,
  hint: string,
  value: number | undefined,
  range: { min: number; max: number },
  optional = false,
): types.InputBlock {
  return {
    type: 'input',
    block_id: block,
    optional,
    label: text(label, 2_000),
    hint: text(hint, 2_000),
    element: {
      type: 'number_input',
      action_id: 'v',
      is_decimal_allowed: false,
      min_value: String(range.min),
      max_value: String(range.max),
      ...(value !== undefined ? { initial_value: String(value) } : {}),
    },
  };
}

/**
 * The council settings form of the Home tab (admins): members, channel, sponsor and the voting
 * rules in one place. Functions are set per member with `/pebble config council function`.
 */
export function councilSettingsModal(settings: WorkspaceSettings): types.ModalView {
  const council = settings.council;
  const secretOptions: types.PlainTextOption[] = [
    { text: text('Secret: nobody sees who chose what', 75), value: 'secret' },
    { text: text('Open: names shown after the close', 75), value: 'open' },
  ];
  const cycleOptions: types.PlainTextOption[] = [
    { text: text('Monthly (first working day)', 75), value: 'month' },
    { text: text('Weekly (Mondays)', 75), value: 'week' },
  ];
  const blocks: types.KnownBlock[] = [
    {
      type: 'input',
      block_id: 'members',
      optional: true,
      label: text('Council members', 2_000),
      hint: text(
        council.userGroup
          ? `Kept in sync with the user group ${council.userGroup.handle ?? council.userGroup.id}; changes here are replaced at the next sync.`
          : 'Everyone who votes. Give members a function with `/pebble config council function @name Product`.',
        2_000,
      ),
      element: {
        type: 'multi_users_select',
        action_id: 'v',
        ...(council.members.length
          ? { initial_users: council.members.slice(0, 100).map((m) => m.userId) }
          : {}),
      },
    },
    {
      type: 'input',
      block_id: 'channel',
      optional: true,
      label: text('Council channel', 2_000),
      element: {
        type: 'conversations_select',
        action_id: 'v',
        filter: { include: ['public', 'private'], exclude_bot_users: true },
        ...(council.channel ? { initial_conversation: council.channel } : {}),
      },
    },
    {
      type: 'input',
      block_id: 'sponsor',
      optional: true,
      label: text('Executive sponsor (decides escalated votes)', 2_000),
      element: {
        type: 'users_select',
        action_id: 'v',
        ...(settings.sponsor ? { initial_user: settings.sponsor } : {}),
      },
    },
    numberInput(
      'window',
      'Voting window (working days)',
      'Monday to Friday in the workspace time zone.',
      council.votingDays,
      { min: 1, max: 20 },
    ),
    numberInput(
      'quorum',
      'Quorum (ballots)',
      'Empty: half the members who do not recuse, rounded up.',
      council.quorum,
      { min: 1, max: COUNCIL_MEMBERS_MAX },
      true,
    ),
    numberInput(
      'threshold',
      'Threshold (% of ballots cast)',
      '50 is a simple majority (more than half); 100 is unanimous.',
      council.threshold,
      { min: 50, max: 100 },
    ),
    numberInput(
      'balance',
      'Balance (functions)',
      'Empty: off. Otherwise ballots from at least this many functions.',
      council.balance,
      { min: 2, max: 50 },
      true,
    ),
    {
      type: 'input',
      block_id: 'ballots',
      label: text('Ballots', 2_000),
      element: {
        type: 'radio_buttons',
        action_id: 'v',
        options: secretOptions,
        initial_option: council.secret ? secretOptions[0]! : secretOptions[1]!,
      },
    },
    numberInput(
      'wip',
      'WIP limit (active improvements)',
      '"Fix now" above it asks the council what to displace.',
      council.wipLimit,
      { min: 1, max: 100 },
    ),
    {
      type: 'input',
      block_id: 'cycle',
      label: text('Cycle ("Next cycle" comes back then)', 2_000),
      element: {
        type: 'static_select',
        action_id: 'v',
        options: cycleOptions,
        initial_option: council.cycle === 'week' ? cycleOptions[1]! : cycleOptions[0]!,
      },
    },
  ];
  return {
    type: 'modal',
    callback_id: COUNCIL_SETTINGS_VIEW,
    title: text('CX council'),
    submit: text('Save'),
    close: text('Cancel'),
    blocks,
  };
}

const Value = z.looseObject({ value: z.string().nullish() });
const StateSchema = z.looseObject({
  members: z
    .looseObject({ v: z.looseObject({ selected_users: z.array(z.string()).nullish() }) })
    .optional(),
  channel: z
    .looseObject({ v: z.looseObject({ selected_conversation: z.string().nullish() }) })
    .optional(),
  sponsor: z.looseObject({ v: z.looseObject({ selected_user: z.string().nullish() }) }).optional(),
  window: z.looseObject({ v: Value }).optional(),
  quorum: z.looseObject({ v: Value }).optional(),
  threshold: z.looseObject({ v: Value }).optional(),
  balance: z.looseObject({ v: Value }).optional(),
  ballots: z
    .looseObject({
      v: z.looseObject({ selected_option: z.looseObject({ value: z.string() }).nullish() }),
    })
    .optional(),
  wip: z.looseObject({ v: Value }).optional(),
  cycle: z
    .looseObject({
      v: z.looseObject({ selected_option: z.looseObject({ value: z.string() }).nullish() }),
    })
    .optional(),
});

export type CouncilForm =
  | { ok: true; patch: CouncilPatch; memberIds: string[] }
  | { ok: false; errors: Record<string, string> };

/** Reads the submitted form into a settings patch, or the errors to show in it. */
export function parseCouncilForm(view: { state?: { values?: unknown } }): CouncilForm {
  const parsed = StateSchema.safeParse(view.state?.values ?? {});
  if (!parsed.success)
    return { ok: false, errors: { members: 'The form came back unreadable; try again.' } };
  const s = parsed.data;
  const errors: Record<string, string> = {};
  const int = (block: string, raw: string | null | undefined, min: number, max: number) => {
    if (raw === undefined || raw === null || raw.trim() === '') return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      errors[block] = `A whole number from ${min} to ${max}.`;
      return undefined;
    }
    return n;
  };
  const votingDays = int('window', s.window?.v.value, 1, 20);
  const quorum = int('quorum', s.quorum?.v.value, 1, COUNCIL_MEMBERS_MAX);
  const threshold = int('threshold', s.threshold?.v.value, 50, 100);
  const balance = int('balance', s.balance?.v.value, 2, 50);
  const wipLimit = int('wip', s.wip?.v.value, 1, 100);
  const memberIds = [...new Set(s.members?.v.selected_users ?? [])];
  if (memberIds.length > COUNCIL_MEMBERS_MAX)
    errors.members = `At most ${COUNCIL_MEMBERS_MAX} members.`;
  if (Object.keys(errors).length) return { ok: false, errors };
  const secret = s.ballots?.v.selected_option?.value;
  const cycle = s.cycle?.v.selected_option?.value;
  const patch: CouncilPatch = {
    channel: s.channel?.v.selected_conversation ?? null,
    sponsor: s.sponsor?.v.selected_user ?? null,
    quorum: quorum ?? null,
    balance: balance ?? null,
    ...(votingDays !== undefined ? { votingDays } : {}),
    ...(threshold !== undefined ? { threshold } : {}),
    ...(wipLimit !== undefined ? { wipLimit } : {}),
    ...(secret === 'secret' || secret === 'open' ? { secret: secret === 'secret' } : {}),
    ...(cycle === 'week' || cycle === 'month' ? { cycle } : {}),
  };
  return { ok: true, patch, memberIds };
}

const GroupUsersSchema = z.looseObject({ users: z.array(z.string()).default([]) });
const UserSchema = z.looseObject({
  user: z.looseObject({
    name: z.string().optional(),
    real_name: z.string().optional(),
    profile: z.looseObject({ display_name: z.string().optional() }).optional(),
  }),
});
// NOTE: users.info is Tier 4 (100+ per minute): names are looked up for the first 50 members;
// the others show as ids until they are named another way.
const NAMES_LOOKED_UP = 50;

/** Slack user groups, for councils kept in sync with one (usergroups.users.list). */
export class SlackCouncilDirectory implements CouncilDirectory {
  constructor(private readonly client: webApi.WebClient) {}

  async groupMembers(groupId: string): Promise<{ userId: string; name?: string }[]> {
    const { users } = GroupUsersSchema.parse(
      await this.client.usergroups.users.list({ usergroup: groupId }),
    );
    return Promise.all(
      users.map(async (userId, i) => {
        if (i >= NAMES_LOOKED_UP) return { userId };
        try {
          const { user } = UserSchema.parse(await this.client.users.info({ user: userId }));
          const name = user.profile?.display_name || user.real_name || user.name;
          return name ? { userId, name } : { userId };
        } catch {
          return { userId };
        }
      }),
    );
  }
}

export const COUNCIL_REASON_VIEW = 'council_reason';

/** The form for the council's reason of a "Not now" decision. */
export function councilReasonModal(voteNumber: number, current?: string): types.ModalView {
  return {
    type: 'modal',
    callback_id: COUNCIL_REASON_VIEW,
    private_metadata: JSON.stringify({ v: voteNumber }),
    title: text('Why not now?'),
    submit: text('Send'),
    close: text('Cancel'),
    blocks: [
      {
        type: 'input',
        block_id: 'reason',
        label: text(`The council's reason (vote V-${voteNumber})`, 2_000),
        hint: text('The reporters and supporters of the pebbles receive it.', 2_000),
        element: {
          type: 'plain_text_input',
          action_id: 'v',
          multiline: true,
          max_length: 500,
          ...(current ? { initial_value: slackPlain(current, 500) } : {}),
        },
      },
    ],
  };
}

const ReasonForm = z.object({
  meta: z.object({ v: z.number().int().positive() }),
  reason: z.string().trim().min(1).max(500),
});

/** Reads the reason form; errors to show in it otherwise. */
export function parseReasonForm(view: {
  private_metadata?: string;
  state?: { values?: unknown };
}): { ok: true; vote: number; reason: string } | { ok: false; errors: Record<string, string> } {
  let meta: unknown;
  try {
    meta = JSON.parse(view.private_metadata ?? '');
  } catch {
    meta = undefined;
  }
  const values = z
    .looseObject({ reason: z.looseObject({ v: z.looseObject({ value: z.string().nullish() }) }) })
    .safeParse(view.state?.values ?? {});
  const parsed = ReasonForm.safeParse({
    meta,
    reason: values.success ? (values.data.reason.v.value ?? '') : '',
  });
  if (!parsed.success)
    return { ok: false, errors: { reason: 'Say why, in 500 characters at most.' } };
  return { ok: true, vote: parsed.data.meta.v, reason: parsed.data.reason };
}
