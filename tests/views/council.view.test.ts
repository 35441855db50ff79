import { describe, expect, it } from 'vitest';
import type { Vote } from '../../src/core/council/council.model.js';
import type { Improvement } from '../../src/core/improvements/improvement.model.js';
import type { Pebble } from '../../src/core/pebbles/pebble.model.js';
import { defaultSettings } from '../../src/core/workspaces/workspace.model.js';
import { plainText } from '../../src/views/tokens.js';
import { renderText } from '../../src/console/render-text.js';
import { renderBlocks } from '../../src/slack/render-blocks.js';
import {
  ballotReceiptView,
  councilHomeBlocks,
  councilNotices,
} from '../../src/views/council.view.js';
import { blockKitProblems } from '../slack/block-kit-limits.js';

const settings = {
  ...defaultSettings(),
  timezone: 'Europe/Paris',
  council: {
    ...defaultSettings().council,
    channel: 'C0COUNCIL',
    members: [
      { userId: 'U1', name: 'Mia', function: 'Product' },
      { userId: 'U2', name: 'Noah', function: 'Support' },
      { userId: 'U3', name: 'Olga' },
    ],
  },
};
const at = new Date('2026-01-05T09:00:00Z');

function pebble(number: number, title = `Checkout asks for the address twice (${number})`): Pebble {
  return {
    id: `p${number}`,
    workspaceId: 'slack:T1',
    number,
    title,
    description: '',
    stakeholder: 'customer',
    journey: 'customer',
    stage: 'buy',
    severity: 3,
    frequency: 'daily',
    minutesLost: 4,
    anonymous: false,
    reporter: { userId: 'U_REP', name: 'Rita' },
    source: { kind: 'slash' },
    status: 'in-council',
    supporters: [],
    supporterCount: 5,
    createdAt: at,
    updatedAt: at,
    history: [],
  };
}

const open: Vote = {
  id: 'v1',
  workspaceId: 'slack:T1',
  number: 3,
  pebbleNumbers: [12],
  proposedBy: 'U1',
  status: 'open',
  electorate: settings.council.members,
  rules: { threshold: 50, secret: true, wipLimit: 5 },
  channelId: 'C0COUNCIL',
  openedAt: at,
  deadline: new Date('2026-01-08T09:00:00Z'),
  remindAt: new Date('2026-01-07T09:00:00Z'),
  sealSalt: 'salt-salt-salt-salt-salt',
  applied: false,
  createdAt: at,
  updatedAt: at,
  history: [],
};

const closedOpenBallot: Vote = {
  ...open,
  rules: { ...open.rules, secret: false, balance: 2 },
  status: 'decided',
  closedAt: new Date('2026-01-07T15:30:00Z'),
  closedBy: 'all-voted',
  decision: { option: 'fix-now', by: 'council', at },
  improvementNumber: 4,
  applied: true,
  result: {
    tally: { 'fix-now': 2, 'next-cycle': 0, 'not-now': 0, 'need-info': 0 },
    cast: 2,
    recused: 1,
    electorate: 3,
    quorumRequired: 1,
    quorumMet: true,
    functionsVoted: 2,
    balanceRequired: 2,
    balanceMet: true,
    thresholdMet: true,
    outcome: 'decided',
    winner: 'fix-now',
    leading: ['fix-now'],
    names: {
      'fix-now': [
        { userId: 'U1', name: 'Mia' },
        { userId: 'U2', name: 'Noah' },
      ],
      recuse: [{ userId: 'U3', name: 'Olga' }],
    },
  },
};

const escalated: Vote = {
  ...open,
  status: 'escalated',
  closedAt: new Date('2026-01-08T09:00:00Z'),
  closedBy: 'deadline',
  applied: true,
  result: {
    tally: { 'fix-now': 1, 'next-cycle': 1, 'not-now': 0, 'need-info': 0 },
    cast: 2,
    recused: 0,
    electorate: 3,
    quorumRequired: 2,
    quorumMet: true,
    functionsVoted: 2,
    balanceMet: true,
    thresholdMet: false,
    outcome: 'tie',
    leading: ['fix-now', 'next-cycle'],
  },
};

const improvement = (number: number): Improvement =>
  ({
    id: `i${number}`,
    workspaceId: 'slack:T1',
    number,
    title: `Improvement ${number}`,
    pebbleNumbers: [1],
    status: 'on-track',
    ownerName: 'Olga',
  }) as Improvement;

const views = {
  'vote, open (secret)': councilNotices.voteMessage(
    open,
    [pebble(12)],
    { voted: 1, recused: 1 },
    settings,
  ),
  'vote, decided (open ballot)': councilNotices.voteMessage(
    closedOpenBallot,
    [pebble(12)],
    { voted: 0, recused: 0 },
    settings,
  ),
  'vote, escalated': councilNotices.voteMessage(
    escalated,
    [pebble(12)],
    { voted: 0, recused: 0 },
    settings,
  ),
  'sponsor escalation': councilNotices.escalation(escalated, [pebble(12)], settings),
  reminder: councilNotices.reminder(open, [pebble(12)], settings),
  'wip question': councilNotices.wipQuestion(
    {
      ...closedOpenBallot,
      improvementNumber: undefined,
      wip: { status: 'asked', active: 5, limit: 5 },
    },
    [1, 2, 3, 4, 5].map(improvement),
    settings,
  ),
  'owner wanted': councilNotices.ownerWanted(closedOpenBallot, improvement(4)),
  'need info': councilNotices.needInfo(open, pebble(12)),
  'decided notice': councilNotices.decided(closedOpenBallot, [pebble(12)], 'supporter'),
  receipt: ballotReceiptView(open, 'fix-now', true),
};

describe('council views', () => {
  it.each(Object.entries(views))('renders "%s" as Block Kit (snapshot)', (_name, view) => {
    const blocks = renderBlocks(view, 'message');
    expect(blockKitProblems(blocks, 'message')).toEqual([]);
    expect(blocks).toMatchSnapshot();
  });

  it.each(Object.entries(views))('renders "%s" as console text (snapshot)', (_name, view) => {
    expect(renderText(view)).toMatchSnapshot();
  });

  it('keeps a proposal of ten long pebbles within the limits of a message', () => {
    const long = 'x'.repeat(150);
    const vote: Vote = { ...open, pebbleNumbers: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] };
    const pebbles = vote.pebbleNumbers.map((n) => pebble(n, long));
    for (const view of [
      councilNotices.voteMessage(vote, pebbles, { voted: 0, recused: 0 }, settings),
      councilNotices.reminder(vote, pebbles, settings),
      councilNotices.escalation(
        { ...escalated, pebbleNumbers: vote.pebbleNumbers },
        pebbles,
        settings,
      ),
    ])
      expect(blockKitProblems(renderBlocks(view, 'message'), 'message')).toEqual([]);
  });

  it('never shows who chose what on a secret vote, only how many voted', () => {
    const text = JSON.stringify(views['vote, open (secret)']);
    expect(text).toContain('1 of 3 members voted');
    expect(text).not.toMatch(/Mia|Noah|Olga|U1|U2|U3/);
    const closedSecret = councilNotices.voteMessage(
      { ...closedOpenBallot, rules: { ...closedOpenBallot.rules, secret: true } },
      [pebble(12)],
      { voted: 0, recused: 0 },
      settings,
    );
    expect(JSON.stringify(closedSecret)).not.toMatch(/Mia|Noah|Olga/);
  });

  it('shows names per option after the close of an open ballot', () => {
    expect(JSON.stringify(views['vote, decided (open ballot)'])).toContain(
      'Fix now: *2* (Mia, Noah)',
    );
  });

  it('gives admins the council settings with an edit button on the Home tab', () => {
    const blocks = councilHomeBlocks(settings, [open]);
    const text = plainText(JSON.stringify(blocks));
    // People, channels and moments are tokens: names (or @ids) in plain text, mentions on Slack.
    expect(text).toContain('Members (3): @Mia (Product), @Noah (Support), @Olga');
    expect(text).toContain('Council channel: #C0COUNCIL');
    expect(text).toContain('council.settings');
    expect(text).toContain('V-3 (closes Thu 8 Jan, 10:00 (Europe/Paris))');
  });
});
