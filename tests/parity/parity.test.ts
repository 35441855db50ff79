import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/shared/clock.port.js';
import { consoleDriver } from './console-driver.js';
import type { ParityDriver } from './driver.js';
import { normalisedState } from './normalise.js';
import { slackDriver } from './slack-driver.js';
import { teamsDriver } from './teams-driver.js';

const START = '2026-03-02T10:00:00Z';

/**
 * One story, lived by the same people on every channel: reports, +1s, triage, a council vote
 * that closes, an owner who keeps the promise, the reporters' answers and the digest.
 */
async function story(driver: ParityDriver): Promise<string> {
  await driver.setUp();
  await driver.report('raj', 'Checkout times out on mobile');
  await driver.report('ana', 'Password reset email arrives late');
  await driver.report('olu', 'Invoice PDF shows the wrong VAT number');
  await driver.support('ben', 1);
  await driver.support('cy', 1);
  await driver.triage('ana', 1, { severity: 3 });
  await driver.triage('ana', 1, { stage: 'buy' });
  await driver.propose('ana', [1]);
  await driver.vote('ben', 1, 'fix-now');
  await driver.vote('cy', 1, 'fix-now');
  await driver.vote('dee', 1, 'next-cycle');
  await driver.settle();
  await driver.assign('vera', 1, 'olu', '2026-03-20');
  await driver.accept('olu', 1);
  await driver.done('olu', 1, 'Checkout loads in under two seconds on mobile');
  await driver.answerFixed('raj', 1, 'yes');
  await driver.answerFixed('ben', 1, 'no');
  await driver.settle();
  return driver.digest('ana');
}

const drivers: { name: string; start: (clock: FakeClock) => Promise<ParityDriver> }[] = [
  { name: 'console', start: consoleDriver },
  { name: 'slack', start: slackDriver },
  { name: 'teams', start: teamsDriver },
];

let running: ParityDriver[] = [];
afterEach(async () => {
  for (const driver of running) await driver.stop();
  running = [];
});

describe('one story, every channel', () => {
  it('ends in the same store state through the console, signed Slack HTTP and signed Teams activities', async () => {
    const states: Record<string, unknown> = {};
    const digests: Record<string, string> = {};
    for (const { name, start } of drivers) {
      const driver = await start(new FakeClock(START));
      running.push(driver);
      digests[name] = await story(driver);
      states[name] = await normalisedState(driver);
    }
    const [first, ...others] = drivers.map((d) => d.name);
    const reference = states[first!] as {
      pebbles: { status: string; supporters: unknown[] }[];
      votes: { status: string; ballots: Record<string, number> }[];
      improvements: { status: string }[];
    };
    // The story did happen (a parity of two empty stores would prove nothing).
    expect(reference.pebbles).toHaveLength(3);
    expect(reference.pebbles[0]?.supporters).toHaveLength(2);
    expect(reference.votes[0]).toMatchObject({ ballots: { 'fix-now': 2, 'next-cycle': 1 } });
    expect(reference.improvements[0]).toMatchObject({ status: 'done' });
    for (const name of others) expect(states[name], `${name} vs ${first}`).toEqual(reference);
    for (const name of drivers.map((d) => d.name)) expect(digests[name]).toMatch(/shipped/i);
  }, 60_000);
});
