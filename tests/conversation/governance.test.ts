import { describe, expect, it } from 'vitest';
import type { ConversationContext, ConversationDeps } from '../../src/conversation/context.js';
import { runText } from '../../src/conversation/run-command.js';
import { retentionJob } from '../../src/core/governance/governance.jobs.js';
import { RETAINED_TITLE } from '../../src/core/governance/governance.model.js';
import type { ChatGateway, ChatTarget } from '../../src/core/shared/chat-gateway.port.js';
import { isPebbleError } from '../../src/core/shared/errors.js';
import type { UserContext } from '../../src/core/workspaces/workspace.service.js';
import { person } from '../../src/views/tokens.js';
import { alice, bob, makeServices } from '../helpers/services.js';
import { decidedSecretVote } from '../helpers/votes.js';

/** A gateway that keeps the files it was asked to upload. */
function filesGateway() {
  const files: { target: ChatTarget; filename: string; text: string }[] = [];
  const gateway: ChatGateway = {
    send: (_w, target) =>
      Promise.resolve({
        channelId: target.kind === 'dm' ? target.userId : target.channelId,
        messageId: '1',
      }),
    update: () => Promise.resolve(),
    uploadImage: () => Promise.resolve(),
    uploadFile: (_w, target, file) => {
      files.push({ target, filename: file.filename, text: file.data.toString('utf8') });
      return Promise.resolve();
    },
  };
  return { gateway, files };
}

const admin: UserContext = { userId: 'U_ADMIN', name: 'Ada', platformAdmin: true };
const member = (u: typeof alice): UserContext => ({ ...u, platformAdmin: false });

async function setup() {
  const made = await makeServices();
  const { gateway, files } = filesGateway();
  const deps: ConversationDeps = { services: made.services, chat: gateway };
  const ctx = async (actor: UserContext): Promise<ConversationContext> => ({
    workspace: await made.services.workspaces.get(made.workspace.id),
    actor,
    channel: 'slack',
    prefix: '/pebble',
  });
  const say = async (actor: UserContext, text: string) => {
    const outputs = await runText(deps, await ctx(actor), text);
    return outputs
      .map((o) =>
        o.kind === 'reply' ? o.view.blocks.map((b) => ('text' in b ? b.text : '')).join('\n') : '',
      )
      .join('\n');
  };
  const refused = async (actor: UserContext, text: string) => {
    const error = await say(actor, text).catch((e: unknown) => e);
    expect(isPebbleError(error, 'WORKSPACE.NOT_ADMIN'), String(error)).toBe(true);
  };
  return { ...made, deps, files, say, refused };
}

describe('audit log', () => {
  it('records who changed which setting, when, before and after, on every settings path', async () => {
    const { say, store, workspace, clock } = await setup();
    await say(admin, 'config emoji pebble');
    clock.advance(60_000);
    await say(admin, `config council add ${person('U_BEN', 'Ben')}`);
    clock.advance(60_000);
    await say(admin, 'config digest day fri');
    clock.advance(60_000);
    await say(admin, 'config retention 2y');
    const log = await store.audit.list(workspace.id);
    expect(log.items.map((e) => e.action)).toEqual([
      'settings',
      'settings',
      'council-settings',
      'settings',
    ]);
    const emoji = log.items.at(-1)!;
    expect(emoji).toMatchObject({ actor: 'U_ADMIN', what: 'reactionEmoji' });
    expect(JSON.parse(emoji.before)).toEqual({ reactionEmoji: 'rock' });
    expect(JSON.parse(emoji.after)).toEqual({ reactionEmoji: 'pebble' });
    expect(emoji.at).toEqual(new Date('2026-03-02T10:00:00Z'));
    expect(JSON.parse(log.items[2]!.after).council.members).toEqual([
      { userId: 'U_BEN', name: 'Ben' },
    ]);
    expect(JSON.parse(log.items[1]!.before).digest.day).not.toBe(5);
    expect(JSON.parse(log.items[1]!.after).digest.day).toBe(5);
    expect(JSON.parse(log.items[0]!.after)).toEqual({ retentionDays: 730 });

    const page = await say(admin, 'config audit');
    expect(page).toContain('Audit log · page 1 of 1');
    expect(page).toContain('reactionEmoji');
    expect(page).toContain('"reactionEmoji":"pebble"');
  });

  it('pages the log and refuses it, and every change, to members, writing nothing', async () => {
    const { say, refused, store, workspace } = await setup();
    for (const emoji of ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8', 'a9', 'b1', 'b2'])
      await say(admin, `config emoji ${emoji}`);
    expect(await say(admin, 'config audit')).toContain('`/pebble config audit page 2`');
    expect(await say(admin, 'config audit page 2')).toContain('page 2 of 2');
    await refused(member(bob), 'config audit');
    await refused(member(bob), 'config emoji boom');
    await refused(member(bob), 'config retention 1y');
    expect((await store.audit.list(workspace.id)).total).toBe(11);
  });
});

describe('export', () => {
  it('uploads CSV files to the admin in a DM: formulas neutralised, anonymous reporters and voters left out', async () => {
    const { say, files, services, store, workspace, clock } = await setup();
    await say(member(alice), 'report =HYPERLINK("http://evil.example","click") in the invoice');
    await say(member(bob), 'anon @SUM(A1) shows on the payroll page');
    await say(member(alice), '-2+3 is the discount shown at checkout');
    await services.improvements.createFromPebbles(workspace, admin, {
      title: '+fix the form',
      pebbleNumbers: [1],
    });
    await store.votes.create(
      decidedSecretVote(workspace.id, 3, clock.now(), {
        proposedBy: 'U_ADMIN',
        voters: ['U_VOTER_1', 'U_VOTER_2'],
      }),
    );
    // Same millisecond as the export: the log still lists the export last-in, first-out.
    await say(admin, 'config emoji pebble');

    const reply = await say(admin, 'export 2026-03-01 2026-03-31');
    expect(reply).toContain('Pebbles: 3 rows');
    expect(files.map((f) => f.filename)).toEqual([
      'pebblebot-pebbles-2026-03-01_2026-03-31.csv',
      'pebblebot-improvements-2026-03-01_2026-03-31.csv',
      'pebblebot-decisions-2026-03-01_2026-03-31.csv',
      'pebblebot-audit-2026-03-01_2026-03-31.csv',
    ]);
    expect(files.every((f) => f.target.kind === 'dm' && f.target.userId === 'U_ADMIN')).toBe(true);
    const [pebbles, improvements, decisions, audit] = files.map((f) => f.text);
    expect(pebbles!.split('\r\n')[0]).toMatch(/^id,title,description,status/);
    // RFC 4180: quotes doubled inside a quoted cell; the formula starts with an apostrophe.
    expect(pebbles).toContain('"\'=HYPERLINK(""http://evil.example"",""click"") in the invoice"');
    expect(pebbles).toContain("'@SUM(A1) shows on the payroll page");
    expect(pebbles).toContain("'-2+3 is the discount shown at checkout");
    expect(pebbles).not.toMatch(/(^|,)[=+\-@]/m);
    expect(pebbles).toContain('Alice');
    expect(pebbles).not.toContain('Bob');
    expect(pebbles).not.toContain('U_BOB');
    expect(improvements).toContain("'+fix the form");
    expect(decisions).toMatch(/V-1,P-3,decided,.*fix-now/);
    expect(decisions).not.toContain('U_VOTER');
    expect(audit).toContain('reactionEmoji');
    // The export itself is audited.
    expect((await store.audit.list(workspace.id)).items[0]).toMatchObject({
      action: 'export',
      actor: 'U_ADMIN',
    });
  });

  it('refuses members and bad periods before anything is uploaded or recorded', async () => {
    const { say, refused, files, store, workspace } = await setup();
    await refused(member(alice), 'export');
    await expect(say(admin, 'export 2026-03-31 2026-03-01')).rejects.toThrow(
      /start comes after the end/,
    );
    await expect(say(admin, 'export 2026-02-30')).rejects.toThrow(/not a real date/);
    await expect(say(admin, 'export 31/03')).rejects.toThrow(/dates/);
    expect(files).toHaveLength(0);
    expect((await store.audit.list(workspace.id)).total).toBe(0);
    // A report that starts with the word stays a report.
    expect(await say(member(alice), 'export to Excel loses the accents')).toContain('P-1');
  });
});

describe('forget me', () => {
  it('asks to confirm, then attributes everything to a former member; content and ballots stay', async () => {
    const { say, store, workspace } = await setup();
    await say(member(alice), 'report Checkout asks for the address twice');
    await say(member(bob), 'report Invoice VAT is wrong');
    await say(member(alice), '+1 P-2');
    expect(await say(member(alice), 'forget me')).toContain('forget me confirm');
    expect((await store.pebbles.list(workspace.id, { reporterId: alice.userId })).total).toBe(1);

    expect(await say(member(alice), 'forget me confirm')).toContain('a former member');
    const all = await store.pebbles.list(workspace.id);
    expect(JSON.stringify(all)).not.toContain(alice.userId);
    expect(JSON.stringify(all)).not.toContain('Alice');
    const p1 = (await store.pebbles.get(workspace.id, 1))!;
    expect(p1.title).toBe('Checkout asks for the address twice');
    expect(p1.reporter.name).toBe('a former member');
    expect((await store.pebbles.get(workspace.id, 2))!.supporterCount).toBe(1);
    expect((await store.pebbles.get(workspace.id, 2))!.reporter.userId).toBe(bob.userId);
    const entry = (await store.audit.list(workspace.id)).items[0]!;
    expect(entry.action).toBe('forget-member');
    expect(entry.actor).toMatch(/^former-/);
    expect(JSON.stringify(entry)).not.toContain(alice.userId);
  });
});

describe('delete workspace data', () => {
  it('needs an admin and the exact name, then deletes all but the audit log', async () => {
    const { say, refused, store, workspace } = await setup();
    await say(member(alice), 'report Checkout asks for the address twice');
    await refused(member(alice), 'config delete-workspace-data confirm Acme');
    await expect(say(admin, 'config delete-workspace-data')).rejects.toThrow(
      /confirm <workspace name>/,
    );
    const wrong = await say(admin, 'config delete-workspace-data confirm Acne').catch(
      (e: unknown) => e,
    );
    expect(isPebbleError(wrong, 'GOVERNANCE.CONFIRM')).toBe(true);
    expect((await store.pebbles.list(workspace.id)).total).toBe(1);

    expect(await say(admin, 'config delete-workspace-data confirm acme')).toContain('Deleted');
    expect((await store.pebbles.list(workspace.id)).total).toBe(0);
    expect(await store.workspaces.get(workspace.id)).toBeNull();
    expect((await store.audit.list(workspace.id)).items[0]).toMatchObject({
      action: 'delete-workspace-data',
      actor: 'U_ADMIN',
    });
  });
});

describe('retention', () => {
  it('the nightly job empties the text of resolved pebbles older than the setting, once', async () => {
    const { say, store, workspace, clock, services } = await setup();
    await say(member(alice), 'report Old friction long fixed');
    await say(member(alice), 'report Still open friction');
    await store.pebbles.update(workspace.id, 1, {
      set: { status: 'resolved', updatedAt: clock.now() },
      history: { at: clock.now(), actor: 'U_ADMIN', action: 'resolved' },
    });
    expect(await say(admin, 'config retention 2y')).toContain('730 days');
    await expect(say(admin, 'config retention 5d')).rejects.toThrow(/30 days to 10 years/);
    const job = retentionJob(services.governance);
    const run = (now: Date) => job.run({ now, slot: now, signal: new AbortController().signal });
    expect(await run(new Date('2027-03-01T00:00:00Z'))).toEqual({ workspaces: 1, pebbles: 0 });
    expect(await run(new Date('2028-03-03T00:00:00Z'))).toEqual({ workspaces: 1, pebbles: 1 });
    expect(await run(new Date('2028-03-04T00:00:00Z'))).toEqual({ workspaces: 1, pebbles: 0 });
    expect((await store.pebbles.get(workspace.id, 1))!.title).toBe(RETAINED_TITLE);
    expect((await store.pebbles.get(workspace.id, 2))!.title).toBe('Still open friction');
    expect((await store.audit.list(workspace.id)).items[0]).toMatchObject({ action: 'retention' });
    await say(admin, 'config retention off');
    expect((await services.workspaces.get(workspace.id)).settings.retentionDays).toBeUndefined();
  });
});
