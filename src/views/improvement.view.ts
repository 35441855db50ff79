import { voteShortId } from '../core/council/council.model.js';
import {
  IMPROVEMENT_STATUS_LABELS,
  improvementShortId,
  isActiveImprovement,
  promiseLedger,
  type Improvement,
  type PromiseEntry,
} from '../core/improvements/improvement.model.js';
import type {
  ImprovementNotices,
  OwnerAnswer,
  Release,
} from '../core/improvements/improvement.notices.js';
import {
  MAX_ESCALATION_LEVEL,
  type Escalation,
  type NudgeItem,
  type OwnerNudge,
} from '../core/improvements/nudge.planner.js';
import { shortId } from '../core/pebbles/pebble.model.js';
import type { WorkspaceSettings } from '../core/workspaces/workspace.model.js';
import { ACTIONS } from './actions.js';
import type { BlockView, ButtonView, MessageView } from '../core/ports/message-view.port.js';
import { dayOf, dayText } from './dates.js';
import { person } from './tokens.js';

const COMMAND = '/pebble';
// NOTE: Slack allows 50 blocks per message; a nudge spends at most 3 per improvement, so it
// lists 12 and says how many more there are.
export const NUDGE_ITEMS_MAX = 12;
/** Promises and check-ins shown on an improvement; the whole ledger stays in the store. */
const LEDGER_MAX = 8;

const ref = improvementShortId;

/** Days of an improvement's events are the owner's days (nudges follow their zone too). */
function zoneOf(improvement: Improvement): string {
  return improvement.ownerTimezone ?? 'UTC';
}

/** The owner as people read it: their name when known. */
export function ownerLabel(improvement: Improvement): string {
  if (!improvement.ownerId) return 'nobody yet';
  const name = person(improvement.ownerId, improvement.ownerName);
  return improvement.ownerPending ? `${name} (asked, not yet accepted)` : name;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "due in 3 days", "due today", "4 days overdue". */
export function dueLabel(daysLeft: number | undefined): string {
  if (daysLeft === undefined) return 'no date yet';
  if (daysLeft === 0) return 'due today';
  if (daysLeft > 0) return `due in ${plural(daysLeft, 'day')}`;
  return `${plural(-daysLeft, 'day')} overdue`;
}

function pebbleRefs(improvement: Improvement): string {
  return improvement.pebbleNumbers.map(shortId).join(', ');
}

/** One improvement on one line: id, title, status, owner, date. */
export function improvementLine(improvement: Improvement): string {
  const parts = [
    IMPROVEMENT_STATUS_LABELS[improvement.status],
    improvement.ownerId ? ownerLabel(improvement) : 'no owner',
    improvement.promisedDate
      ? `promised ${dayText(improvement.promisedDate)}`
      : improvement.proposedDate
        ? `asked for ${dayText(improvement.proposedDate)}`
        : undefined,
  ].filter(Boolean);
  return `*${ref(improvement.number)}* ${improvement.title} — ${parts.join(' · ')}`;
}

function promiseLine(promise: PromiseEntry): string {
  const outcome: Record<PromiseEntry['outcome'], string> = {
    open: ':hourglass_flowing_sand: open',
    kept: ':white_check_mark: kept',
    broken: ':x: broken',
    withdrawn: ':leftwards_arrow_with_hook: withdrawn',
  };
  return `• ${dayText(promise.promisedDate)}, made ${dayOf(promise.madeAt, 'UTC')}: ${outcome[promise.outcome]}${promise.reason ? ` (${promise.reason})` : ''}`;
}

/**
 * The owner's one-click controls for an improvement they own: three primary buttons (where
 * things stand, and Done); Blocked, a new date and snoozes in the overflow menu. A DM lists up
 * to twelve improvements, so eight buttons each was a wall. Labels name the improvement for
 * screen readers, since "Done" alone does not say which.
 */
export function ownerActions(
  improvement: Improvement,
  options: { snooze?: boolean } = {},
): Extract<BlockView, { type: 'actions' }> {
  const n = improvement.number;
  const id = ref(n);
  return {
    type: 'actions',
    buttons: [
      {
        label: 'On track',
        actionId: ACTIONS.improvementStatus,
        value: `${n}:on-track`,
        accessibilityLabel: `${id} is on track`,
      },
      {
        label: 'At risk',
        actionId: ACTIONS.improvementStatus,
        value: `${n}:at-risk`,
        accessibilityLabel: `${id} is at risk`,
      },
      {
        label: 'Done',
        actionId: ACTIONS.improvementDone,
        value: String(n),
        style: 'primary',
        accessibilityLabel: `${id} is done`,
      },
    ],
    overflow: {
      options: [
        { label: 'Blocked', actionId: ACTIONS.improvementStatus, value: `${n}:blocked` },
        { label: 'Change the date…', actionId: ACTIONS.improvementChangeDate, value: String(n) },
        ...(options.snooze ? snoozeOptions(improvement) : []),
      ],
    },
  };
}

/** NOTE: with Blocked and Change date these make the 5 options Slack allows in an overflow. */
export function snoozeOptions(improvement: Improvement): ButtonView[] {
  const n = improvement.number;
  return [
    { label: 'Snooze 1 day', actionId: ACTIONS.improvementSnooze, value: `${n}:1d` },
    { label: 'Snooze 3 days', actionId: ACTIONS.improvementSnooze, value: `${n}:3d` },
    { label: 'Snooze 1 week', actionId: ACTIONS.improvementSnooze, value: `${n}:1w` },
  ];
}

/** Asked to own it: accept, pick another date right there, or decline (after a confirmation). */
function askActions(improvement: Improvement): Extract<BlockView, { type: 'actions' }> {
  const n = String(improvement.number);
  const id = ref(improvement.number);
  return {
    type: 'actions',
    buttons: [
      {
        label: 'Accept',
        actionId: ACTIONS.improvementAccept,
        value: n,
        style: 'primary',
        accessibilityLabel: `Accept ${id}${improvement.proposedDate ? ` for ${improvement.proposedDate}` : ''}`,
      },
      {
        label: 'Decline…',
        actionId: ACTIONS.improvementDecline,
        value: n,
        style: 'danger',
        accessibilityLabel: `Decline ${id}`,
        confirm: {
          title: `Decline ${id}?`,
          text: 'Whoever asked you is told, and the improvement has no owner until someone else takes it.',
          confirm: 'Decline',
          deny: 'Keep it',
        },
      },
    ],
    datepickers: [
      {
        actionId: ACTIONS.improvementProposeDate,
        value: n,
        placeholder: 'Propose another date',
        ...(improvement.proposedDate ? { initial: improvement.proposedDate } : {}),
      },
    ],
  };
}

function sponsorActions(improvement: Improvement): Extract<BlockView, { type: 'actions' }> {
  const n = String(improvement.number);
  const id = ref(improvement.number);
  return {
    type: 'actions',
    buttons: [
      { label: 'Reassign', actionId: ACTIONS.improvementReassign, value: n },
      { label: 'Extend the date', actionId: ACTIONS.improvementExtend, value: n },
      {
        label: 'Drop…',
        actionId: ACTIONS.improvementDrop,
        value: n,
        style: 'danger',
        accessibilityLabel: `Drop ${id}`,
        confirm: {
          title: `Drop ${id}?`,
          text: 'The owner’s promise is withdrawn and its pebbles go back to triage.',
          confirm: 'Drop it',
          deny: 'Keep it',
        },
      },
    ],
  };
}

/** One improvement in full: status, owner, the promise ledger, recent check-ins. */
export function improvementView(
  improvement: Improvement,
  options: { viewerId?: string } = {},
): MessageView {
  const fields = [
    { label: 'Status', value: IMPROVEMENT_STATUS_LABELS[improvement.status] },
    { label: 'Owner', value: ownerLabel(improvement) },
    {
      label: 'Promised date',
      value: improvement.promisedDate
        ? dayText(improvement.promisedDate)
        : improvement.proposedDate
          ? `asked for ${dayText(improvement.proposedDate)}`
          : 'not yet',
    },
    { label: 'Fixes', value: pebbleRefs(improvement) },
  ];
  if (improvement.recurrences > 0)
    fields.push({ label: 'Came back', value: plural(improvement.recurrences, 'time') });
  const blocks: BlockView[] = [
    { type: 'header', text: `${ref(improvement.number)} ${improvement.title}` },
    {
      type: 'section',
      text: improvement.voteNumber
        ? `Approved by the CX council in ${voteShortId(improvement.voteNumber)}.`
        : 'A journey improvement.',
      fields,
    },
  ];
  const ledger = promiseLedger(improvement);
  if (ledger.length) {
    blocks.push({
      type: 'section',
      text: `*Promises*\n${ledger.slice(-LEDGER_MAX).map(promiseLine).join('\n')}`,
    });
  }
  const checkIns = improvement.checkIns.slice(-3).reverse();
  if (checkIns.length) {
    blocks.push({
      type: 'section',
      text: `*Latest check-ins*\n${checkIns
        .map(
          (c) =>
            `• ${dayOf(c.at, zoneOf(improvement))} ${IMPROVEMENT_STATUS_LABELS[c.status]}${c.note ? `: ${c.note}` : ''}`,
        )
        .join('\n')}`,
    });
  }
  const isOwner = options.viewerId !== undefined && options.viewerId === improvement.ownerId;
  if (isOwner && isActiveImprovement(improvement.status)) {
    blocks.push(improvement.ownerPending ? askActions(improvement) : ownerActions(improvement));
  }
  return {
    text: `${ref(improvement.number)} ${improvement.title} (${IMPROVEMENT_STATUS_LABELS[improvement.status]})`,
    blocks,
  };
}

/** A list of improvements, one line each. */
export function improvementListView(
  items: Improvement[],
  total: number,
  title = 'Journey improvements',
): MessageView {
  if (items.length === 0) {
    const text = 'No journey improvements yet. The CX council turns approved pebbles into them.';
    return {
      text,
      blocks: [
        { type: 'header', text: title },
        { type: 'section', text },
      ],
    };
  }
  return {
    text: `${title}: ${total}`,
    blocks: [
      { type: 'header', text: title },
      ...(total > items.length
        ? [{ type: 'context' as const, text: `Showing ${items.length} of ${total}` }]
        : []),
      ...items.map((i): BlockView => ({ type: 'section', text: improvementLine(i) })),
    ],
  };
}

const REASON_TEXT: Record<NudgeItem['reason'], string> = {
  overdue: ':red_circle:',
  'due-soon': ':large_orange_circle:',
  'awaiting-answer': ':wave:',
  'check-in': ':large_blue_circle:',
};

function nudgeItemBlocks(item: NudgeItem): BlockView[] {
  const { improvement } = item;
  const when =
    item.reason === 'awaiting-answer'
      ? `waiting for your answer, asked for ${improvement.proposedDate ? dayText(improvement.proposedDate) : 'a date'}`
      : `${dueLabel(item.daysLeft)}${improvement.promisedDate ? ` (promised ${dayText(improvement.promisedDate)})` : ''}`;
  return [
    {
      type: 'section',
      text: `${REASON_TEXT[item.reason]} *${ref(improvement.number)}* ${improvement.title}\n${IMPROVEMENT_STATUS_LABELS[improvement.status]} · ${when}`,
    },
    item.reason === 'awaiting-answer'
      ? askActions(improvement)
      : ownerActions(improvement, {
          snooze: item.daysLeft === undefined || item.daysLeft > 0,
        }),
  ];
}

function ownerAnswerText(improvement: Improvement, ownerId: string, answer: OwnerAnswer): string {
  const who = person(ownerId, ownerId === improvement.ownerId ? improvement.ownerName : undefined);
  const id = `*${ref(improvement.number)}* ${improvement.title}`;
  switch (answer.kind) {
    case 'accepted':
      return `:handshake: ${who} accepted ${id} and promised it for *${dayText(answer.date)}*.`;
    case 'proposed':
      return `:handshake: ${who} accepted ${id} for *${dayText(answer.date)}*${answer.asked ? ` instead of ${dayText(answer.asked)}` : ''}.`;
    case 'declined':
      return `:no_entry_sign: ${who} declined ${id}: "${answer.reason}". It has no owner now: \`${COMMAND} improvement assign ${ref(improvement.number)} @someone YYYY-MM-DD\` asks someone else.`;
  }
}

function releaseText(improvement: Improvement, release: Release): string {
  const id = `*${ref(improvement.number)}* ${improvement.title}`;
  return release.kind === 'reassigned'
    ? `${id} was given to ${improvement.ownerId ? person(improvement.ownerId, improvement.ownerName) : 'someone else'}; your promise for it is withdrawn. Thank you for carrying it.`
    : `${id} was dropped: "${release.reason}". Your promise for it is withdrawn.`;
}

/** The messages of the improvement life cycle (the core's ImprovementNotices port). */
export const improvementNotices: ImprovementNotices = {
  ownerAsked(improvement) {
    const id = `${ref(improvement.number)} ${improvement.title}`;
    return {
      text: `Will you own ${id}, by ${improvement.proposedDate ?? 'a date you choose'}?`,
      blocks: [
        { type: 'header', text: `Will you own ${ref(improvement.number)}?` },
        {
          type: 'section',
          text: `The CX council wants *${improvement.title}* fixed, for ${pebbleRefs(improvement)}.\nAsked for: *${improvement.proposedDate ? dayText(improvement.proposedDate) : 'a date you choose'}*.`,
        },
        {
          type: 'context',
          text: 'Accept to promise that date, propose another one, or decline with a reason. Everyone who reported or supported these pebbles hears when it is done.',
        },
        askActions(improvement),
      ],
    };
  },

  ownerAnswered(improvement, ownerId, answer) {
    const text = ownerAnswerText(improvement, ownerId, answer);
    return { text, blocks: [{ type: 'section', text }] };
  },

  ownerReleased(improvement, release) {
    const text = releaseText(improvement, release);
    return { text, blocks: [{ type: 'section', text }] };
  },

  dateChanged(improvement, _by, from, to) {
    const text = `:calendar: The promised date of *${ref(improvement.number)}* ${improvement.title} moved from ${dayText(from)} to *${dayText(to)}*. The ledger keeps both.`;
    return {
      text,
      blocks: [{ type: 'section', text }, ownerActions(improvement)],
    };
  },

  nudge(nudge: OwnerNudge) {
    const shown = nudge.items.slice(0, NUDGE_ITEMS_MAX);
    const overdue = nudge.items.filter((i) => i.reason === 'overdue').length;
    const blocks: BlockView[] = [
      {
        type: 'section',
        text: `:wave: Your journey improvements today${overdue ? ` (${overdue} overdue)` : ''}. One click tells everyone where things stand.`,
      },
      ...shown.flatMap(nudgeItemBlocks),
    ];
    if (nudge.items.length > shown.length)
      blocks.push({
        type: 'context',
        text: `${nudge.items.length - shown.length} more: \`${COMMAND} improvement mine\` lists them all.`,
      });
    blocks.push({
      type: 'context',
      text: 'A snooze pauses these reminders, never past a promised date.',
    });
    return {
      text: `Check-in: ${plural(nudge.items.length, 'journey improvement')} ${nudge.items.length === 1 ? 'needs' : 'need'} a status update`,
      blocks,
    };
  },

  escalation(escalation: Escalation) {
    const { improvement, level, overdueDays, blockedDays } = escalation;
    const why = [
      overdueDays > 0
        ? `${plural(overdueDays, 'day')} overdue (promised ${improvement.promisedDate ? dayText(improvement.promisedDate) : 'no date'})`
        : undefined,
      blockedDays > 0 ? `blocked for ${plural(blockedDays, 'day')}` : undefined,
    ]
      .filter(Boolean)
      .join(' and ');
    const last = improvement.checkIns.at(-1);
    const blocks: BlockView[] = [
      { type: 'header', text: `${ref(improvement.number)} needs you` },
      {
        type: 'section',
        text: `*${improvement.title}* is ${why}.\nOwner: ${ownerLabel(improvement)} · fixes ${pebbleRefs(improvement)}`,
      },
    ];
    if (last)
      blocks.push({
        type: 'context',
        text: `Last check-in ${dayOf(last.at, zoneOf(improvement))}: ${IMPROVEMENT_STATUS_LABELS[last.status]}${last.note ? `, "${last.note}"` : ''}`,
      });
    blocks.push(
      {
        type: 'context',
        text: `Escalation ${level} of ${MAX_ESCALATION_LEVEL}. As executive sponsor you can give it to someone else, extend the date (recorded as a broken promise and a new one) or drop it.`,
      },
      sponsorActions(improvement),
    );
    return {
      text: `Escalation: ${ref(improvement.number)} ${improvement.title} is ${why}`,
      blocks,
    };
  },

  closeTheLoop(improvement, recipient, pebbles) {
    const lines = pebbles.map((p) => {
      const reported = p.reporter.userId === recipient;
      const how = reported
        ? p.anonymous
          ? 'You reported (anonymously; only you see this)'
          : 'You reported'
        : 'You supported';
      return `• ${how} *${shortId(p.number)}* ${p.title}`;
    });
    const done = improvement.checkIns.at(-1);
    const what = done?.status === 'done' && done.note ? `\n*What changed:* ${done.note}` : '';
    const who = improvement.ownerId
      ? person(improvement.ownerId, improvement.ownerName)
      : 'its owner';
    const n = String(improvement.number);
    return {
      text: `Fixed: ${improvement.title}. Did this fix it for you?`,
      blocks: [
        { type: 'header', text: `Fixed: ${improvement.title}` },
        { type: 'section', text: lines.join('\n') },
        {
          type: 'section',
          text: `*${ref(improvement.number)}* is done, by ${who}, on ${dayOf(improvement.doneAt ?? new Date(), zoneOf(improvement))}.${what}`,
        },
        { type: 'section', text: '*Did this fix it for you?*' },
        {
          type: 'actions',
          buttons: [
            { label: 'Yes', actionId: ACTIONS.improvementFixedYes, value: n, style: 'primary' },
            {
              label: 'Not really',
              actionId: ACTIONS.improvementFixedNo,
              value: n,
              confirm: {
                title: 'It is not fixed?',
                text: 'Your pebble is reopened and goes back to the council, counted as having come back.',
                confirm: 'Reopen it',
                deny: 'Cancel',
              },
            },
          ],
        },
      ],
    };
  },
};

/** The settings of nudges and escalation, as admins read them. */
export function nudgeSettingsText(settings: WorkspaceSettings): string {
  const n = settings.nudges;
  return [
    '*Journey improvement settings*',
    `• Executive sponsor: ${settings.sponsor ? person(settings.sponsor) : 'none (escalations are not sent)'}`,
    `• Check-in nudge every ${plural(n.checkInEveryDays, 'day')}, daily from ${plural(n.dailyFromDaysBefore, 'day')} before the promised date and when overdue`,
    `• Quiet hours ${n.quietStart}–${n.quietEnd} in each owner's time zone${n.skipWeekends ? ', none on weekends' : ''}`,
    `• Escalation after ${plural(n.escalateAfterDays, 'day')} overdue or blocked (then every ${plural(n.escalateAfterDays, 'day')}, ${MAX_ESCALATION_LEVEL} levels at most)`,
  ].join('\n');
}

/** App Home section for the sponsor and admins: planned improvements nobody owns yet. */
export function unownedImprovementsHomeBlocks(page: {
  items: Improvement[];
  total: number;
}): BlockView[] {
  if (page.total === 0) return [];
  const blocks: BlockView[] = [
    { type: 'divider' },
    { type: 'header', text: 'Improvements waiting for an owner' },
    ...page.items.map((improvement): BlockView => ({
      type: 'section',
      text: improvementLine(improvement),
      button: {
        label: 'Assign an owner…',
        actionId: ACTIONS.improvementReassign,
        value: String(improvement.number),
      },
    })),
  ];
  if (page.total > page.items.length) {
    blocks.push({
      type: 'context',
      text: `${page.total - page.items.length} more: /pebble improvement list shows them all.`,
    });
  }
  return blocks;
}
