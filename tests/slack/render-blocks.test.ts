import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PebbleStatusSchema, type Pebble } from '../../src/core/pebbles/pebble.model.js';
import type { StageSummary } from '../../src/core/pebbles/pebble.service.js';
import {
  defaultSettings,
  type WorkspaceSettings,
} from '../../src/core/workspaces/workspace.model.js';
import { listenerIds } from '../../src/slack/listeners/index.js';
import {
  baseActionId,
  escapeMrkdwn,
  renderBlocks,
  renderMessage,
  type Surface,
} from '../../src/slack/render-blocks.js';
import { renderForm, renderViewModal } from '../../src/slack/render-form.js';
import { declineForm, duplicateForm, reportForm } from '../../src/views/form.view.js';
import { helpView } from '../../src/views/help.view.js';
import { homeView } from '../../src/views/home.view.js';
import type { MessageView } from '../../src/core/ports/message-view.port.js';
import {
  confirmationView,
  noticeView,
  pebbleListView,
  pebbleView,
} from '../../src/views/pebble.view.js';
import { recordedInThreadView } from '../../src/views/report.view.js';
import { aiSettingsView } from '../../src/views/ai.view.js';
import {
  declinedNoticeView,
  duplicateNoticeView,
  mergedCardView,
  triageCardView,
} from '../../src/views/triage.view.js';
import { actionIdsOf, blockKitProblems, type AnyBlock } from './block-kit-limits.js';

const nasty = fc.constantFrom(
  '<!channel>',
  '<@U0SECRET>',
  'a & b',
  '>quote',
  '🪨',
  '*bold*',
  '`code`',
  'é\u0301',
  '\n',
);
const part = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), nasty);
/** Text up to `max` characters: mixed fragments, or one fragment repeated up to the limit. */
const text = (max: number, min = 0) =>
  fc
    .oneof(
      { weight: 2, arbitrary: fc.array(part, { maxLength: 60 }).map((parts) => parts.join('')) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(part, fc.integer({ min: 1, max }))
          .map(([p, n]) =>
            (p.trim() ? p : 'x&<').repeat(Math.ceil(n / Math.max(1, p.length))).slice(0, n),
          ),
      },
    )
    .map((s) => (s.length > max ? s.slice(0, max) : s))
    .filter((s) => s.trim().length >= min);

const settingsArb: fc.Arbitrary<WorkspaceSettings> = fc
  .array(
    fc.record({
      name: text(75, 1),
      stages: fc.array(text(75, 1), { minLength: 1, maxLength: 25, size: 'max' }),
    }),
    { minLength: 1, maxLength: 6, size: 'max' },
  )
  .map((journeys) => ({
    ...defaultSettings(),
    journeys: journeys.map((j, i) => ({
      key: `j${i}`,
      name: j.name,
      stages: j.stages.map((name, k) => ({ key: `s${k}`, name })),
    })),
  }));

const pebbleArb = (settings: WorkspaceSettings): fc.Arbitrary<Pebble> =>
  fc
    .record({
      number: fc.integer({ min: 1, max: 1_000_000_000 }),
      title: text(150, 1),
      description: text(2_500),
      status: fc.constantFrom(...PebbleStatusSchema.options),
      anonymous: fc.boolean(),
      severity: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
      stakeholder: fc.constantFrom('customer', 'employee', 'partner' as const),
      journey: fc.nat(settings.journeys.length - 1),
      stage: fc.nat(24),
      supporterCount: fc.nat(100_000),
      segment: fc.option(text(100), { nil: undefined }),
      declineReason: fc.option(text(500), { nil: undefined }),
      duplicateOf: fc.option(fc.integer({ min: 1, max: 1_000_000_000 }), { nil: undefined }),
      reporter: fc.record({ userId: fc.constant('U0REPORTER'), name: text(255, 1) }),
      permalink: fc.option(fc.webUrl(), { nil: undefined }),
      frequency: fc.option(fc.constantFrom('once', 'daily' as const), { nil: undefined }),
      minutesLost: fc.option(fc.nat(100_000), { nil: undefined }),
    })
    .map((p) => {
      const journey = settings.journeys[p.journey]!;
      const stage = journey.stages[p.stage % journey.stages.length]!;
      return {
        ...p,
        id: `id-${p.number}`,
        workspaceId: 'slack:T1',
        journey: journey.key,
        stage: stage.key,
        source: { kind: 'slash' as const, ...(p.permalink ? { permalink: p.permalink } : {}) },
        supporters: [],
        createdAt: new Date('2026-03-02T10:00:00Z'),
        updatedAt: new Date('2026-03-02T10:00:00Z'),
        history: [],
      };
    });

const scenarioArb = settingsArb.chain((settings) =>
  fc.record({
    settings: fc.constant(settings),
    pebble: pebbleArb(settings),
    others: fc.array(pebbleArb(settings), { maxLength: 12, size: 'max' }),
    total: fc.nat(1_000_000),
    offset: fc.nat(1_000),
    title: text(300, 1),
    notice: text(6_000, 1),
    emoji: fc.stringMatching(/^[a-z0-9_+-]{1,100}$/),
  }),
);

const registered = listenerIds().actions;

type Scenario = {
  settings: WorkspaceSettings;
  pebble: Pebble;
  others: Pebble[];
  total: number;
  offset: number;
  title: string;
  notice: string;
  emoji: string;
};

function rendered(scenario: Scenario): { view: MessageView; surface: Surface }[] {
  const { settings, pebble, others, total, offset, title, notice, emoji } = scenario;
  const stages: StageSummary[] = settings.journeys.flatMap((journey) =>
    journey.stages.map((stage) => ({ journey, stage, total, newest: others.slice(0, 3) })),
  );
  const page = {
    items: others.slice(0, 10),
    total: Math.max(total, others.length),
    offset,
    limit: 10,
  };
  const similar = others.slice(0, 3).map((p) => ({ pebble: p, score: 0.5 }));
  return [
    { view: pebbleView(pebble, settings, { userId: 'U0OTHER' }), surface: 'message' },
    { view: pebbleView(pebble, settings, { userId: 'U0REPORTER' }), surface: 'modal' },
    {
      view: pebbleListView(page, settings, {
        title,
        pageValue: (o) => JSON.stringify({ s: 'list', f: title.slice(0, 100), o }),
      }),
      surface: 'message',
    },
    { view: confirmationView(pebble, similar, { truncated: true }), surface: 'message' },
    { view: triageCardView(pebble, settings), surface: 'message' },
    {
      // Model output is text like any other: hostile titles and summaries stay escaped.
      view: triageCardView(
        {
          ...pebble,
          status: 'new',
          suggestion: {
            title: title.slice(0, 150),
            stakeholder: 'partner',
            journey: pebble.journey,
            stage: pebble.stage,
            severity: 4,
            summary: notice.slice(0, 300),
            model: title.slice(0, 200),
            at: new Date('2026-03-02T10:00:00Z'),
          },
          recurrence: { of: 1, resolvedAt: new Date('2026-02-02T10:00:00Z') },
        },
        settings,
      ),
      surface: 'message',
    },
    { view: mergedCardView(pebble, others[0] ?? pebble), surface: 'message' },
    { view: declinedNoticeView(pebble, true), surface: 'message' },
    { view: duplicateNoticeView(pebble, others[0] ?? pebble, false), surface: 'message' },
    { view: recordedInThreadView(pebble, emoji), surface: 'message' },
    { view: noticeView(notice), surface: 'message' },
    {
      view: helpView({ command: '/pebble', reactionEmoji: emoji, botName: 'Pebblebot' }),
      surface: 'message',
    },
    {
      view: homeView({ mine: page, supported: page, stages }, settings, { command: '/pebble' }),
      surface: 'home',
    },
  ];
}

describe('Block Kit rendering', () => {
  it('keeps every view within Slack’s limits, escaped, for any pebble (property)', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        for (const { view, surface } of rendered(scenario)) {
          const blocks = renderBlocks(view, surface);
          expect(blockKitProblems(blocks, surface)).toEqual([]);
          expect(renderMessage(view).text.length).toBeLessThanOrEqual(3_000);
        }
      }),
      { numRuns: 150, endOnFailure: true },
    );
  });

  it('has a listener for every control any view can show (no dead buttons)', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        for (const { view, surface } of rendered(scenario)) {
          for (const id of actionIdsOf(renderBlocks(view, surface)))
            expect(registered, id).toContain(baseActionId(id));
        }
      }),
      { numRuns: 50, endOnFailure: true },
    );
  });

  it('builds report, decline, duplicate and show forms within the modal limits (property)', () => {
    fc.assert(
      fc.property(scenarioArb, ({ settings, pebble }) => {
        const forms = [
          renderForm(reportForm(settings, { pebble }), {
            k: 'slash',
            c: 'C1',
            r: 'https://hooks.slack.com/x',
          }),
          renderForm(reportForm(settings), { k: 'modal' }),
          renderForm(declineForm(pebble)),
          renderForm(duplicateForm(pebble)),
          renderViewModal('Pebble', pebbleView(pebble, settings)),
        ];
        for (const form of forms) {
          expect(form.title.text.length).toBeLessThanOrEqual(24);
          expect((form.private_metadata ?? '').length).toBeLessThanOrEqual(3_000);
          expect(form.blocks.length).toBeLessThanOrEqual(100);
          for (const block of form.blocks as AnyBlock[]) {
            if (block.type !== 'input') continue;
            const e = block.element;
            if (e.initial_value !== undefined && e.max_length)
              expect(e.initial_value.length).toBeLessThanOrEqual(e.max_length);
            const options =
              e.options ??
              (e.option_groups ?? []).flatMap((g: AnyBlock) => g.options as AnyBlock[]);
            expect(options.length).toBeLessThanOrEqual(100);
            for (const o of options) expect(o.text.text.length).toBeLessThanOrEqual(75);
          }
        }
      }),
      { numRuns: 100, endOnFailure: true },
    );
  });

  it('splits a row of more than 25 controls, cuts blocks past the budget with a note', () => {
    const buttons = Array.from({ length: 30 }, (_, i) => ({
      label: `B${i}`,
      actionId: 'pebble.show',
      value: String(i),
    }));
    const actions = renderBlocks({ text: 'x', blocks: [{ type: 'actions', buttons }] });
    expect(actions.map((b) => (b as { elements: unknown[] }).elements.length)).toEqual([25, 5]);
    expect(blockKitProblems(actions, 'message')).toEqual([]);
    const many: MessageView = {
      text: 'x',
      blocks: Array.from({ length: 70 }, () => ({ type: 'divider' as const })),
    };
    const cut = renderBlocks(many, 'message');
    expect(cut).toHaveLength(50);
    expect(JSON.stringify(cut.at(-1))).toContain('21 more items are not shown here');
    expect(renderBlocks(many, 'home')).toHaveLength(70);
  });

  it('escapes what would become a mention or a link', () => {
    expect(escapeMrkdwn('<!channel> & <@U1>')).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt;');
  });
});

describe('Block Kit snapshots (one per view)', () => {
  const settings = defaultSettings();
  const base: Pebble = {
    id: 'x',
    workspaceId: 'slack:T1',
    number: 7,
    title: 'Checkout times out on mobile',
    description: 'Spins for 30 s, then <fails> & loses the cart.',
    stakeholder: 'customer',
    journey: 'customer',
    stage: 'buy',
    severity: 3,
    anonymous: true,
    reporter: { userId: 'U_SECRET', name: 'Secret Sam' },
    source: { kind: 'slash', permalink: 'https://acme.slack.com/archives/C1/p1' },
    status: 'triaged',
    supporters: [],
    supporterCount: 2,
    createdAt: new Date('2026-03-02T10:00:00Z'),
    updatedAt: new Date('2026-03-02T10:00:00Z'),
    history: [],
  };
  const other = {
    ...base,
    number: 3,
    title: 'Mobile checkout is slow',
    anonymous: false,
    status: 'new' as const,
  };
  const views: Record<string, { view: MessageView; surface?: Surface }> = {
    pebble: { view: pebbleView(base, settings, { userId: 'U_OTHER' }) },
    list: {
      view: pebbleListView({ items: [base, other], total: 12, offset: 0, limit: 10 }, settings, {
        title: 'Open pebbles',
        pageValue: (o) => JSON.stringify({ s: 'list', f: '', o }),
      }),
    },
    confirmation: {
      view: confirmationView(other, [{ pebble: base, score: 0.7 }], { truncated: true }),
    },
    notice: { view: noticeView('+1 recorded on *P-7*.') },
    triageCard: { view: triageCardView(base, settings) },
    triageCardWithAi: {
      view: triageCardView(
        {
          ...base,
          status: 'new',
          suggestion: {
            title: 'Mobile checkout spins, then drops the cart',
            stakeholder: 'customer',
            journey: 'customer',
            stage: 'buy',
            severity: 3,
            summary: 'Payment on mobile times out and the basket is lost.',
            model: 'gpt-4o-mini-2024-07-18',
            at: new Date('2026-03-02T10:00:05Z'),
          },
          recurrence: { of: 4, resolvedAt: new Date('2026-02-12T10:00:00Z') },
        },
        settings,
      ),
    },
    aiSettings: {
      view: aiSettingsView({
        enabled: true,
        configured: {
          model: 'openai:gpt-4o-mini',
          embeddingModel: 'text-embedding-3-small',
          usage: { day: '2026-03-02', calls: 12, tokens: 3_400, maxCalls: 500, maxTokens: 200_000 },
        },
        prefix: '/pebble',
      }),
    },
    mergedCard: { view: mergedCardView(other, base) },
    declined: {
      view: declinedNoticeView(
        { ...base, status: 'declined', declineReason: 'Out of scope' },
        true,
      ),
    },
    duplicate: {
      view: duplicateNoticeView({ ...other, status: 'duplicate', duplicateOf: 7 }, base, false),
    },
    thread: { view: recordedInThreadView(base, 'rock') },
    help: { view: helpView({ command: '/pebble', reactionEmoji: 'rock', botName: 'Pebblebot' }) },
    home: {
      view: homeView(
        {
          mine: { items: [other], total: 1 },
          supported: { items: [base], total: 1 },
          stages: [
            {
              journey: settings.journeys[0],
              stage: settings.journeys[0]!.stages[1],
              total: 1,
              newest: [base],
            },
          ],
        },
        settings,
        { command: '/pebble' },
      ),
      surface: 'home',
    },
  };
  it.each(Object.keys(views))('%s', (name) => {
    const { view, surface } = views[name]!;
    const blocks = renderBlocks(view, surface ?? 'message');
    expect(blocks).toMatchSnapshot();
    expect(JSON.stringify(blocks)).not.toContain('Secret Sam');
  });
  it('report form', () => {
    expect(
      renderForm(reportForm(settings, { text: 'Prefilled' }), { k: 'slash', c: 'C1' }),
    ).toMatchSnapshot();
  });
});
