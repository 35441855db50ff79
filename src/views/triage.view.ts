import {
  isOpen,
  SEVERITY_LABELS,
  shortId,
  STAKEHOLDER_LABELS,
  type Pebble,
} from '../core/pebbles/pebble.model.js';
import type { PebbleNotices } from '../core/pebbles/pebble.notices.js';
import { canTransition } from '../core/pebbles/pebble.status.js';
import type { WorkspaceSettings } from '../core/workspaces/workspace.model.js';
import { ACTIONS } from './actions.js';
import { sendToCouncilButton } from './council-button.js';
import type {
  BlockView,
  ButtonView,
  MessageView,
  SelectView,
} from '../core/ports/message-view.port.js';
import { dayOf } from './dates.js';
import { peopleAffected, reporterLabel, stageLabel, STATUS_LABELS } from './pebble.view.js';

const SOURCE_LABELS: Record<Pebble['source']['kind'], string> = {
  slash: 'the slash command',
  shortcut: 'a shortcut',
  reaction: 'a reaction',
  mention: 'a mention',
  modal: 'the report form',
  'teams-action': 'a Teams message action',
  console: 'the console',
};

/** Card text keeps to a glance; the full description is one click away (Show). */
const CARD_DESCRIPTION_MAX = 600;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

/** The severity menu, with the pebble's current severity chosen; values `number:severity`. */
export function severitySelect(pebble: Pebble): SelectView {
  const n = pebble.number;
  return {
    placeholder: 'Set severity',
    actionId: ACTIONS.setSeverity,
    options: Object.entries(SEVERITY_LABELS).map(([value, label]) => ({
      label,
      value: `${n}:${value}`,
    })),
    ...(pebble.severity ? { initial: `${n}:${pebble.severity}` } : {}),
  };
}

/** Who feels it: customer, employee or partner; values `number:stakeholder`. */
export function stakeholderSelect(pebble: Pebble): SelectView {
  const n = pebble.number;
  return {
    placeholder: 'Who feels it',
    actionId: ACTIONS.setStakeholder,
    options: Object.entries(STAKEHOLDER_LABELS).map(([value, label]) => ({
      label,
      value: `${n}:${value}`,
    })),
    initial: `${n}:${pebble.stakeholder}`,
  };
}

/** The journey-stage menu: stages grouped under their journey, values `number:journey/stage`. */
export function stageSelect(pebble: Pebble, settings: WorkspaceSettings): SelectView {
  const n = pebble.number;
  const current =
    pebble.journey && pebble.stage ? `${n}:${pebble.journey}/${pebble.stage}` : undefined;
  return {
    placeholder: 'Set journey stage',
    actionId: ACTIONS.setStage,
    groups: settings.journeys.map((journey) => ({
      label: journey.name,
      // A retired stage is offered only to the pebble already on it.
      options: journey.stages
        .filter((stage) => !stage.retired || `${n}:${journey.key}/${stage.key}` === current)
        .map((stage) => ({
          label: stage.name,
          value: `${n}:${journey.key}/${stage.key}`,
        })),
    })),
    ...(current ? { initial: current } : {}),
  };
}

/**
 * The card a new pebble gets in the triage channel. It is updated in place as the pebble
 * changes; only the actions that are legal in the current status are offered.
 */
export function triageCardView(pebble: Pebble, settings: WorkspaceSettings): MessageView {
  const id = shortId(pebble.number);
  const value = String(pebble.number);
  const fields = [
    { label: 'Status', value: STATUS_LABELS[pebble.status] },
    { label: 'Who feels it', value: STAKEHOLDER_LABELS[pebble.stakeholder] },
    { label: 'Journey stage', value: stageLabel(pebble, settings) ?? 'Not set' },
    {
      label: 'Severity',
      value: pebble.severity
        ? (SEVERITY_LABELS[pebble.severity] ?? String(pebble.severity))
        : 'Not set',
    },
    { label: 'People affected', value: peopleAffected(pebble) },
    // No viewer: a card is seen by the whole channel, so an anonymous reporter stays anonymous.
    { label: 'Reported by', value: reporterLabel(pebble) },
  ];
  if (pebble.segment) fields.push({ label: 'Segment', value: pebble.segment });
  const blocks: BlockView[] = [
    { type: 'header', text: `${id} ${pebble.title}` },
    {
      type: 'section',
      text: pebble.description
        ? clip(pebble.description, CARD_DESCRIPTION_MAX)
        : '_No description yet._',
      fields,
    },
  ];
  const context = [`Reported via ${SOURCE_LABELS[pebble.source.kind]}`];
  if (pebble.source.permalink) context.push(`original message: ${pebble.source.permalink}`);
  blocks.push({ type: 'context', text: context.join(' · ') });

  if (isOpen(pebble.status)) blocks.push(...aiBlocks(pebble, settings));

  if (pebble.status === 'declined') {
    blocks.push({
      type: 'context',
      text: `:no_entry_sign: Declined${pebble.declineReason ? `: ${pebble.declineReason}` : ''}`,
    });
  } else if (pebble.status === 'duplicate' && pebble.duplicateOf) {
    blocks.push({
      type: 'context',
      text: `:link: Duplicate of ${shortId(pebble.duplicateOf)}; its support moved there.`,
    });
  }

  if (isOpen(pebble.status)) {
    const buttons: ButtonView[] = [
      { label: '+1', actionId: ACTIONS.support, value, style: 'primary' },
    ];
    if (canTransition(pebble.status, 'duplicate'))
      buttons.push({ label: 'Mark duplicate of…', actionId: ACTIONS.markDuplicate, value });
    if (canTransition(pebble.status, 'declined'))
      buttons.push({ label: 'Decline…', actionId: ACTIONS.decline, value, style: 'danger' });
    const council = sendToCouncilButton(pebble, settings);
    if (council) buttons.push(council);
    blocks.push({
      type: 'actions',
      buttons,
      selects: [severitySelect(pebble), stageSelect(pebble, settings), stakeholderSelect(pebble)],
    });
  }
  return {
    text: `${id} ${pebble.title} (${STATUS_LABELS[pebble.status]}, ${peopleAffected(pebble)})`,
    blocks,
  };
}

/**
 * The "it came back?" flag and the AI suggestion of an open pebble: each a line for triage to
 * confirm with one click, or ignore (the menus below stay the way to set anything else).
 */
function aiBlocks(pebble: Pebble, settings: WorkspaceSettings): BlockView[] {
  const blocks: BlockView[] = [];
  const flag = pebble.recurrence;
  if (flag && pebble.status === 'new') {
    const of = shortId(flag.of);
    blocks.push({
      type: 'section',
      text: `:repeat: Looks like ${of}, resolved ${dayOf(flag.resolvedAt, settings.timezone)}: it came back?`,
      button: {
        label: `Yes, duplicate of ${of}`,
        actionId: ACTIONS.confirmRecurrence,
        value: `${pebble.number}:${flag.of}`,
      },
    });
  }
  const s = pebble.suggestion;
  if (s) {
    const stage = s.stage
      ? stageLabel({ ...pebble, journey: s.journey, stage: s.stage }, settings)
      : undefined;
    const parts = [
      `Severity ${s.severity}`,
      ...(stage ? [stage] : []),
      STAKEHOLDER_LABELS[s.stakeholder],
    ];
    const title = s.title && s.title !== pebble.title ? `\nTitle: ${s.title}` : '';
    blocks.push({
      type: 'section',
      text: `:bulb: Suggested: ${parts.join(' · ')}${title}${s.summary ? `\n_${s.summary}_` : ''}`,
      button: { label: 'Accept', actionId: ACTIONS.acceptSuggestion, value: String(pebble.number) },
    });
    blocks.push({
      type: 'context',
      text: `Suggested by AI (${s.model}) from the pebble's text; nothing changes until someone accepts it.`,
    });
  }
  return blocks;
}

/** What a triage card becomes when its reporter folds the report into another pebble. */
export function mergedCardView(merged: Pebble, into: Pebble): MessageView {
  const text = `${shortId(merged.number)} was folded into ${shortId(into.number)} as a +1 by its reporter (${shortId(into.number)} now affects ${peopleAffected(into)}).`;
  return {
    text,
    blocks: [
      { type: 'section', text: `~${shortId(merged.number)} ${merged.title}~` },
      { type: 'context', text: `:link: ${text}` },
    ],
  };
}

/** The private notice sent to the reporter and supporters of a declined pebble. */
export function declinedNoticeView(pebble: Pebble, forReporter: boolean): MessageView {
  const id = shortId(pebble.number);
  const text =
    `${forReporter ? 'Your pebble' : 'A pebble you supported,'} *${id}* ${pebble.title}` +
    `${forReporter ? '' : ','} was declined by triage.` +
    (pebble.declineReason ? `\n>${pebble.declineReason}` : '');
  return {
    text: `${id} was declined`,
    blocks: [
      { type: 'section', text },
      {
        type: 'context',
        text: 'Thank you for reporting it: every pebble helps the council see where friction is.',
      },
    ],
  };
}

/** The private notice sent when a pebble turns out to duplicate another. */
export function duplicateNoticeView(
  pebble: Pebble,
  original: Pebble,
  forReporter: boolean,
): MessageView {
  const id = shortId(pebble.number);
  const target = shortId(original.number);
  const moved = isOpen(original.status)
    ? `Your support now counts on *${target}* (${peopleAffected(original)} affected).`
    : `*${target}* is ${STATUS_LABELS[original.status].toLowerCase()}.`;
  return {
    text: `${id} is a duplicate of ${target}`,
    blocks: [
      {
        type: 'section',
        text: `${forReporter ? 'Your pebble' : 'A pebble you supported,'} *${id}* ${pebble.title}${forReporter ? '' : ','} is a duplicate of *${target}* ${original.title}. ${moved}`,
        button: { label: `Show ${target}`, actionId: ACTIONS.show, value: String(original.number) },
      },
    ],
  };
}

/** The pebble use cases' notices (core's PebbleNotices port), wired in src/services.ts. */
export const pebbleNotices: PebbleNotices = {
  declined: declinedNoticeView,
  duplicate: duplicateNoticeView,
};
