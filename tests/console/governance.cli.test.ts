import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runCli, tempDir } from '../helpers/run-cli.js';

describe('governance from the console (npm start, no chat credentials)', () => {
  it('records settings changes in the audit log and writes an export to DATA_DIR/exports', async () => {
    const dataDir = tempDir();
    const result = await runCli(
      [
        'report =cmd|calc in the invoice export',
        'config emoji pebble',
        'config audit',
        'export',
        'api token create bi',
        'help',
      ].join('\n') + '\n',
      cleanEnv({ DATA_DIR: dataDir }),
      40_000,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Audit log · page 1 of 1');
    expect(result.stdout).toContain('"reactionEmoji":"pebble"');
    expect(result.stdout).toMatch(/file "Pebbles" written to .*exports/);
    expect(result.stdout).toMatch(/pbt_[A-Za-z0-9_-]{20,}/);
    expect(result.stdout).toContain('api token create <name>');
    expect(result.stdout).toContain('forget me');
    const dir = path.join(dataDir, 'exports');
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(4);
    const pebbles = readFileSync(
      path.join(
        dir,
        files.find((f) => f.includes('pebbles'))!,
      ),
      'utf8',
    );
    expect(pebbles).toContain("P-1,'=cmd|calc in the invoice export");
  });
});
