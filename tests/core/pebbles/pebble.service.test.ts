import { describe, expect, it } from 'vitest';
import { DESCRIPTION_MAX, TITLE_MAX } from '../../../src/core/pebbles/pebble.model.js';
import { splitReportText } from '../../../src/core/pebbles/pebble.service.js';
import { isPebbleError } from '../../../src/core/shared/errors.js';
import { alice, bob, carol, makeServices } from '../../helpers/services.js';

describe('PebbleService.report', () => {
  it('derives the title from the first line and the description from the rest', async () => {
    const { services, workspace } = await makeServices();
    const { pebble } = await services.pebbles.report(
      workspace,
      alice,
      { text: '\n  Checkout times out on mobile  \nIt spins for 30 s\nthen fails.' },
      { kind: 'slash', channelId: 'C1' },
    );
    expect(pebble).toMatchObject({
      number: 1,
      title: 'Checkout times out on mobile',
      description: 'It spins for 30 s\nthen fails.',
      status: 'new',
      stakeholder: 'customer',
      anonymous: false,
      reporter: alice,
      source: { kind: 'slash', channelId: 'C1' },
      supporterCount: 0,
    });
    expect(pebble.history).toEqual([
      expect.objectContaining({ actor: alice.userId, action: 'reported', to: 'new' }),
    ]);
  });

  it('keeps optional details and checks the journey stage against the catalog', async () => {
    const { services, workspace } = await makeServices();
    const { pebble } = await services.pebbles.report(
      workspace,
      alice,
      {
        title: 'Onboarding call never booked',
        stakeholder: 'partner',
        journey: 'customer',
        stage: 'onboard',
        severity: 3,
        segment: 'Enterprise',
        frequency: 'weekly',
        minutesLost: 20,
        anonymous: true,
      },
      { kind: 'modal' },
    );
    expect(pebble).toMatchObject({
      stakeholder: 'partner',
      stage: 'onboard',
      severity: 3,
      segment: 'Enterprise',
      anonymous: true,
    });
    await expect(
      services.pebbles.report(
        workspace,
        alice,
        { title: 'x', stage: 'teleport' },
        { kind: 'modal' },
      ),
    ).rejects.toThrow(/Unknown journey stage "teleport"/);
  });

  it('rejects an empty report and a bad severity without writing anything', async () => {
    const { services, workspace } = await makeServices();
    await expect(
      services.pebbles.report(workspace, alice, { text: '   \n ' }, { kind: 'console' }),
    ).rejects.toThrow('A pebble needs a title');
    await expect(
      services.pebbles.report(workspace, alice, { title: 'ok', severity: 9 }, { kind: 'modal' }),
    ).rejects.toSatisfy((e) => isPebbleError(e, 'PEBBLE.INVALID_INPUT'));
    expect((await services.pebbles.list(workspace)).total).toBe(0);
    const { pebble } = await services.pebbles.report(
      workspace,
      alice,
      { text: 'first real one' },
      { kind: 'console' },
    );
    expect(pebble.number).toBe(1);
  });

  it('shortens oversized text with a visible note instead of failing', () => {
    const long = `${'t'.repeat(400)}\n${'d'.repeat(10_000)}`;
    const split = splitReportText(long);
    expect(split.truncated).toBe(true);
    expect(split.title.length).toBeLessThanOrEqual(TITLE_MAX);
    expect(split.description.length).toBeLessThanOrEqual(DESCRIPTION_MAX);
    expect(split.description).toContain('truncated');
  });
});

describe('PebbleService.support', () => {
  it('counts a +1 once per person and never the reporter’s own', async () => {
    const { services, workspace } = await makeServices();
    const { pebble } = await services.pebbles.report(
      workspace,
      alice,
      { text: 'Slow refunds' },
      { kind: 'console' },
    );
    expect((await services.pebbles.support(workspace, bob, pebble.number)).added).toBe(true);
    expect((await services.pebbles.support(workspace, bob, pebble.number)).added).toBe(false);
    const own = await services.pebbles.support(workspace, alice, pebble.number);
    expect(own.added).toBe(false);
    const third = await services.pebbles.support(workspace, carol, pebble.number);
    expect(third.pebble.supporterCount).toBe(2);
    expect(third.pebble.supporters.map((s) => s.userId)).toEqual([bob.userId, carol.userId]);
  });

  it('sends a +1 on a duplicate to its original', async () => {
    const { services, workspace } = await makeServices();
    const original = (
      await services.pebbles.report(workspace, alice, { text: 'Slow refunds' }, { kind: 'console' })
    ).pebble;
    const dup = (
      await services.pebbles.report(
        workspace,
        bob,
        { text: 'Refunds take weeks' },
        { kind: 'console' },
      )
    ).pebble;
    await services.pebbles.transition(workspace, carol, dup.number, 'duplicate', {
      duplicateOf: original.number,
    });
    const result = await services.pebbles.support(workspace, carol, dup.number);
    expect(result).toMatchObject({
      added: true,
      redirectedFrom: dup.number,
      pebble: { number: original.number, supporterCount: 1 },
    });
  });

  it('says which pebble is unknown', async () => {
    const { services, workspace } = await makeServices();
    await expect(services.pebbles.support(workspace, bob, 42)).rejects.toThrow(
      'There is no pebble P-42 in this workspace.',
    );
  });
});

describe('PebbleService.transition', () => {
  it('follows the life cycle and records every change', async () => {
    const { services, workspace, clock } = await makeServices();
    const { pebble } = await services.pebbles.report(
      workspace,
      alice,
      { text: 'Slow refunds' },
      { kind: 'console' },
    );
    clock.advance(60_000);
    await services.pebbles.transition(workspace, carol, pebble.number, 'triaged');
    const inCouncil = await services.pebbles.transition(
      workspace,
      carol,
      pebble.number,
      'in-council',
    );
    expect(inCouncil.status).toBe('in-council');
    expect(inCouncil.history.map((h) => `${h.from ?? ''}>${h.to ?? ''}`)).toEqual([
      '>new',
      'new>triaged',
      'triaged>in-council',
    ]);
    expect(inCouncil.updatedAt.toISOString()).toBe('2026-03-02T10:01:00.000Z');
  });

  it('rejects an illegal transition with a typed error and changes nothing', async () => {
    const { services, workspace } = await makeServices();
    const { pebble } = await services.pebbles.report(
      workspace,
      alice,
      { text: 'Slow refunds' },
      { kind: 'console' },
    );
    await expect(
      services.pebbles.transition(workspace, carol, pebble.number, 'resolved'),
    ).rejects.toSatisfy((e) => isPebbleError(e, 'PEBBLE.ILLEGAL_TRANSITION'));
    expect((await services.pebbles.get(workspace, pebble.number)).status).toBe('new');
  });

  it('keeps a decline reason and needs a target for duplicates', async () => {
    const { services, workspace } = await makeServices();
    const { pebble } = await services.pebbles.report(
      workspace,
      alice,
      { text: 'Coffee is cold' },
      { kind: 'console' },
    );
    await expect(
      services.pebbles.transition(workspace, carol, pebble.number, 'duplicate'),
    ).rejects.toThrow('Say which other pebble this one duplicates.');
    const declined = await services.pebbles.transition(
      workspace,
      carol,
      pebble.number,
      'declined',
      { reason: 'Not a journey issue' },
    );
    expect(declined).toMatchObject({ status: 'declined', declineReason: 'Not a journey issue' });
  });
});

describe('PebbleService.mergeInto and setAnonymous', () => {
  it('folds a fresh report into an existing pebble as the reporter’s +1', async () => {
    const { services, workspace } = await makeServices();
    const target = (
      await services.pebbles.report(
        workspace,
        alice,
        { text: 'Checkout times out' },
        { kind: 'console' },
      )
    ).pebble;
    const fresh = (
      await services.pebbles.report(
        workspace,
        bob,
        { text: 'Checkout timeout again' },
        { kind: 'console' },
      )
    ).pebble;
    await expect(
      services.pebbles.mergeInto(workspace, carol, fresh.number, target.number),
    ).rejects.toThrow('Only the reporter of P-2 can merge it.');
    const merged = await services.pebbles.mergeInto(workspace, bob, fresh.number, target.number);
    expect(merged.pebble).toMatchObject({ number: 1, supporterCount: 1 });
    // The folded report stays, as a duplicate of the pebble it joined: text and reporter kept.
    expect(await services.pebbles.get(workspace, fresh.number)).toMatchObject({
      status: 'duplicate',
      duplicateOf: 1,
      title: 'Checkout timeout again',
      reporter: { userId: bob.userId },
    });
    // A later +1 on it reaches the pebble it joined.
    const again = await services.pebbles.support(workspace, carol, fresh.number);
    expect(again).toMatchObject({ added: true, redirectedFrom: 2, pebble: { number: 1 } });
  });

  it('lets only the reporter hide their name', async () => {
    const { services, workspace } = await makeServices();
    const { pebble } = await services.pebbles.report(
      workspace,
      alice,
      { text: 'Badge reader fails' },
      { kind: 'console' },
    );
    await expect(
      services.pebbles.setAnonymous(workspace, bob, pebble.number, true),
    ).rejects.toThrow('Only the reporter');
    expect(
      (await services.pebbles.setAnonymous(workspace, alice, pebble.number, true)).anonymous,
    ).toBe(true);
  });
});

describe('PebbleService.findSimilar', () => {
  it('returns open pebbles that share words, best first, not itself or closed ones', async () => {
    const { services, workspace } = await makeServices();
    const report = (text: string) =>
      services.pebbles.report(workspace, alice, { text }, { kind: 'console' });
    const a = (await report('Checkout page times out on mobile')).pebble;
    await report('Invoice shows the wrong VAT number');
    const c = (await report('Mobile checkout times out when paying by card')).pebble;
    const closed = (await report('Checkout times out on mobile Safari')).pebble;
    await services.pebbles.transition(workspace, bob, closed.number, 'declined');
    const fresh = (await report('Checkout timed out on my mobile')).pebble;
    const similar = await services.pebbles.findSimilar(workspace, fresh);
    expect(similar.map((s) => s.pebble.number)).toEqual([a.number, c.number]);
    expect(similar[0]!.score).toBeGreaterThan(similar[1]!.score);
  });
});
