import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderText } from '../../src/console/render-text.js';
import type { DigestMetrics } from '../../src/core/digest/digest.model.js';
import { narrateNumbers } from '../../src/core/digest/numbers.narrator.js';
import { completedPeriod } from '../../src/core/digest/period.js';
import { DigestMetricsCalculator } from '../../src/core/metrics/digest-metrics.js';
import { renderMessage } from '../../src/slack/render-blocks.js';
import type { Store } from '../../src/core/ports/store.port.js';
import {
  digestMessages,
  digestView,
  SECTION_MAX,
  waited,
  type DigestMessages,
} from '../../src/views/digest.view.js';
import { seededWeekMetrics } from '../core/digest/dataset.js';
import { makeWorkspace } from '../core/digest/fixtures.js';
import { maximal } from '../core/digest/maximal.js';
import { blockKitProblems, type AnyBlock } from '../slack/block-kit-limits.js';

let store: Store;
/** The hand-built week: promises broken, fixed friction back. */
let broken: DigestMetrics;
/** A quiet week: an empty workspace, computed by the same calculator. */
let quiet: DigestMetrics;

beforeAll(async () => {
  ({ store, metrics: broken } = await seededWeekMetrics());
  const empty = await makeWorkspace(store, 'Europe/Berlin');
  const period = completedPeriod(
    new Date('2026-03-30T07:00:00Z'),
    empty.settings.digest,
    empty.settings.timezone,
  );
  quiet = await new DigestMetricsCalculator(store.metrics).compute(
    empty.id,
    empty.settings,
    period,
  );
});

afterAll(async () => {
  await store.close();
});

/** A busy week that went well: the hand-built week with every promise kept and nothing back. */
function busy(m: DigestMetrics): DigestMetrics {
  return {
    ...m,
    weDid: { ...m.weDid, previous: 3 },
    wePromised: {
      ...m.wePromised,
      kept: { part: 4, whole: 4, rate: 1 },
      broken: 0,
      previousKept: { part: 1, whole: 2, rate: 0.5 },
      overdue: [],
      overdueTotal: 0,
    },
    cameBack: { ...m.cameBack, items: [], total: 0, previous: 1 },
  };
}

const WEEKS = ['a quiet week', 'a busy week', 'a week with broken promises and recurrences'];
/** Looked up when a test runs: the metrics are computed in beforeAll. */
const week = (name: string): DigestMetrics =>
  name === 'a quiet week' ? quiet : name === 'a busy week' ? busy(broken) : broken;

const messagesOf = (m: DigestMetrics, chart: 'attached' | 'fallback' = 'attached') =>
  digestMessages({ metrics: m, narrative: narrateNumbers(m, { preview: false }) }, { chart });

const asText = ({ main, details }: DigestMessages) =>
  `${renderText(main)}\n\n── in the thread ──\n${renderText(details)}`;

describe('weekly digest view', () => {
  it.each(WEEKS)('renders %s as console text: main message, then its thread', (name) => {
    expect(asText(messagesOf(week(name)))).toMatchSnapshot();
  });

  it.each(WEEKS)('renders %s as Block Kit within Slack limits', (name) => {
    const { main, details } = messagesOf(week(name));
    const rendered = { main: renderMessage(main), details: renderMessage(details) };
    for (const message of Object.values(rendered))
      expect(blockKitProblems(message.blocks as AnyBlock[], 'message')).toEqual([]);
    expect(rendered).toMatchSnapshot();
  });

  it('leads with the week in three lines and four numbers with their trend', () => {
    const { main } = messagesOf(broken);
    expect(main.blocks.map((b) => b.type)).toEqual([
      'header',
      'context',
      'section',
      'section',
      'context',
    ]);
    const narrative = main.blocks[2];
    const lines = narrative?.type === 'section' ? narrative.text.split('\n') : [];
    expect(lines).toHaveLength(3);
    expect(main.blocks[3]).toMatchObject({
      fields: [
        { label: 'Pebbles reported', value: '6 · up 4 from 2' },
        { label: 'Improvements shipped', value: '1 · up 1 from 0' },
        { label: 'Promises kept', value: '33% · 1 of 3; up from 0%' },
        { label: 'Came back after a fix', value: '2 · up 2 from 0' },
      ],
    });
  });

  it('leaves empty sections out and uses no statistics jargon', () => {
    const quietText = asText(messagesOf(quiet));
    for (const title of ['What the council decided', 'What shipped', 'Promises', 'What came back'])
      expect(quietText).not.toMatch(new RegExp(`^${title}$`, 'm'));
    expect(asText(messagesOf(broken))).toMatch(/^Promises$/m);
    const all = WEEKS.map((name) => asText(messagesOf(week(name), 'fallback'))).join('\n');
    expect(all).not.toMatch(/median|p90|percentile|±|↑|↓/);
    expect(asText(messagesOf(broken))).toContain(
      'Usually decided within 2 days of the report; the slowest took 6.',
    );
  });

  it('says waits in plain words', () => {
    expect(waited({ count: 3, medianHours: 48, p90Hours: 144 }, 'decided', 'the report')).toBe(
      'usually decided within 2 days of the report; the slowest took 6',
    );
    expect(waited({ count: 1, medianHours: 96, p90Hours: 96 }, 'done', 'the decision')).toBe(
      'done 4 days after the decision',
    );
    expect(waited({ count: 4, medianHours: 1.5, p90Hours: 50 }, 'heard back', 'reporting')).toBe(
      'usually heard back within 2 hours of reporting; the slowest took 2 days',
    );
    expect(waited({ count: 0 }, 'fixed', 'the report')).toBeUndefined();
  });

  it('mentions owners and dates with tokens, so each platform shows its own', () => {
    const { details } = messagesOf(broken);
    const slack = JSON.stringify(renderMessage(details).blocks);
    expect(slack).toContain('<@U21>');
    expect(slack).toMatch(/<!date\^\d+\^\{date_short_pretty\}\|Fri 27 Mar>/);
    expect(renderText(details)).toContain('@Eve, promised for Fri 27 Mar, 3 days late');
  });

  it('points to the chart in the thread when attached, and carries its numbers when not', () => {
    const attached = messagesOf(broken, 'attached');
    expect(renderText(attached.main)).toContain(
      'Details and the chart of the last 8 weeks are in the thread.',
    );
    expect(renderText(attached.details)).not.toContain('New pebbles per journey stage');
    const fallback = renderText(messagesOf(broken, 'fallback').details);
    expect(fallback).toContain(
      'New pebbles per journey stage, weeks of 2 Feb to 23 Mar (oldest first, this week last)\n' +
        'Buy: 0 · 0 · 0 · 0 · 0 · 0 · 1 · 1\nOnboard: 0 · 0 · 0 · 0 · 0 · 0 · 1 · 2\nUse: 0 · 0 · 0 · 0 · 0 · 1 · 0 · 1\n' +
        'Get help: 1 · 0 · 0 · 0 · 0 · 0 · 0 · 1\nNo stage yet: 0 · 0 · 0 · 0 · 0 · 0 · 0 · 1',
    );
  });

  it('shows a preview as one private message, counted up to now', () => {
    const view = digestView(
      { metrics: broken, narrative: 'n' },
      { chart: 'fallback', preview: true },
    );
    expect(view.blocks[0]).toEqual({ type: 'header', text: 'CX digest preview: this week so far' });
    expect(view.blocks[1]).toMatchObject({
      type: 'context',
      text: expect.stringContaining('only you can see this preview'),
    });
    const text = renderText(view);
    expect(text).not.toContain('in the thread');
    expect(text).toContain('What people said');
  });

  it('stays within 50 blocks and 3,000 characters a section with every list full', () => {
    const big = { metrics: maximal(broken), narrative: 'x'.repeat(2_000) };
    const { main, details } = digestMessages(big, { chart: 'fallback' });
    for (const view of [main, details, digestView(big, { chart: 'fallback' })]) {
      expect(view.blocks.length).toBeLessThanOrEqual(50);
      for (const block of view.blocks)
        if ('text' in block) expect(block.text.length).toBeLessThanOrEqual(SECTION_MAX);
    }
    expect(renderText(details)).toContain('…and 75 more');
  });

  it('never names a reporter, anonymous or not', () => {
    const text = asText(messagesOf(broken, 'fallback'));
    expect(text).not.toMatch(/Name of|\bU(2|6|7|10|11)\b/);
    expect(text).toContain('Dana');
  });
});
