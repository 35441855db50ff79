import { afterEach, describe, expect, it } from 'vitest';
import { FakeOpenAi } from '../helpers/fake-openai.js';
import { cleanEnv, runCli, tempDir } from '../helpers/run-cli.js';

let fake: FakeOpenAi;
afterEach(async () => {
  await fake.stop();
});

describe('AI from the console (npm start, OPENAI_BASE_URL at a fake)', () => {
  it('shows the switch and usage, accepts a suggestion by command, and sends nothing once off', async () => {
    fake = new FakeOpenAi();
    const baseUrl = await fake.start();
    fake.answers.set('triage_suggestion', {
      title: 'Checkout asks for the address twice',
      stakeholder: 'customer',
      journey: 'customer',
      stage: 'buy',
      severity: 3,
      summary: 'Shoppers retype their address at payment.',
    });
    const result = await runCli(
      [
        'config ai',
        'report checkout wants my address 2x',
        'triage P-1 accept',
        'config ai off',
        'report VPN drops every hour',
        'config ai',
        'help',
      ].join('\n') + '\n',
      cleanEnv({
        DATA_DIR: tempDir(),
        OPENAI_API_KEY: 'sk-test',
        OPENAI_BASE_URL: baseUrl,
        OPENAI_MODEL: 'gpt-test',
        OPENAI_MAX_RETRIES: '0',
      }),
      40_000,
    );
    expect(result.code, result.stderr).toBe(0);
    const out = result.stdout;
    expect(out).toContain('AI for this workspace: on');
    expect(out).toMatch(/Today \(\d{4}-\d{2}-\d{2}, UTC\): 0 of 500 calls/);
    // The suggestion came after the report and became the pebble's only when accepted.
    expect(out).toMatch(/P-1 Checkout asks for the address twice[\s\S]*3 · Blocks a task/);
    expect(out).toContain('AI is now off for this workspace');
    expect(out).toContain('AI for this workspace: off');
    expect(out).toContain('config ai on|off');
    expect(fake.count('responses')).toBe(1);
    expect(fake.allBodies()).toContain('checkout wants my address 2x');
    expect(fake.allBodies()).not.toContain('VPN');
  });

  it('without a key: config ai says nothing is sent, and triage accept has nothing to accept', async () => {
    fake = new FakeOpenAi();
    await fake.start();
    const result = await runCli(
      'report checkout wants my address 2x\nconfig ai\ntriage P-1 accept\n',
      cleanEnv({ DATA_DIR: tempDir() }),
      30_000,
    );
    expect(result.stdout).toContain('No AI provider is configured');
    expect(result.stdout).toContain('P-1 has no suggestion to accept');
    expect(fake.requests).toEqual([]);
  });
});
