import { describe, expect, it } from 'vitest';
import { scanPrivacy, type PrivacyRecord } from '../helpers/privacy.js';

/**
 * The suite-wide privacy scan (tests/privacy-scan.global.ts) is only as good as its rules:
 * these prove each rule flags the leak it is for and lets through what is not one.
 */

const file = 'tests/example.test.ts';
const anon: PrivacyRecord = {
  type: 'sensitive',
  file,
  sensitive: {
    kind: 'anonymous-reporter',
    id: 'U0ANONRITA',
    names: ['Rita Hidden'],
    ownAddresses: ['U0ANONRITA', '/commands/T1/rita/tok'],
  },
};
const voter: PrivacyRecord = {
  type: 'sensitive',
  file,
  sensitive: {
    kind: 'secret-voter',
    id: 'U0HUSHVIC',
    names: ['vic.hush'],
    choices: ['fix-now', 'Fix now'],
  },
};
const out = (text: string, addresses: string[] = ['C0TRIAGE']): PrivacyRecord => ({
  type: 'outgoing',
  to: 'slack',
  what: 'chat.postMessage',
  addresses,
  text,
  file,
});
const log = (text: string): PrivacyRecord => ({ type: 'log', text, file });

describe('privacy scan rules', () => {
  it('flags an anonymous reporter’s id or name in a payload for someone else, or in a log line', () => {
    const findings = scanPrivacy([
      anon,
      out('{"text":"Reported by <@U0ANONRITA>"}'),
      out('{"text":"Reported by rita hidden"}'),
      log('{"level":30,"user":"U0ANONRITA","msg":"pebble reported"}'),
    ]);
    expect(findings.map((f) => f.where)).toEqual([
      'slack chat.postMessage',
      'slack chat.postMessage',
      'log line',
    ]);
    expect(findings[0]).toMatchObject({ identity: 'U0ANONRITA', file });
    expect(findings[0]!.excerpt).toContain('<@U0ANONRITA>');
  });

  it('lets the reporter see their own pebble, and says nothing when nobody is named', () => {
    expect(
      scanPrivacy([
        anon,
        out('{"text":"You reported P-1, <@U0ANONRITA>"}', ['U0ANONRITA']),
        out('{"text":"Thanks, U0ANONRITA"}', ['/commands/T1/rita/tok']),
        out('{"text":"Reported by Anonymous"}'),
        log('{"msg":"pebble P-1 reported anonymously"}'),
      ]),
    ).toEqual([]);
  });

  it('flags a secret voter named beside their choice, not a turnout that names nobody’s choice', () => {
    const findings = scanPrivacy([
      voter,
      out('{"text":"<@U0HUSHVIC> chose Fix now"}'),
      log('{"voter":"vic.hush","option":"fix-now"}'),
      out('{"text":"Reminder for <@U0HUSHVIC>: the vote closes tomorrow"}'),
      out('{"text":"Fix now: 3, Not now: 1"}'),
    ]);
    expect(findings.map((f) => f.why)).toEqual([
      'names a secret voter next to their choice (Fix now)',
      'names a secret voter next to their choice (fix-now)',
    ]);
  });

  it('ignores identities no scenario registered', () => {
    expect(scanPrivacy([out('{"text":"Reported by <@U0ALICE>"}')])).toEqual([]);
  });
});
