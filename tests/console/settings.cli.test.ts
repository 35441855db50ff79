import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { loadConfig } from '../../src/config.js';
import { cleanEnv, runCli, tempDir } from '../helpers/run-cli.js';

/** The console's workspace, read back from DATA_DIR once the CLI exited. */
async function stored(dataDir: string) {
  const store = await openStore(loadConfig({ DATA_DIR: dataDir }));
  try {
    const [workspace] = await store.workspaces.list();
    const audit = await store.audit.list(workspace!.id, { limit: 100, offset: 0 });
    return { workspace: workspace!, audit: audit.items };
  } finally {
    await store.close();
  }
}

describe('settings from the console (the same grammar as /pebble config)', () => {
  it('changes the time zone, nudges and journeys catalog, validating each and auditing before and after', async () => {
    const dataDir = tempDir();
    const result = await runCli(
      [
        'report The renewal quote is in the wrong currency',
        'triage P-1 stage renew-or-leave',
        'config timezone Mars/Olympus',
        'config timezone Europe/Berlin',
        'config nudges quiet 20:00 to 07:30',
        'config nudges weekends on',
        'config nudges every 99',
        'config stage add Cancel after renew-or-leave',
        'config stage rename get-help to Ask for help',
        'config stage move renew-or-leave to 1',
        'config stage retire renew-or-leave',
        'config stage retire nowhere',
        'config journey add Partner journey: Sign up, Integrate, Sell',
        'config stages',
        'show P-1',
        'triage P-1 stage buy',
        'triage P-1 stage renew-or-leave',
        'help',
        'home',
      ].join('\n') + '\n',
      cleanEnv({ DATA_DIR: dataDir }),
      60_000,
    );
    const out = result.stdout;
    // Bad values get a sentence saying what to write; nothing is written for them.
    expect(out).toContain('"Mars/Olympus" is not a time zone: write it like Europe/Berlin');
    expect(out).toContain('Days between check-in nudges: a whole number from 1 to 30.');
    expect(out).toContain('There is no stage "nowhere"');
    expect(out).toContain('The workspace time zone is Europe/Berlin');
    expect(out).toContain('quiet 20:00–07:30, weekends too');
    expect(out).toContain('Done: added the stage Cancel to Customer journey (position 7)');
    expect(out).toContain('Done: renamed the stage Get help to Ask for help');
    expect(out).toContain('Done: retired the stage Renew or leave');
    expect(out).toContain('Partner journey (partner-journey): 1. Sign up (sign-up)');
    expect(out).toContain('1. Renew or leave (renew-or-leave) · retired');
    // A retired stage keeps its pebbles' label; new placements on it are refused.
    expect(out).toMatch(/Journey stage\W+Renew or leave/);
    expect(out).toContain('The stage Renew or leave is retired: pick a stage in use.');
    // Help is generated from the grammar: the new settings are listed.
    for (const usage of [
      'config timezone Europe/Berlin',
      'config nudges every 7',
      'config stage add <name> [after <stage>]',
      'config journey add <name>: <stage>, <stage>',
      'home',
    ])
      expect(out).toContain(usage);

    // The console shows the same home as Slack's Home tab: the admin's checklist and settings.
    const home = out.slice(out.lastIndexOf('Set up Pebblebot'));
    expect(home).toContain('To do · Triage channel');
    expect(home).toContain('→ Choose: config triage #channel');
    expect(home).toContain('Workspace · time zone Europe/Berlin');
    expect(home).toContain('→ Edit: config stages');

    const { workspace, audit } = await stored(dataDir);
    expect(workspace.settings.timezone).toBe('Europe/Berlin');
    expect(workspace.settings.nudges).toMatchObject({
      quietStart: '20:00',
      quietEnd: '07:30',
      skipWeekends: false,
      checkInEveryDays: 7,
    });
    const customer = workspace.settings.journeys[0]!;
    expect(customer.stages.map((s) => [s.key, s.name, s.retired ?? false])).toEqual([
      ['renew-or-leave', 'Renew or leave', true],
      ['discover', 'Discover', false],
      ['buy', 'Buy', false],
      ['onboard', 'Onboard', false],
      ['use', 'Use', false],
      ['get-help', 'Ask for help', false],
      ['cancel', 'Cancel', false],
    ]);
    expect(workspace.settings.journeys[1]!.key).toBe('partner-journey');
    // Who, what, when, before and after, for each accepted change (and none for refused ones).
    const timezone = audit.find((e) => e.what === 'timezone');
    expect(timezone).toMatchObject({
      action: 'settings',
      before: '{"timezone":"UTC"}',
      after: '{"timezone":"Europe/Berlin"}',
    });
    expect(timezone!.actor).toBeTruthy();
    expect(timezone!.at).toBeInstanceOf(Date);
    expect(audit.filter((e) => e.what === 'timezone')).toHaveLength(1);
    expect(audit.filter((e) => e.what === 'nudges')).toHaveLength(2);
    const renamed = audit.find(
      (e) =>
        e.what === 'journeys' && e.after.includes('Ask for help') && !e.before.includes('Ask for'),
    );
    expect(renamed!.before).toContain('"name":"Get help"');
    expect(audit.filter((e) => e.what === 'journeys')).toHaveLength(5);
  }, 90_000);

  it('refuses a plain member every settings command, and writes nothing', async () => {
    const dataDir = tempDir();
    const result = await runCli(
      [
        'cast',
        'as @raj config timezone Asia/Tokyo',
        'as @raj config nudges every 1',
        'as @raj config stage retire buy',
        'as @raj config journey add Evil: One',
        'as @raj config stages',
        'as @raj config nudges',
        'as @raj home',
      ].join('\n') + '\n',
      cleanEnv({ DATA_DIR: dataDir }),
      60_000,
    );
    const refusals = result.stdout.match(/Only Pebblebot admins can/g) ?? [];
    expect(refusals).toHaveLength(6);
    // A member's home: no checklist, no settings to edit, a summary of how things are set up.
    expect(result.stdout).toContain('How Pebblebot is set up here');
    expect(result.stdout).not.toContain('Settings (admins)');
    expect(result.stdout).not.toContain('Set up Pebblebot');
    const { workspace, audit } = await stored(dataDir);
    expect(workspace.settings.timezone).toBe('UTC');
    expect(workspace.settings.nudges.checkInEveryDays).toBe(7);
    expect(workspace.settings.journeys).toHaveLength(1);
    expect(workspace.settings.journeys[0]!.stages.some((s) => s.retired)).toBe(false);
    expect(audit.some((e) => /timezone|nudges|journeys/.test(e.what))).toBe(false);
  }, 90_000);
});
