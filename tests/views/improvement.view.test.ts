import { describe, expect, it } from 'vitest';
import { renderText } from '../../src/console/render-text.js';
import {
  ImprovementSchema,
  type Improvement,
} from '../../src/core/improvements/improvement.model.js';
import type { OwnerNudge } from '../../src/core/improvements/nudge.planner.js';
import type { Pebble } from '../../src/core/pebbles/pebble.model.js';
import { defaultSettings } from '../../src/core/workspaces/workspace.model.js';
import { renderBlocks } from '../../src/slack/render-blocks.js';
import {
  improvementListView,
  improvementNotices,
  improvementView,
  NUDGE_ITEMS_MAX,
} from '../../src/views/improvement.view.js';
import type { MessageView } from '../../src/core/ports/message-view.port.js';
import { blockKitProblems } from '../slack/block-kit-limits.js';

const at = new Date('2026-03-02T10:00:00Z');
const settings = { ...defaultSettings(), sponsor: 'U_SPONSOR' };

const improvement: Improvement = ImprovementSchema.parse({
  id: 'i-3',
  workspaceId: 'slack:T1',
  number: 3,
  title: 'Ask for the address once at checkout',
  pebbleNumbers: [7, 9],
  voteNumber: 2,
  status: 'at-risk',
  ownerId: 'U_OWNER',
  ownerName: 'Olga',
  promisedDate: '2026-04-15',
  promise: { promisedDate: '2026-04-15', ownerId: 'U_OWNER', madeAt: at, outcome: 'open' },
  promises: [
    {
      promisedDate: '2026-03-31',
      ownerId: 'U_OWNER',
      madeAt: at,
      outcome: 'broken',
      closedAt: at,
      reason: 'vendor slipped',
    },
  ],
  checkIns: [{ at, by: 'U_OWNER', status: 'at-risk', note: 'waiting on vendor' }],
  createdAt: at,
  updatedAt: at,
});

const pebble: Pebble = {
  id: 'p-7',
  workspaceId: 'slack:T1',
  number: 7,
  title: 'Checkout asks for the address twice',
  description: '',
  stakeholder: 'customer',
  anonymous: true,
  reporter: { userId: 'U_ALICE', name: 'Alice' },
  source: { kind: 'slash' },
  status: 'resolved',
  supporters: [],
  supporterCount: 0,
  createdAt: at,
  updatedAt: at,
  history: [],
};

function nudge(count: number): OwnerNudge {
  return {
    workspaceId: 'slack:T1',
    ownerId: 'U_OWNER',
    timezone: 'Europe/Berlin',
    localDate: '2026-04-13',
    key: 'nudge:slack:T1:U_OWNER:2026-04-13',
    items: Array.from({ length: count }, (_, i) => ({
      improvement: { ...improvement, number: i + 1, title: `Improvement ${i + 1} `.repeat(10) },
      reason: i % 2 ? ('due-soon' as const) : ('overdue' as const),
      daysLeft: i % 2 ? 2 : -1,
    })),
  };
}

const views: Record<string, MessageView> = {
  improvement: improvementView(improvement, { viewerId: 'U_OWNER' }),
  list: improvementListView([improvement, { ...improvement, number: 4, ownerId: undefined }], 2),
  ownerAsked: improvementNotices.ownerAsked(
    { ...improvement, ownerPending: true, proposedDate: '2026-04-15', promise: undefined },
    settings,
  ),
  ownerDeclined: improvementNotices.ownerAnswered(improvement, 'U_OWNER', {
    kind: 'declined',
    reason: 'No capacity this quarter',
  }),
  nudge: improvementNotices.nudge(nudge(2), settings),
  escalation: improvementNotices.escalation(
    {
      improvement,
      sponsorId: 'U_SPONSOR',
      level: 1,
      overdueDays: 3,
      blockedDays: 0,
      key: 'escalate:x',
    },
    settings,
  ),
  closeTheLoop: improvementNotices.closeTheLoop(
    {
      ...improvement,
      status: 'done',
      doneAt: at,
      checkIns: [{ at, by: 'U_OWNER', status: 'done', note: 'One form now' }],
    },
    'U_ALICE',
    [pebble],
    settings,
  ),
};

describe('journey improvement views', () => {
  for (const [name, view] of Object.entries(views)) {
    it(`renders the ${name} view as Block Kit and as text`, () => {
      const blocks = renderBlocks(view, 'message');
      expect(blockKitProblems(blocks, 'message')).toEqual([]);
      expect(blocks).toMatchSnapshot();
      expect(renderText(view)).toMatchSnapshot();
    });
  }

  it('keeps a nudge about many improvements within Slack’s 50 blocks, saying how many more', () => {
    const view = improvementNotices.nudge(nudge(40), settings);
    const blocks = renderBlocks(view, 'message');
    expect(blockKitProblems(blocks, 'message')).toEqual([]);
    expect(blocks.length).toBeLessThanOrEqual(50);
    expect(JSON.stringify(blocks)).toContain(`${40 - NUDGE_ITEMS_MAX} more`);
  });

  it('tells an anonymous reporter, and only them, that they reported it', () => {
    const text = renderText(views.closeTheLoop!);
    expect(text).toContain('You reported (anonymously; only you see this)');
    const toSupporter = improvementNotices.closeTheLoop(
      improvement,
      'U_BOB',
      [{ ...pebble, supporters: [{ userId: 'U_BOB', at }], supporterCount: 1 }],
      settings,
    );
    expect(renderText(toSupporter)).toContain('You supported');
    expect(renderText(toSupporter)).not.toContain('Alice');
  });
});
