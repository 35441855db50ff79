import type { StageSummary } from '../core/pebbles/pebble.service.js';
import { shortId, type Pebble } from '../core/pebbles/pebble.model.js';
import type { WorkspaceSettings } from '../core/workspaces/workspace.model.js';
import { ACTIONS } from './actions.js';
import type { BlockView, MessageView } from '../core/ports/message-view.port.js';
import { oneLine, peopleAffected } from './pebble.view.js';
import {
  checklistBlocks,
  memberSettingsBlocks,
  settingsSummaryBlocks,
  type ChecklistItem,
} from './settings.view.js';

export interface HomeData {
  mine: { items: Pebble[]; total: number };
  supported: { items: Pebble[]; total: number };
  stages: StageSummary[];
}

/** What an admin's home adds: the setup checklist and the settings summary. */
export interface AdminHome {
  checklist: ChecklistItem[];
  openVotes: number;
  ballotKeyMissing: boolean;
}

/** Pebbles listed per section of the home view; the rest are a command away. */
export const HOME_ITEMS_PER_SECTION = 10;
/** Stages listed on the home view (a catalog can hold many journeys). */
export const HOME_STAGES_MAX = 30;
// NOTE: Slack allows 100 blocks in a Home tab; the stages give way when the rest needs room.
const HOME_BLOCKS_MAX = 100;

/** What happened to a pebble, for the person who reported it. */
export function whatHappened(pebble: Pebble): string {
  switch (pebble.status) {
    case 'new':
      return 'Waiting for triage.';
    case 'triaged':
      return 'Triaged: it can go to the CX council.';
    case 'in-council':
      return 'The CX council is deciding what to do about it.';
    case 'approved':
      return 'The council decided to fix it; an owner is being found.';
    case 'in-progress':
      return 'Someone owns the fix and promised a date.';
    case 'resolved':
      return 'Fixed. Tell us if it comes back.';
    case 'declined':
      return `Declined${pebble.declineReason ? `: ${pebble.declineReason}` : '.'}`;
    case 'duplicate':
      return pebble.duplicateOf
        ? `Joined ${shortId(pebble.duplicateOf)}: follow it there.`
        : 'Joined an earlier pebble.';
  }
}

function pebbleSections(
  items: Pebble[],
  settings: WorkspaceSettings,
  options: { happened?: boolean } = {},
): BlockView[] {
  return items.slice(0, HOME_ITEMS_PER_SECTION).map((p) => ({
    type: 'section',
    text: options.happened
      ? `${oneLine(p, settings)}
_${whatHappened(p)}_`
      : oneLine(p, settings),
    button: {
      label: 'Show',
      actionId: ACTIONS.show,
      value: String(p.number),
      accessibilityLabel: `Show ${shortId(p.number)}`,
    },
  }));
}

function stageBlocks(
  stages: StageSummary[],
  settings: WorkspaceSettings,
  options: { command: string; room: number },
): BlockView[] {
  // A stage nobody reported friction on says nothing: only stages with open pebbles are listed.
  const busy = stages.filter((s) => s.total > 0);
  const blocks: BlockView[] = [{ type: 'header', text: 'Open pebbles by journey stage' }];
  if (!busy.length) {
    blocks.push({ type: 'section', text: '_No open pebble: nothing gets in the way right now._' });
    return blocks;
  }
  const shown = Math.max(1, Math.min(HOME_STAGES_MAX, busy.length, options.room - 2));
  const multiJourney = settings.journeys.length > 1;
  for (const summary of busy.slice(0, shown)) {
    const name = summary.stage
      ? multiJourney && summary.journey
        ? `${summary.journey.name} › ${summary.stage.name}`
        : summary.stage.name
      : 'No stage yet';
    const lines = summary.newest.map(
      (p) => `• *${shortId(p.number)}* ${p.title} (${peopleAffected(p)})`,
    );
    blocks.push({
      type: 'section',
      text: `*${name}*: ${summary.total} open${lines.length ? `\n${lines.join('\n')}` : ''}`,
    });
  }
  if (busy.length > shown)
    blocks.push({
      type: 'context',
      text: `${busy.length - shown} more stages: \`${options.command ? `${options.command} ` : ''}list <stage>\`.`,
    });
  return blocks;
}

/**
 * The personal home of Pebblebot. Everyone first sees a Report button, their own pebbles and
 * what happened to them, the pebbles they supported, and the journey stages with open pebbles.
 * An admin's first visits start with the setup checklist; their settings come below, collapsed
 * to a summary with Edit buttons. No reporter is named on it.
 */
export function homeView(
  data: HomeData,
  settings: WorkspaceSettings,
  options: {
    command: string;
    admin?: AdminHome;
    /** Blocks for the sponsor and admins (improvements waiting for an owner). */
    lead?: BlockView[];
  },
): MessageView {
  const blocks: BlockView[] = [
    { type: 'header', text: 'Pebblebot' },
    {
      type: 'section',
      text: "Spotted friction in a customer's, employee's or partner's journey? Report it as a pebble: the CX council decides what to fix, and you hear back.",
    },
    {
      type: 'actions',
      buttons: [{ label: 'Report a pebble', actionId: ACTIONS.report, style: 'primary' }],
    },
  ];
  const admin = options.admin;
  const setupLeft = admin ? admin.checklist.some((i) => !i.done) : false;
  if (admin && setupLeft) blocks.push({ type: 'divider' }, ...checklistBlocks(admin.checklist));
  blocks.push({ type: 'divider' }, { type: 'header', text: 'Your pebbles' });
  if (data.mine.items.length === 0) {
    blocks.push({ type: 'section', text: '_You have not reported any pebble yet._' });
  } else {
    blocks.push(...pebbleSections(data.mine.items, settings, { happened: true }));
    if (data.mine.total > HOME_ITEMS_PER_SECTION)
      blocks.push({
        type: 'context',
        text: `Showing ${HOME_ITEMS_PER_SECTION} of ${data.mine.total}: \`${options.command ? `${options.command} ` : ''}mine\` lists them all.`,
      });
  }
  blocks.push({ type: 'divider' }, { type: 'header', text: 'Pebbles you supported' });
  if (data.supported.items.length === 0) {
    blocks.push({ type: 'section', text: '_No +1 yet. Press +1 on a pebble you feel too._' });
  } else {
    blocks.push(...pebbleSections(data.supported.items, settings));
    if (data.supported.total > HOME_ITEMS_PER_SECTION)
      blocks.push({
        type: 'context',
        text: `Showing ${HOME_ITEMS_PER_SECTION} of ${data.supported.total}.`,
      });
  }
  blocks.push(...(options.lead ?? []));
  const tail: BlockView[] = admin
    ? settingsSummaryBlocks(settings, { ...admin, setupComplete: !setupLeft })
    : memberSettingsBlocks(settings);
  blocks.push({ type: 'divider' });
  blocks.push(
    ...stageBlocks(data.stages, settings, {
      command: options.command,
      room: HOME_BLOCKS_MAX - blocks.length - tail.length,
    }),
  );
  blocks.push(...tail);
  return { text: 'Pebblebot home', blocks };
}
