import {
  OPTION_LABELS,
  VOTE_OPTIONS,
  voteShortId,
  type CouncilMember,
  type CouncilSettings,
  type Vote,
  type VoteOption,
  type VoteResult,
} from '../core/council/council.model.js';
import type { CouncilNotices, Recipient, VoteProgress } from '../core/council/council.notices.js';
import { requiredQuorum } from '../core/council/council.rules.js';
import {
  IMPROVEMENT_STATUS_LABELS,
  improvementShortId,
} from '../core/improvements/improvement.model.js';
import { SEVERITY_LABELS, shortId, type Pebble } from '../core/pebbles/pebble.model.js';
import type { WorkspaceSettings } from '../core/workspaces/workspace.model.js';
import { ACTIONS } from './actions.js';
import type {
  BlockView,
  ButtonView,
  MessageView,
  SelectView,
} from '../core/ports/message-view.port.js';
import { peopleAffected, stageLabel } from './pebble.view.js';
import { momentText } from './dates.js';
import { channel, person } from './tokens.js';

const COMMAND = '/pebble';
const ref = voteShortId;

const ACTIVE_IMPROVEMENT_STATUSES_SHOWN = 20;

/**
 * A moment as a date token: each reader sees it in their own zone where the platform can, and
 * "Wed 7 Jan, 10:00 (Europe/Paris)" (the workspace's zone) elsewhere.
 */
export function formatWhen(at: Date, timezone: string): string {
  return momentText(at, timezone);
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

// A member's name as read; only an unnamed member becomes a token (Slack names them), so a
// ballot tally in the council channel does not ping every voter.
function memberName(member: Pick<CouncilMember, 'userId' | 'name'>): string {
  return member.name ?? person(member.userId);
}

/** What a pebble costs, when its reporter estimated it. */
function frictionCost(pebble: Pebble): string | undefined {
  if (!pebble.frequency && pebble.minutesLost === undefined) return undefined;
  return [
    pebble.frequency ? `happens ${pebble.frequency}` : undefined,
    pebble.minutesLost !== undefined ? `${pebble.minutesLost} min lost each time` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
}

/** "severity 3 (blocks a task)". */
function severityLabel(severity: number): string {
  const words = SEVERITY_LABELS[severity]?.split(' · ')[1];
  return `severity ${severity}${words ? ` (${words.toLowerCase()})` : ''}`;
}

/** One pebble of a proposal: title, stage, severity, support, friction cost. */
export function proposalLine(pebble: Pebble, settings: WorkspaceSettings): string {
  const facts = [
    stageLabel(pebble, settings) ?? 'no stage',
    pebble.severity ? severityLabel(pebble.severity) : undefined,
    `${peopleAffected(pebble)} affected`,
    frictionCost(pebble),
  ].filter(Boolean);
  return `*${shortId(pebble.number)}* ${pebble.title}\n${facts.join(' · ')}`;
}

function pebbleBlocks(pebbles: Pebble[], settings: WorkspaceSettings): BlockView[] {
  return pebbles.map((p) => ({
    type: 'section',
    text: proposalLine(p, settings),
    button: { label: `Show ${shortId(p.number)}`, actionId: ACTIONS.show, value: String(p.number) },
  }));
}

function subject(vote: Vote, pebbles: Pebble[]): string {
  const [first] = pebbles;
  if (pebbles.length === 1 && first) return `${shortId(first.number)} ${first.title}`;
  return vote.pebbleNumbers.map(shortId).join(', ');
}

export function ballotButtons(vote: Vote): ButtonView[] {
  return [
    ...VOTE_OPTIONS.map((option): ButtonView => ({
      label: OPTION_LABELS[option],
      actionId: ACTIONS.councilBallot,
      value: `${vote.number}:${option}`,
      ...(option === 'fix-now' ? { style: 'primary' as const } : {}),
    })),
    { label: 'Recuse', actionId: ACTIONS.councilBallot, value: `${vote.number}:recuse` },
  ];
}

function rulesLine(vote: Vote, settings: WorkspaceSettings): string {
  const parts = [
    `Closes ${formatWhen(vote.deadline, settings.timezone)}`,
    vote.rules.quorum === undefined
      ? 'quorum: half the members, rounded up'
      : `quorum: ${vote.rules.quorum}`,
    vote.rules.threshold === 50
      ? 'simple majority'
      : vote.rules.threshold >= 100
        ? 'every ballot must agree'
        : `more than ${vote.rules.threshold}% of ballots`,
  ];
  if (vote.rules.balance) parts.push(`ballots from at least ${vote.rules.balance} functions`);
  parts.push(
    vote.rules.secret
      ? 'secret ballot: nobody, admins included, sees who chose what'
      : 'open ballot: names are shown after the close',
  );
  return parts.join(' · ');
}

function tallyText(result: VoteResult, secret: boolean): string {
  return VOTE_OPTIONS.map((option) => {
    const line = `${OPTION_LABELS[option]}: *${result.tally[option]}*`;
    const names = !secret ? result.names?.[option] : undefined;
    return names?.length ? `${line} (${names.map(memberName).join(', ')})` : line;
  }).join('\n');
}

/** Why a vote went to the sponsor, in one sentence. */
export function escalationReason(result: VoteResult): string {
  switch (result.outcome) {
    case 'no-quorum':
      return `No quorum: ${plural(result.cast, 'ballot')} of the ${result.quorumRequired} needed.`;
    case 'no-balance':
      return `Not balanced: ballots from ${plural(result.functionsVoted, 'function')}, ${result.balanceRequired ?? 0} needed.`;
    case 'tie':
      return `A tie between ${result.leading.map((o) => OPTION_LABELS[o]).join(' and ')}.`;
    case 'no-majority':
      return 'No option reached the threshold.';
    case 'decided':
      return 'The council decided.';
  }
}

function followUpLines(vote: Vote, settings: WorkspaceSettings): string[] {
  const lines: string[] = [];
  const option = vote.decision?.option;
  if (option === 'fix-now') {
    if (vote.improvementNumber)
      lines.push(
        `:hammer_and_wrench: ${improvementShortId(vote.improvementNumber)} is planned; it needs an owner.`,
      );
    else if (vote.wip?.status === 'asked')
      lines.push(
        `:warning: The WIP limit is reached (${vote.wip.active} of ${vote.wip.limit} active): the council is asked what to displace, or to queue it.`,
      );
    else if (vote.wip?.status === 'queued')
      lines.push(':hourglass_flowing_sand: Queued: planned as soon as an active improvement ends.');
  }
  if (vote.wip?.status === 'displaced' && vote.wip.displaced)
    lines.push(`${improvementShortId(vote.wip.displaced)} was displaced to make room.`);
  if (option === 'next-cycle' && vote.reproposeAt)
    lines.push(`Back before the council on ${formatWhen(vote.reproposeAt, settings.timezone)}.`);
  if (vote.reproposedAs) lines.push(`Proposed again as ${ref(vote.reproposedAs)}.`);
  if (option === 'need-info') lines.push('The reporters are asked for more; back to triage.');
  if (option === 'not-now')
    lines.push(`Declined${vote.decision?.reason ? `: ${vote.decision.reason}` : '.'}`);
  return lines;
}

function outcomeTitle(vote: Vote): string {
  if (vote.decision) return `Decided: ${OPTION_LABELS[vote.decision.option]}`;
  if (vote.status === 'escalated') return 'Escalated to the sponsor';
  return 'Open';
}

/**
 * The proposal in the council channel. While open it shows the pebbles, the options, the
 * deadline and how many have voted, never what anyone chose; once closed, the result.
 */
export function voteMessageView(
  vote: Vote,
  pebbles: Pebble[],
  progress: VoteProgress,
  settings: WorkspaceSettings,
): MessageView {
  const blocks: BlockView[] = [
    { type: 'header', text: `Council vote ${ref(vote.number)}: ${outcomeTitle(vote)}` },
    ...pebbleBlocks(pebbles, settings),
  ];
  if (vote.reproposedFrom)
    blocks.push({ type: 'context', text: `Back from ${ref(vote.reproposedFrom)} ("Next cycle").` });
  if (vote.status === 'open') {
    const eligible = vote.electorate.length - progress.recused;
    const needed = requiredQuorum(eligible, vote.rules.quorum);
    blocks.push(
      { type: 'context', text: rulesLine(vote, settings) },
      {
        type: 'section',
        text:
          `*${progress.voted} of ${plural(vote.electorate.length, 'member')} voted*` +
          (progress.recused ? ` · ${progress.recused} recused` : '') +
          ` · quorum ${Math.min(progress.voted, needed)}/${needed}` +
          (progress.voted >= needed ? ' :white_check_mark:' : ''),
      },
      { type: 'actions', buttons: ballotButtons(vote) },
      {
        type: 'context',
        text: 'Council members vote here; you can change your ballot until the vote closes.',
      },
    );
    return {
      text: `Council vote ${ref(vote.number)} on ${subject(vote, pebbles)}: ${progress.voted} of ${vote.electorate.length} voted`,
      blocks,
    };
  }
  const result = vote.result;
  if (result) {
    blocks.push({ type: 'section', text: tallyText(result, vote.rules.secret) });
    blocks.push({
      type: 'context',
      text:
        `Closed ${vote.closedAt ? formatWhen(vote.closedAt, settings.timezone) : ''}` +
        ` (${vote.closedBy === 'all-voted' ? 'every member voted' : vote.closedBy === 'early' ? `closed early: ${vote.closeReason ?? 'no reason given'}` : 'deadline'}) · ` +
        `${plural(result.cast, 'ballot')} of ${result.electorate}` +
        (result.recused ? `, ${result.recused} recused` : '') +
        ` · quorum ${result.quorumRequired} ${result.quorumMet ? 'met' : 'not met'}` +
        (result.balanceRequired
          ? ` · ${plural(result.functionsVoted, 'function')} of ${result.balanceRequired} needed`
          : '') +
        (vote.rules.secret ? ' · secret ballot' : ''),
    });
  }
  if (vote.status === 'escalated' && result)
    blocks.push({
      type: 'section',
      text: `:arrow_up: ${escalationReason(result)} The executive sponsor decides.`,
    });
  if (vote.decision) {
    const by =
      vote.decision.by === 'sponsor'
        ? `the executive sponsor (${result ? escalationReason(result) : 'escalated'})`
        : 'the council';
    blocks.push({
      type: 'section',
      text: `*${OPTION_LABELS[vote.decision.option]}*, decided by ${by}.`,
    });
  }
  const follow = followUpLines(vote, settings);
  if (follow.length) blocks.push({ type: 'context', text: follow.join('\n') });
  if (vote.decision?.option === 'not-now')
    blocks.push({
      type: 'actions',
      buttons: [
        {
          label: vote.decision.reason
            ? "Change the council's reason…"
            : "Give the council's reason…",
          actionId: ACTIONS.councilReason,
          value: String(vote.number),
        },
      ],
    });
  return {
    text: `Council vote ${ref(vote.number)} on ${subject(vote, pebbles)}: ${outcomeTitle(vote)}`,
    blocks,
  };
}

const DECISION_TEXT: Record<VoteOption, string> = {
  'fix-now':
    'a journey improvement is planned: an owner commits to a date, and you will hear when it is done.',
  'next-cycle': 'it comes back before the council at the start of the next cycle.',
  'not-now': 'it is declined for now.',
  'need-info': 'the council needs more information before it can decide; back to triage.',
};

function whose(recipient: Recipient): string {
  return recipient === 'reporter' ? 'Your pebble' : 'A pebble you supported,';
}

/** The council's messages, as platform-neutral views. */
export const councilNotices: CouncilNotices = {
  voteMessage: voteMessageView,

  proposed(vote, pebble, recipient) {
    const text =
      `${whose(recipient)} *${shortId(pebble.number)}* ${pebble.title}${recipient === 'supporter' ? ',' : ''} ` +
      `is going to the CX council (vote ${ref(vote.number)}). You will hear what it decides.`;
    return {
      text: `${shortId(pebble.number)} is going to the council`,
      blocks: [{ type: 'section', text }],
    };
  },

  reminder(vote, pebbles, settings) {
    const text = `:hourglass: Council vote ${ref(vote.number)} closes ${formatWhen(vote.deadline, settings.timezone)} and you have not voted yet.`;
    return {
      text: `Reminder: council vote ${ref(vote.number)} closes soon`,
      blocks: [
        { type: 'section', text },
        ...pebbleBlocks(pebbles, settings),
        { type: 'actions', buttons: ballotButtons(vote) },
        {
          type: 'context',
          text: vote.rules.secret
            ? 'Secret ballot: nobody, admins included, will see what you chose.'
            : 'Open ballot: names are shown after the close.',
        },
      ],
    };
  },

  escalation(vote, pebbles, settings) {
    const result = vote.result;
    const reason = result ? escalationReason(result) : 'The council could not decide.';
    return {
      text: `Council vote ${ref(vote.number)} needs your decision`,
      blocks: [
        { type: 'header', text: `Your decision: council vote ${ref(vote.number)}` },
        {
          type: 'section',
          text: `${reason} As executive sponsor, you decide what happens to ${plural(pebbles.length, 'pebble')}.`,
        },
        ...pebbleBlocks(pebbles, settings),
        ...(result
          ? [{ type: 'section' as const, text: tallyText(result, vote.rules.secret) }]
          : []),
        {
          type: 'actions',
          buttons: VOTE_OPTIONS.map((option) => ({
            label: OPTION_LABELS[option],
            actionId: ACTIONS.councilDecide,
            value: `${vote.number}:${option}`,
            ...(option === 'fix-now' ? { style: 'primary' as const } : {}),
          })),
        },
      ],
    };
  },

  escalationWithoutSponsor(vote, pebbles, settings) {
    const reason = vote.result ? escalationReason(vote.result) : 'The council could not decide.';
    return {
      text: `Council vote ${ref(vote.number)} needs a decision`,
      blocks: [
        {
          type: 'section',
          text: `${reason} There is no executive sponsor (set one with \`${COMMAND} config council sponsor @name\`), so a Pebblebot admin decides.`,
        },
        ...pebbleBlocks(pebbles, settings),
        {
          type: 'actions',
          buttons: VOTE_OPTIONS.map((option) => ({
            label: OPTION_LABELS[option],
            actionId: ACTIONS.councilDecide,
            value: `${vote.number}:${option}`,
          })),
        },
      ],
    };
  },

  decided(vote, pebbles, recipient) {
    const option = vote.decision?.option ?? 'next-cycle';
    const names = pebbles.map((p) => `*${shortId(p.number)}* ${p.title}`).join(', ');
    const lead =
      pebbles.length === 1
        ? `${whose(recipient)} ${names}${recipient === 'supporter' ? ',' : ''}`
        : `Pebbles you ${recipient === 'reporter' ? 'reported or ' : ''}supported (${names})`;
    const by = vote.decision?.by === 'sponsor' ? 'the executive sponsor' : 'the CX council';
    const blocks: BlockView[] = [
      {
        type: 'section',
        text: `${lead} ${pebbles.length === 1 ? 'was' : 'were'} decided by ${by}: *${OPTION_LABELS[option]}*. Next: ${DECISION_TEXT[option]}`,
      },
    ];
    if (option === 'not-now' && vote.decision?.reason)
      blocks.push({ type: 'section', text: `>${vote.decision.reason}` });
    blocks.push({
      type: 'context',
      text: `Council vote ${ref(vote.number)}. Thank you for speaking up.`,
    });
    return { text: `The council decided: ${OPTION_LABELS[option]}`, blocks };
  },

  needInfo(vote, pebble) {
    return {
      text: `The council needs more about ${shortId(pebble.number)}`,
      blocks: [
        {
          type: 'section',
          text:
            `The CX council looked at your pebble *${shortId(pebble.number)}* ${pebble.title} (vote ${ref(vote.number)}) ` +
            'and needs more before it can decide: how often does it happen, who does it hit, what does it cost? ' +
            'Add what you know; it is back in triage and can go to the council again.',
        },
        {
          type: 'actions',
          buttons: [
            {
              label: 'Add details',
              actionId: ACTIONS.addDetails,
              value: String(pebble.number),
              style: 'primary',
            },
          ],
        },
        { type: 'context', text: 'Only you received this message.' },
      ],
    };
  },

  ownerWanted(vote, improvement) {
    return {
      text: `${improvementShortId(improvement.number)} needs an owner`,
      blocks: [
        {
          type: 'section',
          text:
            `:hammer_and_wrench: *${improvementShortId(improvement.number)}* ${improvement.title} is planned ` +
            `(council vote ${ref(vote.number)}: Fix now). *Who owns it?* Volunteer in this thread; ` +
            'the sponsor or an admin asks the owner for a promised date.',
        },
        {
          type: 'actions',
          buttons: [
            {
              label: 'Assign an owner…',
              actionId: ACTIONS.improvementReassign,
              value: String(improvement.number),
              style: 'primary',
            },
          ],
        },
      ],
    };
  },

  wipQuestion(vote, active, settings) {
    const shown = active.slice(0, ACTIVE_IMPROVEMENT_STATUSES_SHOWN);
    const select: SelectView = {
      placeholder: 'Displace an improvement',
      actionId: ACTIONS.councilWipDisplace,
      options: shown.map((i) => ({
        label: `${improvementShortId(i.number)} ${i.title} (${IMPROVEMENT_STATUS_LABELS[i.status]})`,
        value: `${vote.number}:${i.number}`,
      })),
    };
    return {
      text: `Council vote ${ref(vote.number)}: over the WIP limit`,
      blocks: [
        {
          type: 'section',
          text:
            `:warning: Council vote ${ref(vote.number)} decided *Fix now*, but ${plural(vote.wip?.active ?? shown.length, 'improvement is', 'improvements are')} ` +
            `already active (the limit is ${vote.wip?.limit ?? settings.council.wipLimit}). ` +
            'Which one should make room (it is dropped), or should this one wait for a free slot?',
        },
        ...shown.map((i): BlockView => ({
          type: 'context',
          text: `${improvementShortId(i.number)} ${i.title} · ${IMPROVEMENT_STATUS_LABELS[i.status]}${i.ownerName ? ` · ${i.ownerName}` : ''}`,
        })),
        {
          type: 'actions',
          buttons: [
            { label: 'Queue it', actionId: ACTIONS.councilWipQueue, value: String(vote.number) },
          ],
          ...(shown.length ? { selects: [select] } : {}),
        },
      ],
    };
  },
};

/** The council settings, as `/pebble config council` and the Home tab show them. */
export function councilSettingsText(settings: WorkspaceSettings): string {
  const council: CouncilSettings = settings.council;
  const members = council.members.length
    ? council.members
        .slice(0, 30)
        .map((m) => `${person(m.userId, m.name)}${m.function ? ` (${m.function})` : ''}`)
        .join(', ') +
      (council.members.length > 30 ? ` and ${council.members.length - 30} more` : '')
    : 'none yet';
  return [
    '*CX council*',
    `• Members (${council.members.length}): ${members}`,
    `• Kept in sync with user group: ${council.userGroup ? (council.userGroup.handle ?? council.userGroup.id) : 'no'}`,
    `• Council channel: ${council.channel ? channel(council.channel) : 'not set'}`,
    `• Executive sponsor: ${settings.sponsor ? person(settings.sponsor) : 'not set (admins decide escalations)'}`,
    `• Voting window: ${plural(council.votingDays, 'working day')}`,
    `• Quorum: ${council.quorum === undefined ? 'half the members who do not recuse, rounded up' : plural(council.quorum, 'ballot')}`,
    `• Threshold: ${council.threshold === 50 ? 'simple majority of ballots cast' : council.threshold >= 100 ? 'unanimous' : `more than ${council.threshold}% of ballots cast`}`,
    `• Balance: ${council.balance ? `ballots from at least ${council.balance} functions` : 'off'}`,
    `• Ballots: ${council.secret ? 'secret' : 'open (names shown after close)'}`,
    `• WIP limit: ${plural(council.wipLimit, 'active improvement')}`,
    `• Cycle: ${council.cycle === 'week' ? 'weekly (Mondays)' : 'monthly (first working day)'}`,
  ].join('\n');
}

/** What `/pebble config council` understands. */
export const COUNCIL_CONFIG_USAGE = [
  `\`${COMMAND} config council\` shows the settings. Admins change them with:`,
  '• `members @ana @ben` (replace), `add @cy`, `remove @ben`',
  '• `group @cx-council` (keep members in sync with a user group) or `group off`',
  '• `function @ana Product`, `channel #cx-council`, `sponsor @vera`',
  '• `window 3` (working days), `quorum 4` or `quorum half`, `threshold 50` (percent)',
  '• `balance 3` (functions) or `balance off`, `ballots secret|open`, `wip 5`, `cycle week|month`',
].join('\n');

/** The admin section of the Home tab: the council settings and an edit button. */
export function councilHomeBlocks(settings: WorkspaceSettings, openVotes: Vote[]): BlockView[] {
  const blocks: BlockView[] = [
    { type: 'divider' },
    { type: 'header', text: 'CX council (admins)' },
    { type: 'section', text: councilSettingsText(settings) },
  ];
  if (openVotes.length)
    blocks.push({
      type: 'context',
      text: `Open votes: ${openVotes
        .slice(0, 20)
        .map(
          (v) =>
            `${ref(v.number)} (${v.status === 'open' ? `closes ${formatWhen(v.deadline, settings.timezone)}` : 'waiting for the sponsor'})`,
        )
        .join(', ')}`,
    });
  blocks.push({
    type: 'actions',
    buttons: [
      { label: 'Edit council settings', actionId: ACTIONS.councilSettings, style: 'primary' },
    ],
  });
  return blocks;
}

/** The private answer to a ballot click (to the voter only; never posted). */
export function ballotReceiptView(
  vote: Vote,
  choice: string,
  created: boolean,
  unchanged = false,
): MessageView {
  const label = choice === 'recuse' ? 'recused' : `*${OPTION_LABELS[choice as VoteOption]}*`;
  const what =
    choice === 'recuse'
      ? 'You recused yourself; you do not count toward the quorum. Vote to undo it.'
      : `Your ballot: ${label}.`;
  const head = created
    ? `:ballot_box_with_ballot: Ballot recorded on ${ref(vote.number)}. ${what}`
    : unchanged
      ? `:ballot_box_with_ballot: Your ballot on ${ref(vote.number)} is still ${label}; nothing changed.`
      : `:arrows_counterclockwise: Ballot changed on ${ref(vote.number)}. ${what}`;
  const text = head;
  return {
    text: `${created ? 'Ballot recorded' : unchanged ? 'Ballot unchanged' : 'Ballot changed'} on ${ref(vote.number)}`,
    blocks: [
      { type: 'section', text },
      {
        type: 'context',
        text: vote.rules.secret
          ? 'Secret ballot: it is stored without your name; nobody, admins included, can see what you chose. You can change it until the vote closes.'
          : 'Open ballot: names are shown after the close. You can change it until then.',
      },
    ],
  };
}
