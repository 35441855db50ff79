import {
  isOpen,
  SEVERITY_LABELS,
  STAKEHOLDER_LABELS,
  shortId,
  type Pebble,
  type PebbleStatus,
} from '../core/pebbles/pebble.model.js';
import { catalogStages, type WorkspaceSettings } from '../core/workspaces/workspace.model.js';
import { ACTIONS } from './actions.js';
import { sendToCouncilButton } from './council-button.js';
import type { BlockView, ButtonView, MessageView } from '../core/ports/message-view.port.js';
import { dayOf } from './dates.js';
import { person } from './tokens.js';

export const STATUS_LABELS: Record<PebbleStatus, string> = {
  new: 'New',
  triaged: 'Triaged',
  'in-council': 'In council',
  approved: 'Approved',
  'in-progress': 'In progress',
  resolved: 'Resolved',
  declined: 'Declined',
  duplicate: 'Duplicate',
};

/** Who is looking; anonymous reporters are named only to themselves. */
export interface Viewer {
  userId: string;
}

export function reporterLabel(pebble: Pebble, viewer?: Viewer): string {
  if (pebble.anonymous) {
    return viewer?.userId === pebble.reporter.userId ? 'you (anonymous to others)' : 'Anonymous';
  }
  // A token like every other person a view names (owners, sponsors): each platform names them
  // its own way, the name they had when reporting being the fallback.
  return person(pebble.reporter.userId, pebble.reporter.name);
}

export function stageLabel(pebble: Pebble, settings: WorkspaceSettings): string | undefined {
  if (!pebble.stage && !pebble.journey) return undefined;
  const match = catalogStages(settings).find(
    (s) => s.stage.key === pebble.stage && (!pebble.journey || s.journey.key === pebble.journey),
  );
  if (match)
    return settings.journeys.length > 1
      ? `${match.journey.name} › ${match.stage.name}`
      : match.stage.name;
  return [pebble.journey, pebble.stage].filter(Boolean).join(' › ');
}

/**
 * How many people a pebble gets in the way of: its reporter and everyone who added a +1.
 * ("+0" on a fresh report read as "nobody cares"; "1 person" says somebody does.)
 */
export function peopleAffected(pebble: Pebble): string {
  const n = 1 + pebble.supporterCount;
  return `${n} ${n === 1 ? 'person' : 'people'}`;
}

function statusLine(pebble: Pebble): string {
  let line = STATUS_LABELS[pebble.status];
  if (pebble.status === 'duplicate' && pebble.duplicateOf)
    line += ` of ${shortId(pebble.duplicateOf)}`;
  if (pebble.status === 'declined' && pebble.declineReason) line += `: ${pebble.declineReason}`;
  return line;
}

/** One pebble on one line: id, title, status, stage, severity, support. */
export function oneLine(pebble: Pebble, settings: WorkspaceSettings): string {
  const stage = stageLabel(pebble, settings);
  const parts = [
    STATUS_LABELS[pebble.status],
    stage,
    pebble.severity ? `severity ${pebble.severity}` : undefined,
    peopleAffected(pebble),
  ].filter(Boolean);
  return `*${shortId(pebble.number)}* ${pebble.title} — ${parts.join(' · ')}`;
}

/** One pebble, in full. */
export function pebbleView(
  pebble: Pebble,
  settings: WorkspaceSettings,
  viewer?: Viewer,
): MessageView {
  const fields = [
    { label: 'Status', value: statusLine(pebble) },
    { label: 'Who feels it', value: STAKEHOLDER_LABELS[pebble.stakeholder] },
    { label: 'Journey stage', value: stageLabel(pebble, settings) ?? 'Not set' },
    {
      label: 'Severity',
      value: pebble.severity
        ? (SEVERITY_LABELS[pebble.severity] ?? String(pebble.severity))
        : 'Not set',
    },
    { label: 'People affected', value: peopleAffected(pebble) },
    { label: 'Reported by', value: reporterLabel(pebble, viewer) },
  ];
  if (pebble.segment) fields.push({ label: 'Segment', value: pebble.segment });
  if (pebble.frequency || pebble.minutesLost !== undefined) {
    fields.push({
      label: 'Friction cost',
      value: [
        pebble.frequency,
        pebble.minutesLost !== undefined ? `${pebble.minutesLost} min lost each time` : undefined,
      ]
        .filter(Boolean)
        .join(', '),
    });
  }
  const blocks: BlockView[] = [
    { type: 'header', text: `${shortId(pebble.number)} ${pebble.title}` },
    { type: 'section', text: pebble.description || '_No description yet._', fields },
  ];
  if (pebble.source.permalink)
    blocks.push({ type: 'context', text: `Source: ${pebble.source.permalink}` });
  blocks.push({
    type: 'context',
    text: `Reported ${dayOf(pebble.createdAt, settings.timezone)} · ${pebble.history.length} change${pebble.history.length === 1 ? '' : 's'} in history`,
  });
  const buttons: ButtonView[] = [];
  // Whoever opens a pebble (from `show` or the Home tab) may feel it too; the reporter already
  // counts, and a duplicate's +1 reaches the pebble it duplicates (core redirects it).
  if (
    (isOpen(pebble.status) || pebble.status === 'duplicate') &&
    viewer?.userId !== pebble.reporter.userId
  )
    buttons.push({
      label: '+1',
      actionId: ACTIONS.support,
      value: String(pebble.number),
      style: 'primary',
      accessibilityLabel: `+1 ${shortId(pebble.number)}: it gets in my way too`,
    });
  const council = sendToCouncilButton(pebble, settings);
  if (council) buttons.push(council);
  if (buttons.length) blocks.push({ type: 'actions', buttons });
  return {
    text: `${shortId(pebble.number)} ${pebble.title} (${STATUS_LABELS[pebble.status]})`,
    blocks,
  };
}

export interface ListPage {
  items: Pebble[];
  total: number;
  offset: number;
  limit: number;
}

/** A page of pebbles with a next/previous control when there are more. */
export function pebbleListView(
  page: ListPage,
  settings: WorkspaceSettings,
  options: { title: string; emptyText?: string; pageValue?: (offset: number) => string } = {
    title: 'Pebbles',
  },
): MessageView {
  if (page.total === 0 || page.items.length === 0) {
    const text = options.emptyText ?? 'No pebbles here yet. Report one with `report <text>`.';
    return {
      text,
      blocks: [
        { type: 'header', text: options.title },
        { type: 'section', text },
      ],
    };
  }
  const from = page.offset + 1;
  const to = page.offset + page.items.length;
  const blocks: BlockView[] = [
    { type: 'header', text: options.title },
    { type: 'context', text: `Showing ${from}–${to} of ${page.total}` },
    ...page.items.map((p): BlockView => ({
      type: 'section',
      text: oneLine(p, settings),
      button: { label: 'Show', actionId: ACTIONS.show, value: String(p.number) },
    })),
  ];
  const buttons: ButtonView[] = [];
  if (options.pageValue && page.offset > 0) {
    buttons.push({
      label: 'Previous',
      actionId: ACTIONS.listPage,
      value: options.pageValue(Math.max(0, page.offset - page.limit)),
    });
  }
  if (options.pageValue && to < page.total) {
    buttons.push({ label: 'Next', actionId: ACTIONS.listPage, value: options.pageValue(to) });
  }
  if (buttons.length) blocks.push({ type: 'actions', buttons });
  return { text: `${options.title}: ${page.total} pebble${page.total === 1 ? '' : 's'}`, blocks };
}

/** The answer to a fresh report: its id, and ways to add details or join a similar pebble. */
export function confirmationView(
  pebble: Pebble,
  similar: { pebble: Pebble; score: number }[],
  options: { truncated?: boolean } = {},
): MessageView {
  const id = shortId(pebble.number);
  const blocks: BlockView[] = [
    {
      type: 'section',
      text: `:white_check_mark: *${id} recorded*: ${pebble.title}${pebble.anonymous ? '\n_Your name is hidden from everyone else._' : ''}`,
    },
  ];
  if (options.truncated) {
    blocks.push({
      type: 'context',
      text: 'Your text was longer than Pebblebot keeps, so it was shortened.',
    });
  }
  const buttons: ButtonView[] = [
    {
      label: 'Add details',
      actionId: ACTIONS.addDetails,
      value: String(pebble.number),
      style: 'primary',
    },
    {
      label: pebble.anonymous ? 'Show my name' : 'Make anonymous',
      actionId: ACTIONS.toggleAnonymous,
      value: String(pebble.number),
    },
  ];
  if (similar.length) {
    blocks.push({
      type: 'section',
      text: `Looks like ${similar.length === 1 ? 'this one' : 'these'} may already be known:\n${similar
        .map(
          (s) => `• *${shortId(s.pebble.number)}* ${s.pebble.title} (${peopleAffected(s.pebble)})`,
        )
        .join('\n')}`,
    });
    for (const s of similar) {
      buttons.push({
        label: `+1 ${shortId(s.pebble.number)} instead`,
        actionId: ACTIONS.mergeInto,
        value: `${pebble.number}:${s.pebble.number}`,
      });
    }
  }
  blocks.push({ type: 'actions', buttons });
  return { text: `${id} recorded: ${pebble.title}`, blocks };
}

/** A short notice (confirmation of an action, or a friendly error). */
export function noticeView(text: string): MessageView {
  return { text, blocks: [{ type: 'section', text }] };
}
