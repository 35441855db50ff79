import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Pebble } from '../../src/core/pebbles/pebble.model.js';
import {
  ImprovementSchema,
  type Improvement,
} from '../../src/core/improvements/improvement.model.js';
import { defaultSettings } from '../../src/core/workspaces/workspace.model.js';
import {
  CARD_BYTE_LIMIT,
  cardBytes,
  escapeCardText,
  renderCard,
  selectInputId,
} from '../../src/teams/render-card.js';
import { helpView } from '../../src/views/help.view.js';
import { improvementListView, improvementView } from '../../src/views/improvement.view.js';
import type { MessageView } from '../../src/core/ports/message-view.port.js';
import {
  confirmationView,
  noticeView,
  pebbleListView,
  pebbleView,
} from '../../src/views/pebble.view.js';
import { person, channel, date } from '../../src/views/tokens.js';
import { triageCardView } from '../../src/views/triage.view.js';
import { cardSchemaProblems } from './card-schema.js';

const at = new Date('2026-03-02T10:00:00Z');
const settings = { ...defaultSettings(), sponsor: '29:sponsor' };

function pebble(number: number, title = `Checkout asks for the address twice (${number})`): Pebble {
  return {
    id: `p${number}`,
    workspaceId: 'teams:tenant-1',
    number,
    title,
    description: 'Customers type their address on the cart page and again at payment.',
    stakeholder: 'customer',
    journey: 'customer',
    stage: 'buy',
    severity: 3,
    frequency: 'daily',
    minutesLost: 4,
    anonymous: false,
    reporter: { userId: '29:rita', name: 'Rita' },
    source: { kind: 'teams-action', permalink: 'https://teams.microsoft.com/l/message/19:x/1' },
    status: 'new',
    supporters: [],
    supporterCount: 5,
    createdAt: at,
    updatedAt: at,
    history: [],
  };
}

const improvement: Improvement = ImprovementSchema.parse({
  id: 'i-3',
  workspaceId: 'teams:tenant-1',
  number: 3,
  title: 'Ask for the address once at checkout',
  pebbleNumbers: [7, 9],
  voteNumber: 2,
  status: 'at-risk',
  ownerId: '29:olga',
  ownerName: 'Olga',
  promisedDate: '2026-04-15',
  promise: { promisedDate: '2026-04-15', ownerId: '29:olga', madeAt: at, outcome: 'open' },
  promises: [],
  checkIns: [{ at, by: '29:olga', status: 'at-risk', note: 'waiting on vendor' }],
  createdAt: at,
  updatedAt: at,
});

const page = (items: Pebble[]) => ({ items, total: items.length + 30, offset: 0, limit: 10 });

const views: Record<string, MessageView> = {
  pebble: pebbleView(pebble(7), settings, { userId: '29:other' }),
  list: pebbleListView(page([pebble(1), pebble(2), pebble(3)]), settings, {
    title: 'Open pebbles',
    pageValue: (o) => JSON.stringify({ s: 'list', o }),
  }),
  confirmation: confirmationView(pebble(8), [{ pebble: pebble(2), score: 0.6 }], {
    truncated: false,
  }),
  triage: triageCardView(pebble(9), settings),
  improvement: improvementView(improvement, { viewerId: '29:olga' }),
  improvements: improvementListView([improvement], 1, 'Improvements'),
  help: helpView({ command: '/pebble', reactionEmoji: 'rock', botName: 'Pebblebot' }),
  notice: noticeView('Saved. :white_check_mark:'),
};

describe('Adaptive Card renderer', () => {
  for (const [kind, view] of Object.entries(views)) {
    it(`renders the ${kind} view as a valid Adaptive Card 1.5 (snapshot)`, () => {
      const { card } = renderCard(view);
      expect(cardSchemaProblems(card)).toEqual([]);
      expect(card).toMatchSnapshot();
    });
  }

  it('turns every button into Action.Execute with the action id as verb and data { action, value }', () => {
    const { card } = renderCard({
      text: 'x',
      blocks: [
        {
          type: 'actions',
          buttons: [
            { label: '+1', actionId: 'pebble.support', value: '7', style: 'primary' },
            { label: 'Drop', actionId: 'improvement.drop', value: '3', style: 'danger' },
            { label: 'Open', actionId: 'pebble.show', url: 'https://example.com/p/7' },
          ],
        },
      ],
    });
    const actions = (card.body as { actions: unknown[] }[])[0]!.actions;
    expect(actions).toEqual([
      {
        type: 'Action.Execute',
        title: '+1',
        verb: 'pebble.support',
        data: { action: 'pebble.support', value: '7' },
        style: 'positive',
      },
      {
        type: 'Action.Execute',
        title: 'Drop',
        verb: 'improvement.drop',
        data: { action: 'improvement.drop', value: '3' },
        style: 'destructive',
      },
      { type: 'Action.OpenUrl', title: 'Open', url: 'https://example.com/p/7' },
    ]);
  });

  it('renders a select as a choice set whose value travels with its Action.Execute', () => {
    const { card } = renderCard({
      text: 'x',
      blocks: [
        {
          type: 'actions',
          buttons: [],
          selects: [
            {
              placeholder: 'Stage',
              actionId: 'pebble.set_stage',
              groups: [{ label: 'Customer', options: [{ label: 'Buy', value: 'customer/buy' }] }],
              initial: 'customer/buy',
            },
          ],
        },
      ],
    });
    expect(cardSchemaProblems(card)).toEqual([]);
    expect(card.body).toEqual([
      {
        type: 'Input.ChoiceSet',
        id: selectInputId('pebble.set_stage'),
        placeholder: 'Stage',
        choices: [{ title: 'Customer › Buy', value: 'customer/buy' }],
        value: 'customer/buy',
      },
      {
        type: 'ActionSet',
        actions: [
          {
            type: 'Action.Execute',
            title: 'Apply',
            verb: 'pebble.set_stage',
            data: { action: 'pebble.set_stage' },
          },
        ],
      },
    ]);
  });

  it('renders person tokens as mentions (listed alongside), channels by name, dates localised', () => {
    const { card, mentions } = renderCard({
      text: 'x',
      blocks: [
        {
          type: 'section',
          text: `Owner ${person('29:olga', 'Olga')} in ${channel('19:c@thread.tacv2', 'cx-council')}, due ${date('2026-04-15T09:30:00.000Z', 'Wed 15 Apr', 'datetime')}`,
        },
      ],
    });
    const text = (card.body as { text: string }[])[0]!.text;
    expect(text).toBe(
      'Owner <at>Olga</at> in **#cx\\-council**, due {{DATE(2026-04-15T09:30:00Z, SHORT)}} {{TIME(2026-04-15T09:30:00Z)}}'.replace(
        'cx\\-council',
        'cx-council',
      ),
    );
    expect(mentions).toEqual([
      { type: 'mention', text: '<at>Olga</at>', mentioned: { id: '29:olga', name: 'Olga' } },
    ]);
    expect(card.msteams).toEqual({ width: 'Full', entities: mentions });
    expect(card.fallbackText).toBe('x');
  });

  it('keeps markdown, HTML, fake mentions and card functions in people’s text inert', () => {
    const title =
      '**bold** [click](https://evil.example) <at>Olga</at> {{DATE(2026-01-01T00:00:00Z)}} <b>x</b>';
    const { card, mentions } = renderCard(pebbleView(pebble(4, title), settings));
    // fallbackText is plain text (never rendered as markdown); the body is what Teams renders.
    const json = JSON.stringify(card.body);
    expect(json).not.toContain('<at>Olga</at>');
    expect(json).not.toContain('{{DATE(2026-01-01');
    expect(json).not.toContain('[click](');
    expect(json).not.toContain('<b>');
    // Only the reporter, whom the view names on purpose; nothing from the title.
    expect(mentions.map((m) => m.mentioned.id)).toEqual(['29:rita']);
    expect(escapeCardText('- item\n1. first\n# head')).toBe('\\- item\n1\\. first\n\\# head');
  });

  it('asks Teams to refresh the card for at most 60 people', () => {
    const userIds = Array.from({ length: 80 }, (_, i) => `29:u${i}`);
    const { card } = renderCard(views.notice!, {
      refresh: { actionId: 'council.ballot', value: '3', userIds },
    });
    expect(cardSchemaProblems(card)).toEqual([]);
    expect(card.refresh).toEqual({
      action: {
        type: 'Action.Execute',
        verb: 'council.ballot',
        data: { action: 'council.ballot', value: '3' },
      },
      userIds: userIds.slice(0, 60),
    });
  });

  it('keeps cards of the largest generated views under 28 KB, header and last actions kept', () => {
    const long = (i: number) =>
      `${i} ${'Friction that takes a whole paragraph to say '.repeat(4)}`.slice(0, 150);
    const many = Array.from({ length: 100 }, (_, i) => pebble(1_000 + i, long(i)));
    const list = pebbleListView({ items: many, total: 5_000, offset: 0, limit: 100 }, settings, {
      title: 'Every open pebble',
      pageValue: (o) => JSON.stringify({ s: 'list', o }),
    });
    const { card } = renderCard(list);
    expect(cardBytes(card)).toBeLessThanOrEqual(CARD_BYTE_LIMIT);
    expect(cardSchemaProblems(card)).toEqual([]);
    const json = JSON.stringify(card);
    expect(json).toContain('Every open pebble');
    expect(json).toMatch(/more parts? did not fit in this card/);
    expect(JSON.stringify((card.body as unknown[]).at(-2))).toContain('did not fit');
  });

  it('renders any text as a valid card under the size limit (property)', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 3_000 });
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 40 }), (texts) => {
        const view: MessageView = {
          text: texts[0]!,
          blocks: texts.map((t, i) =>
            i % 3 === 0
              ? { type: 'header' as const, text: t }
              : i % 3 === 1
                ? {
                    type: 'section' as const,
                    text: t,
                    fields: [{ label: t.slice(0, 20), value: t }],
                  }
                : { type: 'context' as const, text: t },
          ),
        };
        const { card } = renderCard(view);
        expect(cardSchemaProblems(card)).toEqual([]);
        expect(cardBytes(card)).toBeLessThanOrEqual(CARD_BYTE_LIMIT);
      }),
      { numRuns: 60 },
    );
  });
});
