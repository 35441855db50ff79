import { improvementShortId, type Improvement } from '../core/improvements/improvement.model.js';
import {
  DESCRIPTION_MAX,
  shortId,
  TITLE_MAX,
  type Frequency,
  type Pebble,
  type Stakeholder,
} from '../core/pebbles/pebble.model.js';
import { inferStakeholder } from '../core/pebbles/stakeholder.js';
import type { WorkspaceSettings } from '../core/workspaces/workspace.model.js';
import type { OptionView } from '../core/ports/message-view.port.js';

/**
 * Platform-neutral forms: Slack renders them as modals, Teams as dialogs, the console as
 * prompts. A submission comes back as a values map keyed by field id, validated in one place
 * (src/conversation/forms.ts); refusals come back as errors keyed by field.
 */
export type FormFieldKind =
  | 'text'
  | 'long-text'
  | 'pick-one'
  | 'pick-many'
  | 'person'
  | 'people'
  | 'date'
  | 'checkbox'
  | 'number'
  /** A channel (Slack conversations select; Teams a typed id where a form asks for one). */
  | 'channel'
  /**
   * One item found by what people type, from the list named by the field's `source` (Slack
   * asks the bot for options as they type; Teams and the console take the typed id).
   */
  | 'search';

/** The lists a 'search' field looks in. */
export const SEARCH_SOURCES = {
  /** Open pebbles of the workspace, by number or words of their title; the value is the number. */
  openPebbles: 'open-pebbles',
} as const;
export type SearchSource = (typeof SEARCH_SOURCES)[keyof typeof SEARCH_SOURCES];

export interface FormField {
  id: string;
  label: string;
  kind: FormFieldKind;
  optional?: boolean;
  /**
   * Set when a form already shown gets a new default for this field (an AI suggestion): Slack
   * keeps what the person saw in a block unless the block is new, so the renderer gives it a
   * new block id.
   */
  revision?: string;
  hint?: string;
  /** Example text shown in an empty field. */
  placeholder?: string;
  options?: OptionView[];
  /** Where a 'search' field's choices come from. */
  source?: SearchSource;
  initial?: string | string[] | boolean;
  maxLength?: number;
  min?: number;
  max?: number;
}

/** Every form the bot opens, by id (a Slack callback_id, a Teams dialog id). */
export const FORMS = {
  report: 'pebble.report',
  decline: 'pebble.decline',
  duplicate: 'pebble.duplicate',
  councilSettings: 'council.settings',
  councilReason: 'council.reason',
  improvementProposeDate: 'improvement.propose_date',
  improvementDecline: 'improvement.decline',
  improvementDone: 'improvement.done',
  improvementChangeDate: 'improvement.change_date',
  improvementReassign: 'improvement.reassign',
  improvementExtend: 'improvement.extend',
  improvementDrop: 'improvement.drop',
  /** App Home (admins): triage channel and reaction emoji. */
  settingsTriage: 'settings.triage',
  /** App Home (admins): add, rename, reorder, retire or bring back a journey stage. */
  settingsStages: 'settings.stages',
  /** App Home (admins): nudge cadence, quiet hours, weekends, escalation. */
  settingsNudges: 'settings.nudges',
  /** App Home (admins): the digest's schedule and recipients. */
  settingsDigest: 'settings.digest',
  /** App Home (admins): time zone, retention, Pebblebot admins. */
  settingsWorkspace: 'settings.workspace',
  /** App Home (admins): a new read-API token. */
  apiTokenCreate: 'settings.api_token',
} as const;
export type FormId = (typeof FORMS)[keyof typeof FORMS];

export interface FormView {
  id: FormId;
  title: string;
  submit: string;
  /** A line above the fields (what the form is about). */
  intro?: string;
  fields: FormField[];
  /** What the form is about (a pebble, vote or improvement number), carried to the submission. */
  meta: { n: number };
  /** Refusals to show next to their fields when the form is shown again. */
  errors?: Record<string, string>;
}

/** A submission's values: text, picked values, or a checkbox. */
export type FormValues = Record<string, string | string[] | boolean | undefined>;

export const REASON_MAX = 500;
export const NOTE_MAX = 500;

const FREQUENCY_OPTIONS: { label: string; value: Frequency }[] = [
  { label: 'It happened once', value: 'once' },
  { label: 'About monthly', value: 'monthly' },
  { label: 'About weekly', value: 'weekly' },
  { label: 'Daily', value: 'daily' },
  { label: 'Many times a day', value: 'hourly' },
];
export const SEGMENT_MAX = 100;
export const MINUTES_MAX = 100_000;

const SEVERITY_OPTIONS: OptionView[] = [
  { label: '1 Annoyance', value: '1' },
  { label: '2 Slows people down', value: '2' },
  { label: '3 Blocks a task', value: '3' },
  { label: '4 Churn or safety risk', value: '4' },
];

/** The report form; with a pebble, its reporter adds details to it (`meta.n` names it). */
/** AI's triage defaults for a report form (never applied without the person's submit). */
export interface SuggestedDefaults {
  stakeholder: Stakeholder;
  severity: number;
  journey?: string;
  stage?: string;
  title?: string;
  summary?: string;
  model: string;
}

export function reportForm(
  settings: WorkspaceSettings,
  initial: {
    text?: string;
    description?: string;
    pebble?: Pebble;
    suggested?: SuggestedDefaults;
  } = {},
): FormView {
  const p = initial.pebble;
  const ai = initial.suggested;
  const byAi = ai ? { revision: 'ai' } : {};
  const form: FormView = {
    id: FORMS.report,
    title: p ? `Details of ${shortId(p.number)}` : 'Report a pebble',
    submit: p ? 'Save' : 'Report',
    meta: { n: p?.number ?? 0 },
    ...(ai
      ? {
          intro: `💡 Suggested by AI (${ai.model}) from the message${ai.summary ? `: ${ai.summary}` : ''}. Who feels it, stage and severity are its defaults: change anything before you report.`,
        }
      : {}),
    fields: [
      {
        id: 'title',
        label: 'What got in the way?',
        kind: 'text',
        maxLength: TITLE_MAX,
        placeholder: 'Checkout asks for the address twice',
        ...(initial.text ? { initial: initial.text } : {}),
        ...(ai?.title ? { hint: `Suggested title: ${ai.title}` } : {}),
      },
      {
        id: 'description',
        label: 'Details',
        kind: 'long-text',
        optional: true,
        maxLength: DESCRIPTION_MAX,
        placeholder: 'What happened, who it hit, what they did instead',
        ...(initial.description ? { initial: initial.description } : {}),
      },
      {
        id: 'stakeholder',
        label: 'Whose journey?',
        kind: 'pick-one',
        // A message reported by shortcut already says whose friction it is, usually.
        initial: ai?.stakeholder ?? inferStakeholder(initial.text ?? ''),
        ...byAi,
        options: [
          { label: 'Customer', value: 'customer' },
          { label: 'Employee', value: 'employee' },
          { label: 'Partner', value: 'partner' },
        ],
      },
      {
        id: 'stage',
        label: 'Journey stage',
        kind: 'pick-one',
        optional: true,
        ...byAi,
        ...(ai?.journey && ai.stage ? { initial: `${ai.journey}/${ai.stage}` } : {}),
        options: settings.journeys.flatMap((j) =>
          j.stages
            .filter((s) => !s.retired || (p?.journey === j.key && p.stage === s.key))
            .map((s) => ({ label: `${j.name}: ${s.name}`, value: `${j.key}/${s.key}` })),
        ),
      },
      {
        id: 'severity',
        label: 'How much does it hurt?',
        kind: 'pick-one',
        optional: true,
        ...byAi,
        ...(ai ? { initial: String(ai.severity) } : {}),
        options: SEVERITY_OPTIONS,
      },
      {
        id: 'segment',
        label: 'Customer segment',
        kind: 'text',
        optional: true,
        maxLength: SEGMENT_MAX,
        placeholder: 'Enterprise, new sign-ups…',
      },
      {
        id: 'frequency',
        label: 'How often does it happen?',
        kind: 'pick-one',
        optional: true,
        options: FREQUENCY_OPTIONS,
      },
      {
        id: 'minutes',
        label: 'Minutes lost each time',
        kind: 'number',
        optional: true,
        min: 0,
        max: MINUTES_MAX,
        hint: 'A rough guess is fine: it lets the digest show the hours a fix gives back.',
      },
      { id: 'anonymous', label: 'Hide my name', kind: 'checkbox', initial: false },
    ],
  };
  if (!p) return form;
  const values: Record<string, string | boolean | undefined> = {
    title: p.title,
    description: p.description || undefined,
    stakeholder: p.stakeholder,
    stage: p.journey && p.stage ? `${p.journey}/${p.stage}` : undefined,
    severity: p.severity ? String(p.severity) : undefined,
    segment: p.segment || undefined,
    frequency: p.frequency,
    minutes: p.minutesLost !== undefined ? String(p.minutesLost) : undefined,
    anonymous: p.anonymous,
  };
  return {
    ...form,
    fields: form.fields.map((f) => {
      const value = values[f.id];
      return value === undefined ? f : { ...f, initial: value };
    }),
  };
}

export function declineForm(pebble: Pebble): FormView {
  return {
    id: FORMS.decline,
    title: `Decline ${shortId(pebble.number)}`,
    submit: 'Decline',
    intro: `${shortId(pebble.number)} ${pebble.title}`,
    meta: { n: pebble.number },
    fields: [
      {
        id: 'reason',
        label: 'Why? (the reporter and supporters will read this)',
        kind: 'long-text',
        maxLength: REASON_MAX,
      },
    ],
  };
}

export function duplicateForm(pebble: Pebble): FormView {
  return {
    id: FORMS.duplicate,
    title: `Duplicate ${shortId(pebble.number)}`,
    submit: 'Mark duplicate',
    intro: `${shortId(pebble.number)} ${pebble.title}`,
    meta: { n: pebble.number },
    fields: [
      {
        id: 'of',
        label: 'Duplicate of',
        kind: 'search',
        source: SEARCH_SOURCES.openPebbles,
        placeholder: 'A number or words of its title',
        hint: 'An open pebble, like P-7.',
        maxLength: 12,
      },
    ],
  };
}

export function councilReasonForm(vote: number, current?: string): FormView {
  return {
    id: FORMS.councilReason,
    title: 'Why not now?',
    submit: 'Send',
    meta: { n: vote },
    fields: [
      {
        id: 'reason',
        label: `The council's reason (vote V-${vote})`,
        kind: 'long-text',
        maxLength: REASON_MAX,
        ...(current ? { initial: current } : {}),
      },
    ],
  };
}

export function councilSettingsForm(settings: WorkspaceSettings): FormView {
  const c = settings.council;
  return {
    id: FORMS.councilSettings,
    title: 'Council settings',
    submit: 'Save',
    meta: { n: 0 },
    fields: [
      {
        id: 'members',
        label: 'Council members',
        kind: 'people',
        optional: true,
        initial: c.members.map((m) => m.userId),
        hint: c.userGroup
          ? `Kept in sync with the user group ${c.userGroup.handle ?? c.userGroup.id}; changes here are replaced at the next sync.`
          : 'Everyone who votes. Give members a function with `config council function @name Product`.',
      },
      {
        id: 'channel',
        label: 'Council channel',
        kind: 'channel',
        optional: true,
        ...(c.channel ? { initial: c.channel } : {}),
      },
      {
        id: 'sponsor',
        label: 'Executive sponsor (decides escalated votes)',
        kind: 'person',
        optional: true,
        ...(settings.sponsor ? { initial: settings.sponsor } : {}),
      },
      {
        id: 'window',
        label: 'Voting window (working days)',
        kind: 'number',
        min: 1,
        max: 20,
        initial: String(c.votingDays),
      },
      {
        id: 'quorum',
        label: 'Quorum (ballots)',
        kind: 'number',
        optional: true,
        min: 1,
        max: 2_000,
        ...(c.quorum ? { initial: String(c.quorum) } : {}),
      },
      {
        id: 'threshold',
        label: 'Threshold (% of ballots cast)',
        kind: 'number',
        min: 50,
        max: 100,
        initial: String(c.threshold),
        hint: '50 is a simple majority (more than half); 100 is unanimous.',
      },
      {
        id: 'balance',
        label: 'Balance (functions)',
        kind: 'number',
        optional: true,
        min: 2,
        max: 50,
        hint: 'Empty: off. Otherwise ballots from at least this many functions.',
        ...(c.balance ? { initial: String(c.balance) } : {}),
      },
      {
        id: 'ballots',
        label: 'Ballots',
        kind: 'pick-one',
        initial: c.secret ? 'secret' : 'open',
        options: [
          { label: 'Secret: nobody sees who chose what', value: 'secret' },
          { label: 'Open: names shown after the close', value: 'open' },
        ],
      },
      {
        id: 'wip',
        label: 'WIP limit (active improvements)',
        kind: 'number',
        min: 1,
        max: 100,
        initial: String(c.wipLimit),
        hint: '"Fix now" above it asks the council what to displace.',
      },
      {
        id: 'cycle',
        label: 'Cycle ("Next cycle" comes back then)',
        kind: 'pick-one',
        initial: c.cycle === 'week' ? 'week' : 'month',
        options: [
          { label: 'Monthly (first working day)', value: 'month' },
          { label: 'Weekly (Mondays)', value: 'week' },
        ],
      },
    ],
  };
}

function improvementForm(
  id: FormId,
  improvement: Improvement,
  title: string,
  submit: string,
  fields: FormField[],
): FormView {
  return {
    id,
    title,
    submit,
    intro: `${improvementShortId(improvement.number)} ${improvement.title}`,
    meta: { n: improvement.number },
    fields,
  };
}

const dateField = (label: string, initial?: string): FormField => ({
  id: 'date',
  label,
  kind: 'date',
  ...(initial ? { initial } : {}),
});
const noteField = (label: string, optional: boolean): FormField => ({
  id: 'note',
  label,
  kind: 'long-text',
  optional,
  maxLength: NOTE_MAX,
});

/** The forms of journey improvements (owner and sponsor). */
export const improvementForms = {
  proposeDate: (i: Improvement) =>
    improvementForm(FORMS.improvementProposeDate, i, 'Propose a date', 'Promise', [
      dateField('The date you can promise', i.proposedDate ?? i.promisedDate),
    ]),
  decline: (i: Improvement) =>
    improvementForm(FORMS.improvementDecline, i, 'Decline', 'Decline', [
      noteField('Why? (whoever asked you reads this)', false),
    ]),
  done: (i: Improvement) =>
    improvementForm(FORMS.improvementDone, i, 'Done', 'Mark done', [
      noteField('What changed? (the people who reported it read this)', true),
    ]),
  changeDate: (i: Improvement) =>
    improvementForm(FORMS.improvementChangeDate, i, 'Change the date', 'Change', [
      dateField('New promised date', i.promisedDate),
      noteField('Why? (kept in the promise ledger)', true),
    ]),
  extend: (i: Improvement) =>
    improvementForm(FORMS.improvementExtend, i, 'Extend', 'Extend', [
      dateField('New promised date', i.promisedDate),
      noteField('Why? (kept in the promise ledger)', true),
    ]),
  reassign: (i: Improvement) =>
    improvementForm(FORMS.improvementReassign, i, 'Reassign', 'Ask', [
      { id: 'owner', label: 'New owner', kind: 'person' },
      dateField('Promised date', i.promisedDate),
    ]),
  drop: (i: Improvement) =>
    improvementForm(FORMS.improvementDrop, i, 'Drop', 'Drop', [
      noteField('Why is it dropped?', false),
    ]),
};
