import type { StageSummary } from '../core/pebbles/pebble.service.js';
import { shortId, type Pebble } from '../core/pebbles/pebble.model.js';
import type { WorkspaceSettings } from '../core/workspaces/workspace.model.js';
import { ACTIONS } from './actions.js';
import type { BlockView, MessageView } from '../core/ports/message-view.port.js';
import { oneLine, peopleAffected } from './pebble.view.js';

export interface HomeData {
  mine: { items: Pebble[]; total: number };
  supported: { items: Pebble[]; total: number };
  stages: StageSummary[];
}

/** Pebbles listed per section of the home view; the rest are a command away. */
export const HOME_ITEMS_PER_SECTION = 10;
/** Stages listed on the home view (a catalog can hold many journeys). */
export const HOME_STAGES_MAX = 30;

function pebbleSections(items: Pebble[], settings: WorkspaceSettings): BlockView[] {
  return items.slice(0, HOME_ITEMS_PER_SECTION).map((p) => ({
    type: 'section',
    text: oneLine(p, settings),
    button: { label: 'Show', actionId: ACTIONS.show, value: String(p.number) },
  }));
}

/**
 * The personal home of Pebblebot: a Report button, my pebbles with their status, the pebbles I
 * supported, and the open pebbles of each journey stage. No reporter is named on it.
 */
export function homeView(
  data: HomeData,
  settings: WorkspaceSettings,
  options: { command: string },
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
    { type: 'divider' },
    { type: 'header', text: 'Your pebbles' },
  ];
  if (data.mine.items.length === 0) {
    blocks.push({ type: 'section', text: '_You have not reported any pebble yet._' });
  } else {
    blocks.push(...pebbleSections(data.mine.items, settings));
    if (data.mine.total > HOME_ITEMS_PER_SECTION)
      blocks.push({
        type: 'context',
        text: `Showing ${HOME_ITEMS_PER_SECTION} of ${data.mine.total}: \`${options.command} mine\` lists them all.`,
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
  blocks.push({ type: 'divider' }, { type: 'header', text: 'Open pebbles by journey stage' });
  const multiJourney = settings.journeys.length > 1;
  for (const summary of data.stages.slice(0, HOME_STAGES_MAX)) {
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
  if (data.stages.length > HOME_STAGES_MAX)
    blocks.push({
      type: 'context',
      text: `${data.stages.length - HOME_STAGES_MAX} more stages: \`${options.command} list <stage>\`.`,
    });
  return { text: 'Pebblebot home', blocks };
}
