import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runCli, tempDir } from '../helpers/run-cli.js';

/** A date `days` from today (UTC), as people type it. */
function inDays(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** The whole loop, as a newcomer would pipe it into `npm start`. */
const script = () =>
  [
    'cast',
    'as @raj report Checkout times out on mobile',
    'as @ana report Password reset email arrives late',
    'as @ben +1 P-1',
    'as @cy +1 P-1',
    'user @ana',
    'triage P-1 severity 3',
    'triage P-1 stage buy',
    'council propose P-1',
    'as @ben vote V-1 fix-now',
    'as @cy vote V-1 fix-now',
    'as @dee vote V-1 next-cycle',
    `as @vera improvement assign I-1 @olu ${inDays(4)}`,
    'as @olu improvement accept I-1',
    'advance 3d',
    'as @olu improvement update I-1 done "Checkout loads in under two seconds on mobile"',
    'as @raj improvement fixed I-1 yes',
    'as @ben improvement fixed I-1 no',
    'advance 8d',
    'digest',
  ].join('\n') + '\n';

describe('the whole loop from the console', () => {
  it('prints the vote outcome, the owner nudge, the close-the-loop question and a digest with numbers', async () => {
    const dataDir = tempDir();
    const result = await runCli(script(), cleanEnv({ DATA_DIR: dataDir }), 120_000);
    const out = result.stdout;
    expect(result.code, result.stderr).toBe(0);
    // Triage card and the vote, in their channels.
    expect(out).toMatch(/→ #triage:\n {4}P-1 Checkout times out on mobile/);
    expect(out).toMatch(/→ #council:\n {4}Council vote V-1: Open/);
    // The vote closes once every member voted; reporters and supporters hear the outcome.
    expect(out).toMatch(
      /→ DM to @raj:\n {4}Your pebble P-1 Checkout times out on mobile was decided by the CX council: Fix now/,
    );
    expect(out).toMatch(/→ DM to @olu:\n {4}Will you own I-1\?/);
    // The scheduler's nudge job, driven by `advance`, checks in with the owner.
    expect(out).toMatch(/→ DM to @olu:\n {4}Your journey improvements today/);
    // Done closes the loop: the reporter is asked whether it fixed it.
    expect(out).toMatch(
      /→ DM to @raj:\n[\s\S]*?What changed: Checkout loads in under two seconds on mobile\n {4}Did this fix it for you\?/,
    );
    expect(out).toContain(
      'Thank you for saying so. P-1 is reopened, so the council looks at it again.',
    );
    // The weekly digest went out to the leaders' channel, with what shipped and what was kept.
    expect(out).toMatch(/→ #leaders:\n {4}Weekly CX digest/);
    expect(out).toMatch(/Improvements shipped: [1-9]\d* · /);
    expect(out).toMatch(/Promises kept: \d+% · [1-9]\d* of [1-9]\d*/);
    // The details follow in the digest's thread.
    expect(out).toMatch(/→ #leaders \(in the thread\):\n {4}What people said/);
    const chart = /chart "[^"]+" written to (\S+\.png)/.exec(out)?.[1];
    expect(chart && existsSync(chart)).toBe(true);
    // Secret ballots ran with the console's own secret, kept in the data folder.
    expect(existsSync(path.join(dataDir, 'ballot-secret'))).toBe(true);
    expect(out + result.stderr).not.toMatch(/\n\s+at /);
  }, 150_000);

  it('runs an open ballot with a recusal to a tie the sponsor decides from her DM', async () => {
    const result = await runCli(
      [
        'cast',
        'user @ana',
        'config council ballots open',
        'report Invoice PDF shows the wrong VAT number',
        'triage P-1 severity 2',
        'triage P-1 stage Get help',
        'council propose P-1',
        'as @dee vote V-1 recuse',
        'as @ben vote V-1 fix-now',
        'as @cy vote V-1 not-now',
        'as @vera council decide V-1 fix-now',
      ].join('\n') + '\n',
      cleanEnv({ DATA_DIR: tempDir() }),
      90_000,
    );
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain('Open ballot: names are shown after the close.');
    expect(result.stdout).toContain('You recused yourself; you do not count toward the quorum.');
    // The tie reaches the sponsor with the names (open ballot) and her buttons as commands.
    expect(result.stdout).toMatch(
      /→ DM to @vera:\n {4}Your decision: council vote V-1[\s\S]*Fix now: 1 \(Ben Support\)[\s\S]*Fix now: council decide V-1 fix-now/,
    );
    expect(result.stdout).toContain('You decided Fix now on council vote V-1 (P-1).');
    expect(result.stdout).toMatch(
      /→ #council:\n {4}I-1 Invoice PDF shows the wrong VAT number is planned/,
    );
  }, 120_000);

  it('exits non-zero when a piped command failed, after running the rest', async () => {
    const result = await runCli(
      'cast\nas @raj council propose P-9\nas @raj report Still here\n',
      cleanEnv({ DATA_DIR: tempDir() }),
      60_000,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('P-1 recorded: Still here');
    expect(result.stdout).toContain(
      'Only council members and Pebblebot admins can send pebbles to the council.',
    );
  }, 90_000);

  it('tells who is acting, and refuses someone who is not in the cast', async () => {
    const result = await runCli(
      'cast\nuser @vera\nuser\nas @zed report x\n',
      cleanEnv({ DATA_DIR: tempDir() }),
      60_000,
    );
    expect(result.stdout).toContain('You are now @vera (Vera VP).');
    expect(result.stdout).toContain('You are @vera.');
    expect(result.stdout).toContain('Nobody called @zed in the cast');
    expect(result.code).toBe(1);
  }, 90_000);
});
