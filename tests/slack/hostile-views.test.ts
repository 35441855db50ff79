import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Vote } from '../../src/core/council/council.model.js';
import type { DigestMetrics } from '../../src/core/digest/digest.model.js';
import {
  ImprovementSchema,
  type Improvement,
} from '../../src/core/improvements/improvement.model.js';
import type { Pebble } from '../../src/core/pebbles/pebble.model.js';
import { cleanText } from '../../src/core/shared/text.js';
import {
  defaultSettings,
  type WorkspaceSettings,
} from '../../src/core/workspaces/workspace.model.js';
import type { Store } from '../../src/core/ports/store.port.js';
import {
  renderBlocks,
  renderMessage,
  slackMrkdwn,
  slackPlain,
  type Surface,
} from '../../src/slack/render-blocks.js';
import { renderForm, renderViewModal } from '../../src/slack/render-form.js';
import {
  councilReasonForm,
  councilSettingsForm,
  declineForm,
  duplicateForm,
  improvementForms,
  reportForm,
} from '../../src/views/form.view.js';
import { renderText } from '../../src/console/render-text.js';
import {
  ballotReceiptView,
  councilHomeBlocks,
  councilNotices,
  voteMessageView,
} from '../../src/views/council.view.js';
import { digestHomeBlocks, digestSettingsView, digestView } from '../../src/views/digest.view.js';
import { helpView } from '../../src/views/help.view.js';
import { homeView } from '../../src/views/home.view.js';
import {
  improvementListView,
  improvementNotices,
  improvementView,
  unownedImprovementsHomeBlocks,
} from '../../src/views/improvement.view.js';
import type { MessageView } from '../../src/core/ports/message-view.port.js';
import {
  confirmationView,
  noticeView,
  pebbleListView,
  pebbleView,
} from '../../src/views/pebble.view.js';
import { recordedInThreadView, supportNoticeText } from '../../src/views/report.view.js';
import { channel, date, person } from '../../src/views/tokens.js';
import {
  declinedNoticeView,
  duplicateNoticeView,
  mergedCardView,
  triageCardView,
} from '../../src/views/triage.view.js';
import { seededWeekMetrics } from '../core/digest/dataset.js';
import { withoutBotMarkup } from './block-kit-limits.js';

/** What attackers type (as Slack sends it and as raw markup), and what breaks naive code. */
const HOSTILE = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<@U0X>',
  '<#C0X>',
  '<!subteam^S0X|@team>',
  '<!date^1^{date}|x>',
  '<https://evil.example|click>',
  '<https://evil.example/login|https://bank.example/login>',
  '&lt;!channel&gt;',
  '&amp;lt;',
  '\u0000',
  '\u0007\u001b[31m',
  '\uE000person\uE002U0EVIL\uE001',
  '\uE000',
  '\uE002',
  '\u202Egnp.exe',
  '\u200B\u200D',
  '🪨👩🏽‍💻',
  '*bold* _it_ `code`',
  '>quote',
];
const hostile = (max: number) =>
  fc
    .array(fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: 'grapheme', maxLength: 8 })), {
      minLength: 1,
      maxLength: 12,
    })
    // Where text people type enters, the core cleans it (token delimiters, controls): views
    // only ever see it cleaned, which the HTTP test checks end to end.
    .map((parts) => cleanText(parts.join(' ')).slice(0, max).trim() || '<!channel>');

const at = new Date('2026-03-02T10:00:00Z');

interface Texts {
  title: string;
  description: string;
  segment: string;
  reason: string;
  name: string;
  note: string;
  stage: string;
  fn: string;
  narrative: string;
}
const textsArb: fc.Arbitrary<Texts> = fc.record({
  title: hostile(150),
  description: hostile(2_000),
  segment: hostile(100),
  reason: hostile(500),
  name: hostile(80),
  note: hostile(500),
  stage: hostile(75),
  fn: hostile(40),
  narrative: hostile(1_000),
});

function settingsOf(x: Texts): WorkspaceSettings {
  const base = defaultSettings();
  return {
    ...base,
    sponsor: 'U0VERA',
    journeys: [{ key: 'j', name: x.stage, stages: [{ key: 's', name: x.stage }] }],
    council: {
      ...base.council,
      channel: 'C0COUNCIL',
      members: [
        { userId: 'U0MIA', name: x.name, function: x.fn },
        { userId: 'U0NOAH', function: x.fn },
      ],
    },
    digest: { ...base.digest, channel: 'C0LEADERS' },
  };
}

function pebbleOf(x: Texts, number = 7): Pebble {
  return {
    id: `p${number}`,
    workspaceId: 'slack:T1',
    number,
    title: x.title,
    description: x.description,
    segment: x.segment,
    stakeholder: 'customer',
    journey: 'j',
    stage: 's',
    severity: 3,
    anonymous: false,
    reporter: { userId: 'U0REP', name: x.name },
    source: { kind: 'slash' },
    status: 'declined',
    declineReason: x.reason,
    supporters: [],
    supporterCount: 2,
    createdAt: at,
    updatedAt: at,
    history: [],
  };
}

function improvementOf(x: Texts): Improvement {
  return ImprovementSchema.parse({
    id: 'i3',
    workspaceId: 'slack:T1',
    number: 3,
    title: x.title,
    pebbleNumbers: [7],
    status: 'at-risk',
    ownerId: 'U0OWNER',
    ownerName: x.name,
    promisedDate: '2026-04-15',
    promise: { promisedDate: '2026-04-15', ownerId: 'U0OWNER', madeAt: at, outcome: 'open' },
    promises: [
      {
        promisedDate: '2026-03-31',
        ownerId: 'U0OWNER',
        madeAt: at,
        outcome: 'broken',
        closedAt: at,
        reason: x.reason,
      },
    ],
    checkIns: [{ at, by: 'U0OWNER', status: 'at-risk', note: x.note }],
    dropReason: x.reason,
    createdAt: at,
    updatedAt: at,
  });
}

function voteOf(x: Texts, settings: WorkspaceSettings): Vote {
  return {
    id: 'v1',
    workspaceId: 'slack:T1',
    number: 3,
    pebbleNumbers: [7],
    proposedBy: 'U0MIA',
    status: 'decided',
    electorate: settings.council.members,
    rules: { threshold: 50, secret: false, wipLimit: 5 },
    channelId: 'C0COUNCIL',
    openedAt: at,
    deadline: at,
    closedAt: at,
    closedBy: 'all-voted',
    decision: { option: 'not-now', by: 'council', at, reason: x.reason },
    applied: true,
    result: {
      tally: { 'fix-now': 0, 'next-cycle': 0, 'not-now': 2, 'need-info': 0 },
      cast: 2,
      recused: 0,
      electorate: 2,
      quorumRequired: 1,
      quorumMet: true,
      functionsVoted: 1,
      thresholdMet: true,
      outcome: 'decided',
      winner: 'not-now',
      leading: ['not-now'],
      names: {
        'not-now': [
          { userId: 'U0MIA', name: x.name },
          { userId: 'U0NOAH', name: x.name },
        ],
      },
    },
    createdAt: at,
    updatedAt: at,
    history: [],
  } as unknown as Vote;
}

/** Replaces every title, name and owner in the digest's metrics with hostile text. */
function hostileMetrics(m: DigestMetrics, x: Texts): DigestMetrics {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node instanceof Date || !node || typeof node !== 'object') return node;
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => [
        k,
        typeof v === 'string' && ['title', 'name', 'owner', 'segment', 'reason'].includes(k)
          ? x.title
          : walk(v),
      ]),
    );
  };
  return walk(m) as DigestMetrics;
}

let store: Store;
let metrics: DigestMetrics;
beforeAll(async () => {
  ({ store, metrics } = await seededWeekMetrics());
});
afterAll(async () => {
  await store.close();
});

function everyView(x: Texts): { name: string; view: MessageView; surface: Surface }[] {
  const settings = settingsOf(x);
  const pebble = pebbleOf(x);
  const other = pebbleOf(x, 8);
  const improvement = improvementOf(x);
  const vote = voteOf(x, settings);
  const page = { items: [pebble, other], total: 2, offset: 0, limit: 10 };
  const stages = settings.journeys.flatMap((journey) =>
    journey.stages.map((stage) => ({ journey, stage, total: 1, newest: [pebble] })),
  );
  const m = (view: MessageView) => view;
  const b = (blocks: MessageView['blocks']) => ({ text: x.title, blocks });
  const list: [string, MessageView, Surface?][] = [
    ['pebble', pebbleView(pebble, settings, { userId: 'U0OTHER' })],
    ['pebble list', pebbleListView(page, settings, { title: x.title, pageValue: () => '1' })],
    [
      'confirmation',
      confirmationView(pebble, [{ pebble: other, score: 0.5 }], { truncated: true }),
    ],
    ['notice', noticeView(x.note)],
    ['triage card', triageCardView(pebble, settings)],
    ['merged card', mergedCardView(pebble, other)],
    ['declined notice', declinedNoticeView(pebble, true)],
    ['duplicate notice', duplicateNoticeView(pebble, other, false)],
    ['recorded in thread', recordedInThreadView(pebble, 'rock')],
    ['support notice', noticeView(supportNoticeText({ pebble, added: true, ownPebble: false }))],
    ['help', helpView({ command: '/pebble', reactionEmoji: 'rock', botName: x.name })],
    [
      'home',
      homeView({ mine: page, supported: page, stages }, settings, { command: '/pebble' }),
      'home',
    ],
    ['vote', voteMessageView(vote, [pebble], { voted: 2, recused: 0 }, settings)],
    ['council proposed', m(councilNotices.proposed(vote, pebble, 'reporter'))],
    ['council reminder', m(councilNotices.reminder(vote, [pebble], settings))],
    ['council escalation', m(councilNotices.escalation(vote, [pebble], settings))],
    ['council no sponsor', m(councilNotices.escalationWithoutSponsor(vote, [pebble], settings))],
    ['council decided', m(councilNotices.decided(vote, [pebble], 'supporter'))],
    ['council need info', m(councilNotices.needInfo(vote, pebble))],
    ['council owner wanted', m(councilNotices.ownerWanted(vote, improvement))],
    ['council wip', m(councilNotices.wipQuestion(vote, [improvement], settings))],
    ['council home', b(councilHomeBlocks(settings, [vote])), 'home'],
    ['ballot receipt', ballotReceiptView(vote, 'not-now', true)],
    ['improvement', improvementView(improvement, { viewerId: 'U0OWNER' })],
    ['improvement list', improvementListView([improvement], 1)],
    ['owner asked', improvementNotices.ownerAsked(improvement, settings)],
    [
      'owner declined',
      improvementNotices.ownerAnswered(improvement, 'U0OWNER', {
        kind: 'declined',
        reason: x.reason,
      }),
    ],
    [
      'nudge',
      improvementNotices.nudge(
        {
          workspaceId: 'slack:T1',
          ownerId: 'U0OWNER',
          timezone: 'UTC',
          localDate: '2026-04-13',
          key: 'k',
          items: [{ improvement, reason: 'overdue', daysLeft: -1 }],
        },
        settings,
      ),
    ],
    [
      'escalation',
      improvementNotices.escalation(
        { improvement, sponsorId: 'U0VERA', level: 1, overdueDays: 3, blockedDays: 0, key: 'k' },
        settings,
      ),
    ],
    [
      'close the loop',
      improvementNotices.closeTheLoop(
        { ...improvement, status: 'done', doneAt: at },
        'U0REP',
        [pebble],
        settings,
      ),
    ],
    ['unowned', b(unownedImprovementsHomeBlocks({ items: [improvement], total: 1 })), 'home'],
    [
      'digest',
      digestView(
        { metrics: hostileMetrics(metrics, x), narrative: x.narrative },
        { chart: 'fallback' },
      ),
    ],
    ['digest settings', digestSettingsView(settings, '/pebble')],
    ['digest home', b(digestHomeBlocks(settings, '/pebble')), 'home'],
  ];
  return list.map(([name, view, surface]) => ({ name, view, surface: surface ?? 'message' }));
}

/** The mrkdwn Slack would parse: a message's notification text and every mrkdwn object. */
function parsed(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => parsed(n, out));
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o.type === 'mrkdwn' && typeof o.text === 'string') out.push(o.text);
    Object.values(o).forEach((n) => parsed(n, out));
  }
  return out;
}

const TAG = /<|>/;

describe('Slack payloads from views fed hostile text (property)', () => {
  it('no view lets text people type open a tag in any parsed field', () => {
    fc.assert(
      fc.property(textsArb, (x) => {
        for (const { name, view, surface } of everyView(x)) {
          const message = renderMessage(view);
          for (const text of [message.text, ...parsed(renderBlocks(view, surface))])
            expect(withoutBotMarkup(text), `${name}: ${text}`).not.toMatch(TAG);
          expect(renderText(view), name).not.toMatch(/[\uE000-\uE00F]/);
        }
      }),
      { numRuns: 40, endOnFailure: true },
    );
  }, 120_000);

  it('forms show what people typed as plain text, and parse nothing', () => {
    fc.assert(
      fc.property(textsArb, (x) => {
        const settings = settingsOf(x);
        const pebble = pebbleOf(x);
        const improvement = improvementOf(x);
        const forms = [
          renderForm(reportForm(settings, { pebble }), { k: 'slash' }),
          renderForm(declineForm(pebble)),
          renderForm(duplicateForm(pebble)),
          renderViewModal('Pebble', pebbleView(pebble, settings, { userId: 'U0REP' })),
          renderForm(councilSettingsForm(settings)),
          renderForm(councilReasonForm(3, x.reason)),
          renderForm(improvementForms.proposeDate(improvement)),
          renderForm(improvementForms.decline(improvement)),
          renderForm(improvementForms.done(improvement)),
          renderForm(improvementForms.reassign(improvement)),
          renderForm(improvementForms.drop(improvement)),
        ];
        for (const form of forms) {
          for (const text of parsed(form))
            expect(withoutBotMarkup(text), `${form.callback_id}: ${text}`).not.toMatch(TAG);
        }
        const report = JSON.stringify(forms[0]);
        // Initial values are the plain text (Slack shows them as typed, never as markup).
        expect(report).toContain(JSON.stringify(slackPlain(pebble.title, 150)));
        expect(report).toContain(JSON.stringify(slackPlain(pebble.description, 2_000)));
      }),
      { numRuns: 40, endOnFailure: true },
    );
  }, 120_000);
});

describe('the bot’s own mentions', () => {
  it('render as live Slack mentions, channel links and local dates; elsewhere as names', () => {
    const x = {
      title: 'T',
      description: '',
      segment: '',
      reason: 'r',
      name: 'Olga',
      note: 'n',
      stage: 'Buy',
      fn: 'Product',
      narrative: 'n',
    };
    const settings = settingsOf(x);
    const home = JSON.stringify(renderBlocks(b2(councilHomeBlocks(settings, [])), 'home'));
    expect(home).toContain('Council channel: <#C0COUNCIL>');
    expect(home).toContain('Executive sponsor: <@U0VERA>');
    const owner = JSON.stringify(renderBlocks(improvementView(improvementOf(x), {}), 'message'));
    expect(owner).toContain('<@U0OWNER>');
    expect(renderMessage(digestSettingsView(settings, '/pebble')).text).toContain('<#C0LEADERS>');
    expect(renderText(improvementView(improvementOf(x), {}))).toContain('@Olga');

    expect(slackMrkdwn(`${person('U0ANA', 'ana')} in ${channel('C0CX', 'cx')}`, 100)).toBe(
      '<@U0ANA> in <#C0CX>',
    );
    // Not a Slack id (a console user, a forged value): a name, never markup.
    expect(slackMrkdwn(person('console:ana', 'ana<!here>'), 100)).toBe('@ana&lt;!here&gt;');
    expect(slackMrkdwn(channel('#general'), 100)).toBe('##general');
    expect(slackMrkdwn(date('2026-03-02T10:00:00Z', 'Mon 2 Mar'), 100)).toBe(
      '<!date^1772445600^{date_short_pretty}|Mon 2 Mar>',
    );
    expect(slackMrkdwn(date(at, 'Mon 2 Mar, 10:00', 'datetime'), 100)).toBe(
      '<!date^1772445600^{date_short_pretty} at {time}|Mon 2 Mar, 10:00>',
    );
    // A mention is never cut in half by the length limit.
    expect(slackMrkdwn(`${'x'.repeat(5)}${person('U0ANA')}`, 10)).toBe('xxxxx…');
    expect(slackPlain(person('U0ANA', 'ana'), 75)).toBe('@ana');
  });
});

function b2(blocks: MessageView['blocks']): MessageView {
  return { text: '', blocks };
}
