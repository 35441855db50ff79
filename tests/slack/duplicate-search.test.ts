import { afterEach, describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/views/actions.js';
import {
  alice,
  blockAction,
  bob,
  carol,
  startSlackApp,
  TEAM,
  TRIAGE,
  uid,
  viewSubmission,
  type SlackTestApp,
} from './harness.js';

let t: SlackTestApp;
afterEach(async () => {
  expect(t.slack.unexpected).toEqual([]);
  await t.stop();
});

const OTHER_TEAM = 'T0OTHERWS1';
const admin = (body: Record<string, unknown>) => ({
  user: { id: body.user, name: String(body.user), is_admin: true, is_owner: false },
});

type Option = { text: { type: string; text: string }; value: string };

/** A block_suggestion payload, as Slack sends it while someone types in an external select. */
function suggestion(
  value: string,
  view: { id: string; private_metadata: string },
  team = TEAM,
): Record<string, unknown> {
  return {
    type: 'block_suggestion',
    user: { id: carol.id, username: carol.name, name: carol.name, team_id: team },
    container: { type: 'view', view_id: view.id },
    api_app_id: 'A0PEBBLE',
    token: 'legacy',
    action_id: 'search_open_pebbles',
    block_id: 'of',
    value,
    team: { id: team, domain: 'acme' },
    enterprise: null,
    is_enterprise_install: false,
    view: {
      id: view.id,
      team_id: team,
      type: 'modal',
      callback_id: 'pebble_duplicate',
      private_metadata: view.private_metadata,
      hash: `${Date.now()}.abc`,
      state: { values: {} },
    },
  };
}

async function options(
  value: string,
  view: { id: string; private_metadata: string },
  team = TEAM,
): Promise<Option[]> {
  const res = await t.interaction(suggestion(value, view, team));
  expect(res.status).toBe(200);
  return res.text ? ((JSON.parse(res.text) as { options?: Option[] }).options ?? []) : [];
}

/** Pebbles here (P-1…P-4, P-3 declined) and in another workspace with the same words. */
async function seed() {
  const { workspaces, pebbles } = t.app.services;
  const ws = await workspaces.ensure('slack', TEAM);
  const report = (title: string, by = alice.id) =>
    pebbles.report(ws, { userId: by }, { title }, { kind: 'slash' });
  await report('Support hold music is 40 minutes long');
  await report('Waiting on hold takes forever', bob.id);
  await report('Hold queue drops calls');
  await report(`Invoice PDF is <b>blank</b> & ${'very '.repeat(30)}long`);
  // The decline's notice to the reporter leaves through the outbox.
  t.slack.expect('chat.postMessage', { channel: 'D0ALICE', ts: '1.1' });
  await pebbles.decline(ws, { userId: 'U0ADMIN', platformAdmin: true }, 3, 'Not a pebble');
  await t.slack.done();
  const other = await workspaces.ensure('slack', OTHER_TEAM);
  for (const title of ['Hold music elsewhere is secret', 'Another hold secret', 'Third secret'])
    await pebbles.report(other, { userId: 'U0STRANGER' }, { title }, { kind: 'slash' });
  return ws;
}

describe('Slack: "Mark duplicate of…" searches open pebbles as one types', () => {
  it('offers matching open pebbles of this workspace only, and marks the one picked', async () => {
    t = await startSlackApp();
    const ws = await seed();

    t.slack.expect('users.info', admin).expect('views.open');
    await t.interaction(
      blockAction(carol, { action_id: ACTIONS.markDuplicate, value: '2' }, { channel: TRIAGE }),
    );
    await t.slack.done();
    const { view } = t.slack.of('views.open')[0]!.body as {
      view: { private_metadata: string; blocks: { block_id?: string; element?: unknown }[] };
    };
    expect(view.blocks.find((b) => b.block_id === 'of')?.element).toMatchObject({
      type: 'external_select',
      action_id: 'search_open_pebbles',
      min_query_length: 0,
    });
    const form = { id: `V${uid()}`, private_metadata: view.private_metadata };

    // Nothing typed: every open pebble but P-2 itself and the declined P-3, newest first.
    expect((await options('', form)).map((o) => o.value)).toEqual(['4', '1']);
    // Words of the title, in any case and order; the pebble itself is never offered.
    expect(await options('HOLD', form)).toEqual([
      {
        text: {
          type: 'plain_text',
          text: 'P-1 Support hold music is 40 minutes long',
          emoji: true,
        },
        value: '1',
      },
    ]);
    expect((await options('music support', form)).map((o) => o.value)).toEqual(['1']);
    // A number or a pebble id; a number in a title matches too.
    expect((await options('p-4', form)).map((o) => o.value)).toEqual(['4']);
    expect((await options('40', form)).map((o) => o.value)).toEqual(['1']);
    expect(await options('secret', form)).toEqual([]);
    expect(await options('2', form)).toEqual([]);
    // Labels are plain text cut to Slack's 75 characters.
    const [invoice] = await options('invoice', form);
    expect(invoice!.value).toBe('4');
    expect(invoice!.text.type).toBe('plain_text');
    expect(invoice!.text.text.length).toBeLessThanOrEqual(75);
    expect(invoice!.text.text).toMatch(/^P-4 Invoice PDF is <b>blank<\/b> & very/);

    // A signed request naming another workspace gets nothing from it, or from this one.
    const elsewhere = await t.interaction(suggestion('', form, OTHER_TEAM));
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.text).not.toMatch(/secret|hold/i);

    // The form comes back with the option picked in the menu.
    t.slack.expect('chat.postMessage', {}, 2);
    const res = await t.interaction(
      viewSubmission(carol, {
        callback_id: 'pebble_duplicate',
        private_metadata: view.private_metadata,
        values: {
          of: {
            search_open_pebbles: {
              type: 'external_select',
              selected_option: {
                text: { type: 'plain_text', text: 'P-1 Support hold music…' },
                value: '1',
              },
            },
          },
        },
      }),
    );
    expect(res.text).toBe('');
    await t.slack.done();
    expect(await t.app.services.pebbles.get(ws, 2)).toMatchObject({
      status: 'duplicate',
      duplicateOf: 1,
    });
    // Marked, P-2 is no longer open: a menu on another pebble does not offer it.
    const onFour = { id: `V${uid()}`, private_metadata: JSON.stringify({ n: 4 }) };
    expect((await options('', onFour)).map((o) => o.value)).toEqual(['1']);
  });

  it('asks to pick a pebble when the menu was left empty, and changes nothing', async () => {
    t = await startSlackApp();
    const ws = await seed();
    const res = await t.interaction(
      viewSubmission(carol, {
        callback_id: 'pebble_duplicate',
        private_metadata: '{"n":2}',
        values: { of: { search_open_pebbles: { type: 'external_select', selected_option: null } } },
      }),
    );
    expect(JSON.parse(res.text)).toEqual({
      response_action: 'errors',
      errors: { of: 'Pick a pebble, or type its id like P-7.' },
    });
    expect((await t.app.services.pebbles.get(ws, 2)).status).toBe('new');
  });
});
