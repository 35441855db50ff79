import { describe, expect, it } from 'vitest';
import type { Tally } from '../../../src/core/council/council.model.js';
import {
  addWorkingDays,
  decideOutcome,
  distinctFunctions,
  isProposable,
  meetsThreshold,
  nextCycleStart,
  reminderTime,
  requiredQuorum,
  tallyOf,
  withinWip,
} from '../../../src/core/council/council.rules.js';

const tally = (fix = 0, next = 0, not = 0, info = 0): Tally => ({
  'fix-now': fix,
  'next-cycle': next,
  'not-now': not,
  'need-info': info,
});

describe('quorum', () => {
  it.each([
    // eligible, configured, needed
    [5, undefined, 3],
    [4, undefined, 2],
    [1, undefined, 1],
    [0, undefined, 1],
    [7, 4, 4],
    [3, 4, 3], // never more than can vote
    [0, 4, 1],
  ])('with %i eligible and quorum %s needs %i ballots', (eligible, quorum, needed) => {
    expect(requiredQuorum(eligible, quorum)).toBe(needed);
  });
});

describe('threshold', () => {
  it.each([
    // votes, cast, threshold, meets
    [3, 5, 50, true],
    [2, 4, 50, false], // half is not a majority
    [3, 4, 50, true],
    [2, 3, 66, true],
    [2, 3, 67, false],
    [4, 4, 100, true],
    [3, 4, 100, false],
    [0, 0, 50, false],
    [1, 1, 50, true],
  ])('%i of %i ballots at %i%% -> %s', (votes, cast, threshold, meets) => {
    expect(meetsThreshold(votes, cast, threshold)).toBe(meets);
  });
});

describe('outcome', () => {
  const rules = { threshold: 50 };
  it.each([
    {
      name: 'a majority with quorum decides',
      input: { tally: tally(3, 1), recused: 0, electorate: 5, functionsVoted: 2, rules },
      outcome: 'decided',
      winner: 'fix-now',
    },
    {
      name: 'too few ballots is no quorum',
      input: { tally: tally(2), recused: 0, electorate: 5, functionsVoted: 1, rules },
      outcome: 'no-quorum',
    },
    {
      name: 'recused members do not count toward quorum',
      input: { tally: tally(2), recused: 2, electorate: 5, functionsVoted: 1, rules },
      outcome: 'decided',
      winner: 'fix-now',
    },
    {
      name: 'everyone recused is no quorum',
      input: { tally: tally(), recused: 3, electorate: 3, functionsVoted: 0, rules },
      outcome: 'no-quorum',
    },
    {
      name: 'two options with the most ballots is a tie',
      input: { tally: tally(2, 2), recused: 0, electorate: 4, functionsVoted: 3, rules },
      outcome: 'tie',
      leading: ['fix-now', 'next-cycle'],
    },
    {
      name: 'a plurality below the threshold is no majority',
      input: { tally: tally(2, 1, 1), recused: 0, electorate: 5, functionsVoted: 3, rules },
      outcome: 'no-majority',
      leading: ['fix-now'],
    },
    {
      name: 'a two-thirds threshold refuses 3 of 5',
      input: {
        tally: tally(0, 0, 3, 2),
        recused: 0,
        electorate: 5,
        functionsVoted: 3,
        rules: { threshold: 66 },
      },
      outcome: 'no-majority',
    },
    {
      name: 'an unmet balance rule escalates even with a majority',
      input: {
        tally: tally(4),
        recused: 0,
        electorate: 5,
        functionsVoted: 1,
        rules: { threshold: 50, balance: 2 },
      },
      outcome: 'no-balance',
    },
    {
      name: 'a met balance rule lets the majority decide',
      input: {
        tally: tally(3, 1),
        recused: 0,
        electorate: 5,
        functionsVoted: 2,
        rules: { threshold: 50, balance: 2 },
      },
      outcome: 'decided',
      winner: 'fix-now',
    },
    {
      name: 'quorum is checked before balance',
      input: {
        tally: tally(1),
        recused: 0,
        electorate: 5,
        functionsVoted: 1,
        rules: { threshold: 50, balance: 2, quorum: 2 },
      },
      outcome: 'no-quorum',
    },
    {
      name: 'a configured quorum of 2 lets 2 of 9 decide',
      input: {
        tally: tally(0, 2),
        recused: 0,
        electorate: 9,
        functionsVoted: 2,
        rules: { threshold: 50, quorum: 2 },
      },
      outcome: 'decided',
      winner: 'next-cycle',
    },
    {
      name: 'unanimity needs every ballot',
      input: {
        tally: tally(3, 0, 0, 1),
        recused: 0,
        electorate: 4,
        functionsVoted: 2,
        rules: { threshold: 100 },
      },
      outcome: 'no-majority',
    },
  ])('$name', ({ input, outcome, winner, leading }) => {
    const result = decideOutcome(input);
    expect(result.outcome).toBe(outcome);
    expect(result.winner).toBe(winner);
    if (leading) expect(result.leading).toEqual(leading);
  });

  it('counts only option ballots as cast', () => {
    expect(
      decideOutcome({ tally: tally(1, 1), recused: 3, electorate: 5, functionsVoted: 0, rules })
        .cast,
    ).toBe(2);
  });
});

describe('tally and functions', () => {
  it('counts recusals apart from options', () => {
    expect(tallyOf(['fix-now', 'recuse', 'fix-now', 'need-info'])).toEqual({
      tally: tally(2, 0, 0, 1),
      recused: 1,
    });
  });

  it('counts distinct functions, case-insensitively, ignoring members without one', () => {
    expect(
      distinctFunctions([
        { function: 'Product' },
        { function: 'product' },
        { function: 'Support' },
        {},
      ]),
    ).toBe(2);
  });
});

describe('working days, reminders and cycles', () => {
  it.each([
    // from (UTC), days, zone, deadline (UTC)
    ['2026-01-05T09:00:00Z', 3, 'UTC', '2026-01-08T09:00:00.000Z'], // Monday + 3 = Thursday
    ['2026-01-09T10:00:00Z', 3, 'UTC', '2026-01-14T10:00:00.000Z'], // Friday + 3 = Wednesday
    ['2026-01-10T10:00:00Z', 1, 'UTC', '2026-01-12T10:00:00.000Z'], // Saturday + 1 = Monday
    ['2026-01-09T23:30:00Z', 1, 'Europe/Paris', '2026-01-11T23:30:00.000Z'], // Saturday 00:30 in Paris -> Monday 00:30
    // Across the DST change in New York (8 March 2026): the local time stays 09:00.
    ['2026-03-06T14:00:00Z', 1, 'America/New_York', '2026-03-09T13:00:00.000Z'],
  ])('%s + %i working days in %s is %s', (from, days, zone, expected) => {
    expect(addWorkingDays(new Date(from), days, zone).toISOString()).toBe(expected);
  });

  it('reminds 24 hours before the deadline, unless the vote is too short for it', () => {
    const opened = new Date('2026-01-05T09:00:00Z');
    expect(reminderTime(opened, new Date('2026-01-08T09:00:00Z'))?.toISOString()).toBe(
      '2026-01-07T09:00:00.000Z',
    );
    expect(reminderTime(opened, new Date('2026-01-06T09:00:00Z'))).toBeUndefined();
  });

  it.each([
    ['2026-01-07T15:00:00Z', 'week', 'UTC', '2026-01-12T09:00:00.000Z'],
    ['2026-01-07T15:00:00Z', 'month', 'UTC', '2026-02-02T09:00:00.000Z'], // 1 Feb is a Sunday
    ['2026-04-20T15:00:00Z', 'month', 'Europe/Paris', '2026-05-01T07:00:00.000Z'],
  ] as const)('the next %s cycle after %s (%s) starts %s', (now, cycle, zone, expected) => {
    expect(nextCycleStart(new Date(now), cycle, zone).toISOString()).toBe(expected);
  });
});

describe('WIP limit and proposable pebbles', () => {
  it.each([
    [4, 5, true],
    [5, 5, false],
    [7, 5, false],
  ])('%i active with a limit of %i fits: %s', (active, limit, fits) => {
    expect(withinWip(active, limit)).toBe(fits);
  });

  it.each([
    [{ status: 'triaged' }, true],
    [{ status: 'new', severity: 3, stage: 'buy' }, true],
    [{ status: 'new', severity: 3 }, false],
    [{ status: 'new' }, false],
    [{ status: 'in-council', severity: 3, stage: 'buy' }, false],
    [{ status: 'declined' }, false],
    [{ status: 'approved' }, false],
  ] as const)('%o is proposable: %s', (pebble, expected) => {
    expect(isProposable(pebble)).toBe(expected);
  });
});
