import { describe, expect, it } from 'vitest';
import { isPebbleError } from '../../src/core/shared/errors.js';
import { parseCommand as parse } from '../../src/conversation/commands.js';
import { slackMarkupToTokens } from '../../src/conversation/slack-markup.js';

/** The text after `/pebble`, read by the one grammar as Slack hands it over. */
const parseCommand = (text: string) => parse(slackMarkupToTokens(text), { prefix: '/pebble' });
import { slackToPlain, withoutLeadingMention } from '../../src/slack/slack-text.js';

describe('parsing /pebble', () => {
  it.each([
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
    // The one grammar resolves the channel and people the settings name (Slack markup read).
    ['config', { kind: 'config' }],
    ['config triage <#C1|cx>', { kind: 'config-triage', channel: { id: 'C1', name: 'cx' } }],
    ['config admin <@U1>', { kind: 'config-admins', ids: ['U1'] }],
  ])('reads "%s" as a sub-command', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });

  it.each([
    'Support hold music is 40 minutes long',
    'Help desk never answers chat',
    'Mine the logs: export takes an hour',
    'List of invoices is empty for EU customers',
    'Show room demo laptop is broken',
  ])('reads "%s" as a report, not a sub-command', (text) => {
    expect(parseCommand(text)).toEqual({ kind: 'report', text, anonymous: false });
  });

  it('explains the usage of a malformed sub-command', () => {
    for (const text of ['show', 'show twelve', '+1', 'anon', 'config colour blue']) {
      const error = (() => {
        try {
          parseCommand(text);
        } catch (e) {
          return e;
        }
      })();
      expect(isPebbleError(error, 'COMMAND.USAGE'), text).toBe(true);
    }
  });
});

describe('Slack text', () => {
  it('turns Slack markup into readable plain text', () => {
    expect(
      slackToPlain(
        'Ask <@U1|dana> in <#C2|support> about <https://x.io|the form> &lt;v2&gt; &amp; <!here>',
      ),
    ).toBe('Ask @dana in #support about the form (https://x.io) <v2> & @here');
  });

  it('strips a leading mention of the bot only', () => {
    expect(withoutLeadingMention('<@UBOT>: report this <@UBOT>', 'UBOT')).toBe(
      'report this <@UBOT>',
    );
    expect(withoutLeadingMention('hey <@UBOT>', 'UBOT')).toBe('hey <@UBOT>');
  });
});
