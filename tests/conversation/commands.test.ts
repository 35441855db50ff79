import { describe, expect, it } from 'vitest';
import {
  parseCommand,
  parseCouncilConfig,
  parseDigestConfig,
  parseImprovementCommand,
  type Command,
} from '../../src/conversation/commands.js';
import { slackMarkupToTokens } from '../../src/conversation/slack-markup.js';
import { isPebbleError } from '../../src/core/shared/errors.js';
import { channel, person, plainText } from '../../src/views/tokens.js';

/** What Slack will hand the layer: its markup turned into tokens first. */
const slack = (text: string) => parseCommand(slackMarkupToTokens(text), { prefix: '/pebble' });

function usageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isPebbleError(error, 'COMMAND.USAGE')) return error.message;
    throw error;
  }
  throw new Error('no usage error');
}

describe('the one grammar (ported from the /pebble parser)', () => {
  it.each<[string, Command]>([
    ['', { kind: 'form' }],
    ['report', { kind: 'form' }],
    ['help', { kind: 'help' }],
    ['list', { kind: 'list', filter: '' }],
    ['list renew or leave', { kind: 'list', filter: 'renew or leave' }],
    ['mine', { kind: 'mine' }],
    ['show P-12', { kind: 'show', number: 12 }],
    ['+1 p12', { kind: 'support', number: 12 }],
    ['support 7', { kind: 'support', number: 7 }],
    [
      'anon Payroll portal logs me out',
      { kind: 'report', text: 'Payroll portal logs me out', anonymous: true },
    ],
    ['anon P-3', { kind: 'anon-toggle', number: 3 }],
    ['merge P-4 P-3', { kind: 'merge', from: 4, into: 3 }],
    ['config', { kind: 'config' }],
    ['config triage <#C1|cx>', { kind: 'config-triage', channel: { id: 'C1', name: 'cx' } }],
    ['config triage off', { kind: 'config-triage', channel: null }],
    ['config admin <@U1>', { kind: 'config-admins', ids: ['U1'] }],
    ['config admins <@U1|ana> <@U2> <@U1>', { kind: 'config-admins', ids: ['U1', 'U2'] }],
    ['config emoji :rock:', { kind: 'config-emoji', value: ':rock:' }],
    ['digest', { kind: 'digest' }],
    ['vote V-3 fix-now', { kind: 'vote', vote: 3, choice: 'fix-now' }],
    ['vote 3 recuse', { kind: 'vote', vote: 3, choice: 'recuse' }],
    [
      'triage P-3 severity 2',
      { kind: 'triage', number: 3, change: { kind: 'severity', severity: 2 } },
    ],
    [
      'triage P-3 decline "not ours"',
      { kind: 'triage', number: 3, change: { kind: 'decline', reason: 'not ours' } },
    ],
    [
      'triage P-3 duplicate P-1',
      { kind: 'triage', number: 3, change: { kind: 'duplicate', of: 1 } },
    ],
    [
      'council propose P-1, P-2',
      { kind: 'council', command: { kind: 'propose', pebbles: [1, 2] } },
    ],
    ['council', { kind: 'council', command: { kind: 'votes' } }],
    [
      'council decide V-2 not-now',
      { kind: 'council', command: { kind: 'decide', vote: 2, option: 'not-now' } },
    ],
    ['council wip V-2 queue', { kind: 'council', command: { kind: 'wip', vote: 2 } }],
    ['council wip V-2 I-1', { kind: 'council', command: { kind: 'wip', vote: 2, displace: 1 } }],
    [
      'improvement fixed I-2 no',
      { kind: 'improvement', command: { kind: 'fixed', number: 2, answer: 'no' } },
    ],
  ])('reads "%s"', (text, expected) => {
    expect(slack(text)).toEqual(expected);
  });

  it.each([
    'Support hold music is 40 minutes long',
    'Help desk never answers chat',
    'Mine the logs: export takes an hour',
    'List of invoices is empty for EU customers',
    'Show room demo laptop is broken',
    'Council should meet more often',
    'Improvement needed in billing',
    'Vote buttons are hard to find on the intranet page',
    'Merge requests take a week to review here',
  ])('reads "%s" as a report, not a command', (text) => {
    expect(slack(text)).toEqual({ kind: 'report', text, anonymous: false });
  });

  it('keeps the usage messages of the Slack parser, with the channel prefix', () => {
    expect(usageOf(() => slack('show'))).toBe('Usage: `/pebble show P-12`');
    expect(usageOf(() => slack('+1 banana'))).toBe('Usage: `/pebble +1 P-12`');
    expect(usageOf(() => slack('anon'))).toBe('Usage: `/pebble anon <what got in the way>`');
    expect(usageOf(() => slack('config colour blue'))).toMatch(/^I can set `triage #channel`/);
    expect(usageOf(() => slack('config triage cx'))).toBe(
      'Pick the channel with #, e.g. `/pebble config triage #cx-triage`.',
    );
    expect(usageOf(() => slack('council propose twelve'))).toBe(
      'Name the pebbles: `/pebble council propose P-12 P-15`.',
    );
    // The console has no prefix: the same message, as people type it there.
    expect(usageOf(() => parseCommand('show'))).toBe('Usage: `show P-12`');
  });

  it('sees a person or channel token as one word, whatever its name holds', () => {
    const ana = person('U1', 'Ana Maria Lopez');
    expect(parseCommand(`improvement assign I-3 ${ana} 2026-12-15`)).toEqual({
      kind: 'improvement',
      command: {
        kind: 'assign',
        number: 3,
        ownerId: 'U1',
        ownerName: 'Ana Maria Lopez',
        date: '2026-12-15',
      },
    });
    expect(parseCommand(`config triage ${channel('C9', 'cx triage')}`)).toEqual({
      kind: 'config-triage',
      channel: { id: 'C9', name: 'cx triage' },
    });
  });
});

describe('improvement, council and digest sub-grammars', () => {
  it('parses improvement commands with Slack mentions turned into tokens', () => {
    const parse = (t: string) =>
      parseImprovementCommand(slackMarkupToTokens(t), { prefix: '/pebble' });
    expect(parse('update I-3 at-risk "waiting on <@U9|vendor>"')).toEqual({
      kind: 'update',
      number: 3,
      status: 'at-risk',
      note: 'waiting on @vendor',
    });
    expect(parse('new P-3 p4 One address form')).toEqual({
      kind: 'new',
      pebbles: [3, 4],
      title: 'One address form',
    });
    expect(parse('sponsor <@U7>')).toEqual({ kind: 'sponsor', userId: 'U7' });
    expect(parse('snooze I-2 3d')).toEqual({ kind: 'snooze', number: 2, period: '3d' });
    expect(() => parse('assign I-3 dana 2026-12-15')).toThrow(/Pick the owner with @/);
    expect(() => parse('date I-3 tomorrow')).toThrow(/YYYY-MM-DD/);
    expect(() => parse('fly I-3')).toThrow('I do not know `improvement fly`.');
  });

  it('parses council settings: members with names, channel, sponsor, group and numbers', () => {
    const parse = (t: string) => parseCouncilConfig(slackMarkupToTokens(t), { prefix: '/pebble' });
    expect(parse('members <@U1|ana> <@U2>')).toEqual({
      kind: 'patch',
      patch: { members: [{ userId: 'U1', name: 'ana' }, { userId: 'U2' }] },
    });
    expect(parse('channel <#C5|council>')).toEqual({
      kind: 'patch',
      patch: { channel: 'C5' },
      joinChannel: 'C5',
    });
    expect(parse('group <!subteam^S1|@cx-council>')).toEqual({
      kind: 'patch',
      patch: { userGroup: { id: 'S1', handle: '@cx-council' } },
    });
    expect(parse('sponsor none')).toEqual({ kind: 'patch', patch: { sponsor: null } });
    expect(parse('threshold 66%')).toEqual({ kind: 'patch', patch: { threshold: 66 } });
    expect(parse('function <@U1> Product')).toEqual({
      kind: 'patch',
      patch: { functions: { U1: 'Product' } },
    });
    expect(() => parse('quorum many')).toThrow(
      'The quorum in ballots: a whole number from 1 to 2000.',
    );
    expect(() => parse('channel council')).toThrow(
      'Pick the channel with #, e.g. `/pebble config council channel #cx-council`.',
    );
  });

  it('parses digest settings exactly as the Slack parser did', () => {
    const parse = (t: string) => parseDigestConfig(slackMarkupToTokens(t), { prefix: '/pebble' });
    expect(parse('')).toEqual({ kind: 'show' });
    expect(parse('channel <#C0LEADERS|leaders>')).toEqual({
      kind: 'patch',
      patch: { channel: 'C0LEADERS' },
      join: { id: 'C0LEADERS', name: 'leaders' },
    });
    expect(parse('channel off')).toEqual({ kind: 'patch', patch: { channel: undefined } });
    expect(parse('leaders <@U1|a> <@U2> <@U1>')).toEqual({
      kind: 'patch',
      patch: { leaders: ['U1', 'U2'] },
    });
    expect(parse('leaders none')).toEqual({ kind: 'patch', patch: { leaders: [] } });
    expect(parse('friday 16:30')).toEqual({ kind: 'patch', patch: { day: 5, time: '16:30' } });
    expect(parse('monday at 9:00')).toEqual({ kind: 'patch', patch: { day: 1, time: '09:00' } });
    expect(parse('day tue')).toEqual({ kind: 'patch', patch: { day: 2 } });
    expect(parse('timezone Europe/Berlin')).toEqual({
      kind: 'patch',
      patch: {},
      timezone: 'Europe/Berlin',
    });
    expect(parse('off')).toEqual({ kind: 'patch', patch: { enabled: false } });
    expect(() => parse('time 25:00')).toThrow(/not a time/);
    expect(() => parse('timezone Mars/Olympus')).toThrow(/not a time zone/);
    expect(() => parse('channel leaders')).toThrow(/with #/);
    expect(() => parse('sometimes')).toThrow(/I can set the digest/);
  });
});

describe('Slack markup to neutral text', () => {
  it('reads as slackToPlain did, with people and channels kept as tokens', () => {
    const text = slackMarkupToTokens(
      'Ask <@U1|dana> in <#C2|support> about <https://x.io|the form> &lt;v2&gt; &amp; <!here>',
    );
    expect(plainText(text)).toBe(
      'Ask @dana in #support about the form (https://x.io) <v2> & @here',
    );
    expect(text).toContain(person('U1', 'dana'));
    expect(text).toContain(channel('C2', 'support'));
  });

  it('keeps the people of a report as tokens until the layer stores it plain', () => {
    expect(slack('Ask <@U1|dana> about &lt;v2&gt;')).toEqual({
      kind: 'report',
      text: `Ask ${person('U1', 'dana')} about <v2>`,
      anonymous: false,
    });
  });
});
