import { describe, expect, it } from 'vitest';
import { cleanEnv, runCli, tempDir } from '../helpers/run-cli.js';

describe('decline and duplicate notices from the console', () => {
  it('prints each notice once, as a DM to the reporter and to each supporter', async () => {
    const script =
      [
        'cast',
        'as @raj report Expense receipts vanish after upload',
        'as @ben +1 P-1',
        'as @cy report Badge printer jams every morning',
        'as @dee report The badge printer keeps jamming',
        'as @ben +1 P-3',
        'user @ana',
        'triage P-1 decline Finance replaces that tool in May',
        'triage P-3 duplicate P-2',
      ].join('\n') + '\n';
    const result = await runCli(script, cleanEnv({ DATA_DIR: tempDir() }), 60_000);
    const out = result.stdout;
    expect(result.code, result.stderr).toBe(0);
    expect(out).toMatch(
      /P-1 is declined\.\n→ DM to @raj:\n {4}Your pebble P-1 Expense receipts vanish after upload was declined by triage\.\n {4}>Finance replaces that tool in May/,
    );
    expect(out).toMatch(
      /→ DM to @ben:\n {4}A pebble you supported, P-1 Expense receipts vanish after upload, was declined by triage\./,
    );
    expect(out).toMatch(
      /→ DM to @dee:\n {4}Your pebble P-3 The badge printer keeps jamming is a duplicate of P-2 Badge printer jams every morning\./,
    );
    expect(out).toMatch(
      /→ DM to @ben:\n {4}A pebble you supported, P-3 The badge printer keeps jamming, is a duplicate of P-2/,
    );
    // Once each: the outbox delivers every notice a single time.
    expect(out.match(/was declined by triage/g)).toHaveLength(2);
    expect(out.match(/is a duplicate of P-2 Badge printer/g)).toHaveLength(2);
  });
});
