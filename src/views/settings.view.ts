import { WEEKDAYS, weekdayName } from '../core/digest/digest-settings.js';
import type { BlockView, MessageView } from '../core/ports/message-view.port.js';
import type { WorkspaceSettings } from '../core/workspaces/workspace.model.js';
import { ACTIONS } from './actions.js';
import { digestScheduleText } from './digest.view.js';
import { FORMS, type FormView } from './form.view.js';
import { channel, person } from './tokens.js';

/** The settings an admin edits from one App Home form each (the value of `settings.edit`). */
export const SETTINGS_SECTIONS = ['triage', 'stages', 'nudges', 'digest', 'workspace'] as const;
export type SettingsSection = (typeof SETTINGS_SECTIONS)[number];

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The journeys catalog with the keys people type, retired stages marked. */
export function catalogText(settings: WorkspaceSettings): string {
  return [
    '*Journeys and stages*',
    ...settings.journeys.map(
      (j) =>
        `• ${j.name} (\`${j.key}\`): ${j.stages
          .map((s, i) => `${i + 1}. ${s.name} (\`${s.key}\`)${s.retired ? ' · retired' : ''}`)
          .join(', ')}`,
    ),
  ].join('\n');
}

/** The catalog in one line: each journey's stages in use, and how many are retired. */
function catalogSummary(settings: WorkspaceSettings): string {
  return settings.journeys
    .map((j) => {
      const inUse = j.stages.filter((s) => !s.retired).map((s) => s.name);
      const retired = j.stages.length - inUse.length;
      return `${j.name}: ${inUse.join(' › ')}${retired ? ` (${retired} retired)` : ''}`;
    })
    .join('; ');
}

export function nudgesSummary(settings: WorkspaceSettings): string {
  const n = settings.nudges;
  return (
    `check-in every ${plural(n.checkInEveryDays, 'day')}, daily from ${plural(n.dailyFromDaysBefore, 'day')} before the promised date; ` +
    `quiet ${n.quietStart}–${n.quietEnd}${n.skipWeekends ? ', none on weekends' : ', weekends too'}; ` +
    `escalation after ${plural(n.escalateAfterDays, 'day')}`
  );
}

function retentionText(days: number | undefined): string {
  if (!days) return 'resolved pebbles keep their text for ever';
  return `resolved pebbles keep their text ${days % 365 === 0 ? plural(days / 365, 'year') : plural(days, 'day')}`;
}

/** One item of the first-run checklist: what to set up, whether it is done, the button doing it. */
export interface ChecklistItem {
  label: string;
  done: boolean;
  /** What is missing, or how it is set. */
  detail: string;
  button: { label: string; actionId: string; value?: string };
}

/**
 * The setup checklist of a new workspace, in the order an admin does it. The ballot item is
 * done when ballots are open, or secret with the deployment's BALLOT_SECRET in place.
 */
export function setupChecklist(
  settings: WorkspaceSettings,
  options: { ballotKeyMissing: boolean },
): ChecklistItem[] {
  const c = settings.council;
  const d = settings.digest;
  const council = () => ({ label: 'Open', actionId: ACTIONS.councilSettings });
  return [
    {
      label: 'Triage channel',
      done: Boolean(settings.triageChannel),
      detail: settings.triageChannel
        ? `new pebbles go to ${channel(settings.triageChannel)}`
        : 'where new pebbles are posted as triage cards',
      button: { label: 'Choose', actionId: ACTIONS.settingsEdit, value: 'triage' },
    },
    {
      label: 'CX council members and channel',
      done: c.members.length > 0 && Boolean(c.channel),
      detail:
        c.members.length > 0 && c.channel
          ? `${plural(c.members.length, 'member')} voting in ${channel(c.channel)}`
          : [
              c.members.length ? undefined : 'who votes',
              c.channel ? undefined : 'the channel votes are posted in',
            ]
              .filter(Boolean)
              .join(' and '),
      button: council(),
    },
    {
      label: 'Executive sponsor',
      done: Boolean(settings.sponsor),
      detail: settings.sponsor
        ? `${person(settings.sponsor)} decides escalated votes`
        : 'who decides tied votes and hears about overdue improvements',
      button: council(),
    },
    {
      label: 'Digest recipients',
      done: Boolean(d.channel) || d.leaders.length > 0,
      detail:
        d.channel || d.leaders.length
          ? digestScheduleText(settings)
          : 'who reads the weekly digest',
      button: { label: 'Choose', actionId: ACTIONS.settingsEdit, value: 'digest' },
    },
    {
      label: 'Ballot secrecy',
      done: !c.secret || !options.ballotKeyMissing,
      detail: !c.secret
        ? 'open ballots: names are shown after the close'
        : options.ballotKeyMissing
          ? 'secret ballots need BALLOT_SECRET set where Pebblebot runs (ask whoever runs it), or choose open ballots'
          : 'secret ballots: nobody, admins included, sees who chose what',
      button: council(),
    },
  ];
}

/** The checklist as blocks; ticks are said in words too, never by the emoji alone. */
export function checklistBlocks(items: ChecklistItem[]): BlockView[] {
  const left = items.filter((i) => !i.done).length;
  return [
    { type: 'header', text: 'Set up Pebblebot' },
    {
      type: 'context',
      text: `${items.length - left} of ${items.length} done. Each step takes a minute; you can change everything later under Settings.`,
    },
    ...items.map((item): BlockView => ({
      type: 'section',
      text: `${item.done ? ':white_check_mark: *Done*' : ':white_large_square: *To do*'} · *${item.label}*: ${item.detail}`,
      button: {
        ...item.button,
        label: item.done ? 'Change' : item.button.label,
        accessibilityLabel: `${item.done ? 'Change' : 'Set up'} ${item.label.toLowerCase()}`,
      },
    })),
  ];
}

/**
 * The settings collapsed to a summary, one line per area with an Edit button, then the audit
 * log and API tokens (admins).
 */
export function settingsSummaryBlocks(
  settings: WorkspaceSettings,
  options: { openVotes: number; ballotKeyMissing: boolean; setupComplete?: boolean },
): BlockView[] {
  const c = settings.council;
  const edit = (value: SettingsSection, what: string) => ({
    label: 'Edit',
    actionId: ACTIONS.settingsEdit,
    value,
    accessibilityLabel: `Edit ${what}`,
  });
  const council = [
    c.members.length ? plural(c.members.length, 'member') : 'no members yet',
    c.channel ? `votes in ${channel(c.channel)}` : 'no channel yet',
    settings.sponsor ? `sponsor ${person(settings.sponsor)}` : 'no sponsor',
    c.secret ? 'secret ballots' : 'open ballots',
    `WIP limit ${c.wipLimit}`,
    options.openVotes ? `${plural(options.openVotes, 'open vote')}` : undefined,
  ].filter(Boolean);
  return [
    { type: 'divider' },
    { type: 'header', text: 'Settings (admins)' },
    ...(options.setupComplete
      ? [{ type: 'context' as const, text: ':white_check_mark: Setup complete.' }]
      : []),
    {
      type: 'section',
      text: `*Triage* · ${settings.triageChannel ? `cards in ${channel(settings.triageChannel)}` : 'no triage channel'} · reacting with :${settings.reactionEmoji}: reports a message`,
      button: edit('triage', 'triage channel and reaction'),
    },
    {
      type: 'section',
      text: `*Journeys* · ${catalogSummary(settings)}`,
      button: edit('stages', 'journeys and stages'),
    },
    {
      type: 'section',
      text: `*CX council* · ${council.join(' · ')}${c.secret && options.ballotKeyMissing ? '\n:warning: Secret ballots need BALLOT_SECRET where Pebblebot runs.' : ''}`,
      button: {
        label: 'Edit',
        actionId: ACTIONS.councilSettings,
        accessibilityLabel: 'Edit council settings',
      },
    },
    {
      type: 'section',
      text: `*Owner nudges* · ${nudgesSummary(settings)}`,
      button: edit('nudges', 'owner nudges'),
    },
    {
      type: 'section',
      text: `*Weekly CX digest* · ${digestScheduleText(settings)}`,
      button: edit('digest', 'weekly digest'),
    },
    {
      type: 'section',
      text: `*Workspace* · time zone ${settings.timezone} · ${retentionText(settings.retentionDays)} · ${settings.admins.length ? `${plural(settings.admins.length, 'Pebblebot admin')} besides workspace admins` : 'workspace admins administer Pebblebot'}`,
      button: edit('workspace', 'time zone, retention and admins'),
    },
    {
      type: 'section',
      text: `*AI suggestions and summaries* · ${settings.aiEnabled ? 'on (used when the deployment has an AI key)' : 'off'}`,
      button: {
        label: settings.aiEnabled ? 'Turn off' : 'Turn on',
        actionId: ACTIONS.settingsAi,
        value: settings.aiEnabled ? 'off' : 'on',
        accessibilityLabel: settings.aiEnabled ? 'Turn AI off' : 'Turn AI on',
      },
    },
    {
      type: 'actions',
      buttons: [
        { label: 'Audit log', actionId: ACTIONS.auditLog, value: '1' },
        { label: 'API tokens', actionId: ACTIONS.apiTokens },
        { label: 'Preview the digest', actionId: ACTIONS.digestPreview, value: 'home' },
      ],
    },
  ];
}

/** What a member sees of the settings: a summary only admins can change. */
export function memberSettingsBlocks(settings: WorkspaceSettings): BlockView[] {
  const c = settings.council;
  return [
    { type: 'divider' },
    {
      type: 'context',
      text: `*How Pebblebot is set up here* · ${settings.triageChannel ? `triage in ${channel(settings.triageChannel)}` : 'no triage channel yet'} · ${c.members.length ? `a CX council of ${plural(c.members.length, 'member')}` : 'no CX council yet'} · digest ${settings.digest.enabled ? `on ${weekdayName(settings.digest.day)}s at ${settings.digest.time}` : 'off'} · react with :${settings.reactionEmoji}: to report a message. Pebblebot admins change these.`,
    },
  ];
}

// ------------------------------------------------------------------------- the forms

export function triageSettingsForm(settings: WorkspaceSettings): FormView {
  return {
    id: FORMS.settingsTriage,
    title: 'Triage',
    submit: 'Save',
    meta: { n: 0 },
    fields: [
      {
        id: 'channel',
        label: 'Triage channel (new pebbles are posted there as cards)',
        kind: 'channel',
        optional: true,
        ...(settings.triageChannel ? { initial: settings.triageChannel } : {}),
      },
      {
        id: 'emoji',
        label: 'Reaction that reports a message (an emoji name, e.g. rock)',
        kind: 'text',
        maxLength: 100,
        initial: settings.reactionEmoji,
      },
    ],
  };
}

/** One change of the catalog per submission: what to do, to which stage, with which name. */
export function stagesSettingsForm(settings: WorkspaceSettings): FormView {
  const many = settings.journeys.length > 1;
  return {
    id: FORMS.settingsStages,
    title: 'Journeys and stages',
    submit: 'Apply',
    intro: catalogText(settings),
    meta: { n: 0 },
    fields: [
      {
        id: 'action',
        label: 'What to do',
        kind: 'pick-one',
        initial: 'add',
        options: [
          { label: 'Add a stage', value: 'add' },
          { label: 'Rename a stage', value: 'rename' },
          { label: 'Move a stage', value: 'move' },
          { label: 'Retire a stage (its pebbles keep it)', value: 'retire' },
          { label: 'Bring back a retired stage', value: 'restore' },
        ],
      },
      {
        id: 'stage',
        label: 'Stage (to rename, move, retire or bring back; a new stage comes after it)',
        kind: 'pick-one',
        optional: true,
        options: settings.journeys.flatMap((j) =>
          j.stages.map((s) => ({
            label: `${many ? `${j.name}: ` : ''}${s.name}${s.retired ? ' (retired)' : ''}`,
            value: `${j.key}/${s.key}`,
          })),
        ),
      },
      {
        id: 'name',
        label: 'Name (of a new stage, or the new name)',
        kind: 'text',
        optional: true,
        maxLength: 75,
      },
      {
        id: 'position',
        label: 'Position (to move a stage: 1 is first)',
        kind: 'number',
        optional: true,
        min: 1,
        max: 25,
      },
      ...(many
        ? [
            {
              id: 'journey',
              label: 'Journey (of a new stage, when no stage is picked)',
              kind: 'pick-one' as const,
              optional: true,
              options: settings.journeys.map((j) => ({ label: j.name, value: j.key })),
            },
          ]
        : []),
    ],
  };
}

export function nudgesSettingsForm(settings: WorkspaceSettings): FormView {
  const n = settings.nudges;
  return {
    id: FORMS.settingsNudges,
    title: 'Owner nudges',
    submit: 'Save',
    intro: 'Owners of journey improvements are nudged in their own time zone, at most once a day.',
    meta: { n: 0 },
    fields: [
      {
        id: 'every',
        label: 'Check-in nudge every … days',
        kind: 'number',
        min: 1,
        max: 30,
        initial: String(n.checkInEveryDays),
      },
      {
        id: 'daily',
        label: 'Daily from … days before the promised date',
        kind: 'number',
        min: 0,
        max: 30,
        initial: String(n.dailyFromDaysBefore),
      },
      {
        id: 'quietStart',
        label: 'Quiet hours start (HH:MM)',
        kind: 'text',
        maxLength: 5,
        initial: n.quietStart,
      },
      {
        id: 'quietEnd',
        label: 'Quiet hours end (HH:MM)',
        kind: 'text',
        maxLength: 5,
        initial: n.quietEnd,
      },
      {
        id: 'weekends',
        label: 'Weekends',
        kind: 'checkbox',
        hint: 'No nudges on Saturdays and Sundays',
        initial: n.skipWeekends,
      },
      {
        id: 'escalate',
        label: 'Escalate to the sponsor after … days overdue or blocked',
        kind: 'number',
        min: 1,
        max: 90,
        initial: String(n.escalateAfterDays),
      },
    ],
  };
}

export function digestSettingsForm(settings: WorkspaceSettings): FormView {
  const d = settings.digest;
  return {
    id: FORMS.settingsDigest,
    title: 'Weekly digest',
    submit: 'Save',
    intro: `The digest goes out in the workspace time zone (${settings.timezone}).`,
    meta: { n: 0 },
    fields: [
      {
        id: 'enabled',
        label: 'Send it',
        kind: 'checkbox',
        hint: 'Send the weekly digest',
        initial: d.enabled,
      },
      {
        id: 'day',
        label: 'Day',
        kind: 'pick-one',
        initial: String(d.day),
        options: WEEKDAYS.map((_, i) => ({ label: weekdayName(i + 1), value: String(i + 1) })),
      },
      { id: 'time', label: 'Time (HH:MM)', kind: 'text', maxLength: 5, initial: d.time },
      {
        id: 'channel',
        label: 'Post it in this channel',
        kind: 'channel',
        optional: true,
        ...(d.channel ? { initial: d.channel } : {}),
      },
      {
        id: 'leaders',
        label: 'Send it to these leaders by direct message',
        kind: 'people',
        optional: true,
        initial: d.leaders,
      },
    ],
  };
}

export function workspaceSettingsForm(settings: WorkspaceSettings): FormView {
  return {
    id: FORMS.settingsWorkspace,
    title: 'Workspace',
    submit: 'Save',
    meta: { n: 0 },
    fields: [
      {
        id: 'timezone',
        label: 'Time zone (e.g. Europe/Berlin): the digest and vote deadlines follow it',
        kind: 'text',
        maxLength: 64,
        initial: settings.timezone,
      },
      {
        id: 'retention',
        label: 'Keep resolved pebbles’ text for (e.g. 2y, 18m, 90d; empty: for ever)',
        kind: 'text',
        optional: true,
        maxLength: 12,
        ...(settings.retentionDays ? { initial: `${settings.retentionDays}d` } : {}),
      },
      {
        id: 'admins',
        label: 'Pebblebot admins besides workspace admins',
        kind: 'people',
        optional: true,
        initial: settings.admins,
      },
    ],
  };
}

export function apiTokenForm(): FormView {
  return {
    id: FORMS.apiTokenCreate,
    title: 'New API token',
    submit: 'Create',
    intro: 'A read-only token for BI tools. It is shown to you once, in a direct message.',
    meta: { n: 0 },
    fields: [
      {
        id: 'name',
        label: 'Name it after what uses it (e.g. power-bi)',
        kind: 'text',
        maxLength: 80,
      },
    ],
  };
}

/** The App Home form of one settings area. */
export function settingsForm(section: SettingsSection, settings: WorkspaceSettings): FormView {
  switch (section) {
    case 'triage':
      return triageSettingsForm(settings);
    case 'stages':
      return stagesSettingsForm(settings);
    case 'nudges':
      return nudgesSettingsForm(settings);
    case 'digest':
      return digestSettingsForm(settings);
    case 'workspace':
      return workspaceSettingsForm(settings);
  }
}

/** A settings change done: what changed, in one sentence. */
export function settingsSavedView(text: string): MessageView {
  return { text, blocks: [{ type: 'section', text }] };
}
