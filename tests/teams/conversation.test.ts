import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAMMAR } from '../../src/conversation/help.js';
import { DECLINED_NOTICE_KIND } from '../../src/core/pebbles/pebble.notices.js';
import { cardBytes, CARD_BYTE_LIMIT, type AdaptiveCard } from '../../src/teams/render-card.js';
import { FORM_SUBMIT_VERB, renderFormCard } from '../../src/teams/render-form.js';
import { REPORT_AS_PEBBLE_COMMAND, TEAMS_COMMANDS } from '../../src/teams/commands.js';
import { ACTIONS } from '../../src/views/actions.js';
import { councilSettingsForm, reportForm } from '../../src/views/form.view.js';
import { defaultSettings } from '../../src/core/workspaces/workspace.model.js';
import { cardSchemaProblems } from './card-schema.js';
import { PEOPLE, TeamsDriver, WORKSPACE_ID } from './teams.driver.js';

let t: TeamsDriver;

beforeAll(async () => {
  t = await TeamsDriver.start();
  await t.install();
  await t.configure();
}, 60_000);
afterAll(async () => {
  await t?.close();
});

const workspace = () => t.services.workspaces.get(WORKSPACE_ID);
const count = async () =>
  (await t.services.pebbles.list(await workspace(), {}, { limit: 1, offset: 0 })).total;

/** The message-extension invoke as Teams sends it for "Report as pebble" on a message. */
const extension = (data?: Record<string, unknown>) => ({
  commandId: REPORT_AS_PEBBLE_COMMAND,
  commandContext: 'message',
  ...(data ? { data } : {}),
  messagePayload: {
    id: '1767378504354',
    linkToMessage: 'https://teams.microsoft.com/l/message/19:abc/1767378504354',
    body: {
      contentType: 'html',
      content: '<p>The expense form loses attachments &amp; I retype them</p><p>Every month.</p>',
    },
  },
});

interface DialogAnswer {
  task: {
    type: string;
    value: string | { title: string; card: { content: AdaptiveCard } };
  };
}

function dialogCard(answer: unknown): AdaptiveCard {
  const task = (answer as DialogAnswer).task;
  expect(task.type).toBe('continue');
  return (task.value as { card: { content: AdaptiveCard } }).card.content;
}

/** The submit action's data of a form card: what Teams merges with the inputs' values. */
function submitData(card: AdaptiveCard): Record<string, string> {
  const actions = card.actions as { data: Record<string, string> }[];
  return actions[0]!.data;
}

describe('Teams commands and actions ↔ the conversation layer', () => {
  it('answers every command word the manifest lists, through the grammar (none becomes a report)', async () => {
    const before = await count();
    for (const { title } of TEAMS_COMMANDS) {
      const out = await t.say('ana', title);
      expect(out, title).not.toBe('');
      expect(out, title).not.toContain('Unknown command');
      expect(out, title).not.toContain('recorded');
    }
    expect(await count()).toBe(before);
  });

  it('lists or helps with every word of the grammar (the manifest has room for ten)', async () => {
    const help = await t.say('raj', 'help');
    const listed = new Set<string>(TEAMS_COMMANDS.map((c) => c.title));
    for (const section of GRAMMAR)
      for (const entry of section.entries) {
        const word = entry.usage.split(' ')[0]!;
        expect(listed.has(word) || help.includes(word), word).toBe(true);
      }
  });

  it('handles the one message action the manifest declares, and no other', async () => {
    const manifest = readFileSync(
      new URL('../../manifests/teams/manifest.json', import.meta.url),
      'utf8',
    );
    const ids = [...manifest.matchAll(/"id":\s*"([^"]+)"/g)].map((m) => m[1]);
    expect(ids).toContain(REPORT_AS_PEBBLE_COMMAND);
    const known = await t.invoke('raj', 'composeExtension/fetchTask', extension());
    expect((known as DialogAnswer).task.type).toBe('continue');
    const unknown = await t.invoke('raj', 'composeExtension/fetchTask', {
      ...extension(),
      commandId: 'somethingElse',
    });
    expect(unknown).toEqual({
      task: { type: 'message', value: 'Pebblebot has no action "somethingElse".' },
    });
  });
});

describe('export on Teams', () => {
  it('tells the admin where the same data is, exporting and recording nothing', async () => {
    const audited = async () => (await t.store.audit.list(WORKSPACE_ID)).total;
    const before = await audited();
    const out = await t.say('ana', 'export 2026-01-01 2026-03-31');
    expect(out).toContain('cannot send you files here yet');
    expect(out).toContain('api token create');
    expect(out).toContain('/api/v1/pebbles');
    expect(out).not.toMatch(/went wrong|pebblebot-pebbles/i);
    expect(await audited()).toBe(before);
  });
});

describe('"Report as pebble" and dialogs', () => {
  it('opens the report form prefilled from the message, and creates the pebble once with its link', async () => {
    const card = dialogCard(await t.invoke('raj', 'composeExtension/fetchTask', extension()));
    expect(cardSchemaProblems(card)).toEqual([]);
    const text = JSON.stringify(card);
    expect(text).toContain('"value":"The expense form loses attachments & I retype them"');
    expect(text).toContain('"value":"Every month."');
    expect(text).toContain('teams.microsoft.com/l/message/19:abc/1767378504354');

    const before = await count();
    const data = {
      ...submitData(card),
      title: 'The expense form loses attachments',
      description: 'Every month.',
      stakeholder: 'employee',
      stage: '',
      severity: '2',
      anonymous: 'false',
    };
    const first = await t.invoke('raj', 'composeExtension/submitAction', extension(data));
    const again = await t.invoke('raj', 'composeExtension/submitAction', extension(data));
    expect((first as DialogAnswer).task).toMatchObject({ type: 'message' });
    expect((first as DialogAnswer).task.value).toMatch(/P-\d+ recorded/);
    expect(again).toEqual({ task: { type: 'message', value: 'Already received.' } });
    expect(await count()).toBe(before + 1);
    const ws = await workspace();
    const latest = (await t.services.pebbles.list(ws, {}, { limit: 50, offset: 0 })).items.find(
      (p) => p.title === 'The expense form loses attachments',
    );
    expect(latest).toMatchObject({
      stakeholder: 'employee',
      severity: 2,
      source: {
        kind: 'teams-action',
        permalink: 'https://teams.microsoft.com/l/message/19:abc/1767378504354',
      },
    });
  });

  it('shows refusals next to their fields in the dialog and writes nothing', async () => {
    const card = dialogCard(await t.invoke('raj', 'composeExtension/fetchTask', extension()));
    const before = await count();
    const answer = await t.invoke(
      'raj',
      'composeExtension/submitAction',
      extension({ ...submitData(card), title: '   ', stakeholder: 'aliens', anonymous: 'true' }),
    );
    const again = dialogCard(answer);
    expect(cardSchemaProblems(again)).toEqual([]);
    const text = JSON.stringify(again);
    expect(text).toContain('Say in a few words what got in the way.');
    expect(text).toContain('"color":"Attention"');
    // What was typed stays in the form.
    expect(text).toMatch(/"id":"anonymous"[^}]*"value":"true"/);
    expect(await count()).toBe(before);
  });

  it('turns a button that needs more input into the form, for the caller only, and takes its submission', async () => {
    await t.report('raj', 'Hold music is far too loud');
    const ws = await workspace();
    const pebble = (await t.services.pebbles.list(ws, {}, { limit: 50, offset: 0 })).items.find(
      (p) => p.title === 'Hold music is far too loud',
    )!;
    const calls = t.bf.connectorCalls.length;
    const opened = await t.click('ana', ACTIONS.decline, String(pebble.number), 'triage');
    expect(opened.type).toBe('application/vnd.microsoft.card.adaptive');
    const form = opened.value as AdaptiveCard;
    expect(cardSchemaProblems(form)).toEqual([]);
    const meta = submitData(form);
    expect(meta.action).toBe(FORM_SUBMIT_VERB);
    // Nothing was posted for anyone else to see.
    expect(t.bf.connectorCalls.length).toBe(calls);

    const empty = await t.click('ana', FORM_SUBMIT_VERB, '', 'triage', { ...meta, reason: '' });
    expect(JSON.stringify(empty.value)).toContain('Say why, in a sentence.');
    expect((await t.services.pebbles.get(ws, pebble.number)).status).toBe('new');

    const before = t.dmsOf('raj');
    const done = await t.click('ana', FORM_SUBMIT_VERB, '', 'triage', {
      ...meta,
      reason: 'Handled by the facilities team',
    });
    expect(done.statusCode).toBe(200);
    expect((await t.services.pebbles.get(ws, pebble.number)).status).toBe('declined');
    // The reporter's notice reaches his personal chat through the outbox.
    await t.settle();
    expect(t.dmsOf('raj').slice(before.length)).toContain('was declined by triage');
    const notices = await t.services.store.outbox.list({ kind: DECLINED_NOTICE_KIND });
    expect(notices.filter((m) => m.key.includes(`:P-${pebble.number}:`))).toMatchObject([
      { status: 'sent', target: { kind: 'dm', userId: PEOPLE.raj.id } },
    ]);
  });

  it('refuses the same form from someone who may not use it (the check is core’s)', async () => {
    await t.report('raj', 'Parking badge expires without warning');
    const ws = await workspace();
    const pebble = (await t.services.pebbles.list(ws, {}, { limit: 50, offset: 0 })).items.find(
      (p) => p.title === 'Parking badge expires without warning',
    )!;
    const opened = await t.click('ana', ACTIONS.decline, String(pebble.number), 'triage');
    const meta = submitData(opened.value as AdaptiveCard);
    const answer = await t.click('raj', FORM_SUBMIT_VERB, '', 'triage', {
      ...meta,
      reason: 'I do not like it',
    });
    expect(JSON.stringify(answer)).toContain('Only Pebblebot admins');
    expect((await t.services.pebbles.get(ws, pebble.number)).status).toBe('new');
  });
});

describe('form cards', () => {
  it('stay valid and under 28 KB for the largest forms (a council of 60, every journey stage)', () => {
    const settings = defaultSettings();
    const members = Array.from({ length: 60 }, (_, i) => ({
      userId: `29:1${'x'.repeat(80)}-${i}`,
      name: `Council Member With A Long Name ${i}`,
    }));
    const big = { ...settings, council: { ...settings.council, members } };
    for (const form of [councilSettingsForm(big), reportForm(big, { text: 'y'.repeat(150) })]) {
      for (const surface of ['dialog', 'card'] as const) {
        const card = renderFormCard(form, surface);
        expect(cardSchemaProblems(card)).toEqual([]);
        expect(cardBytes(card)).toBeLessThanOrEqual(CARD_BYTE_LIMIT);
      }
    }
  });
});
