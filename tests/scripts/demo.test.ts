import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoCastSchema, type DemoCast } from '../../scripts/demo/cast.js';
import { freshDemoFolder } from '../../scripts/demo/folder.js';
import { seedDemo } from '../../scripts/demo/seed.js';
import type { Vote } from '../../src/core/council/council.model.js';
import type { DigestMetrics } from '../../src/core/digest/digest.model.js';
import type { Improvement } from '../../src/core/improvements/improvement.model.js';
import type { Pebble } from '../../src/core/pebbles/pebble.model.js';
import { FakeClock } from '../../src/core/shared/clock.port.js';
import type { Workspace } from '../../src/core/workspaces/workspace.model.js';
import { createServices, type Services } from '../../src/services.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import { cleanEnv, ROOT, tempDir } from '../helpers/run-cli.js';

// A Wednesday afternoon: the story's last full week is Mon 23 Feb – Mon 2 Mar 2026.
const END = new Date('2026-03-04T15:00:00Z');
const WEEK_MS = 7 * 86_400_000;

interface Seeded {
  services: Services;
  workspace: Workspace;
  cast: DemoCast;
  metrics: DigestMetrics;
  pebbles: Pebble[];
  votes: Vote[];
  improvements: Improvement[];
}

async function seed(): Promise<Seeded> {
  const clock = new FakeClock(END);
  const store = await openEmbeddedStore();
  const services = createServices(store, clock, { ballotSecret: 'demo-test-secret' });
  const cast = await seedDemo(services, clock, { end: END });
  const workspace = await services.workspaces.get(cast.workspace.id);
  const metrics = await services.digest.metrics(workspace, services.digest.lastPeriod(workspace));
  const pebbles = (await services.pebbles.list(workspace, {}, { limit: 1_000 })).items;
  const votes = (await store.votes.list(workspace.id, {}, { limit: 100 })).items;
  const improvements = (await services.improvements.list(workspace, {}, { limit: 100 })).items;
  await services.council.stop();
  return { services, workspace, cast, metrics, pebbles, votes, improvements };
}

/** What must come out the same on every run (ids, salts and real-time costs aside). */
function summary(s: Seeded) {
  return {
    pebbles: s.pebbles
      .map((p) => ({
        number: p.number,
        title: p.title,
        status: p.status,
        reporter: p.reporter.userId,
        supporters: p.supporters.map((x) => x.userId),
        history: p.history.map((h) => `${h.at.toISOString()} ${h.action} ${h.to ?? ''}`),
      }))
      .sort((a, b) => a.number - b.number),
    votes: s.votes
      .map((v) => ({
        number: v.number,
        status: v.status,
        result: v.result,
        decision: v.decision,
        closedAt: v.closedAt,
      }))
      .sort((a, b) => a.number - b.number),
    improvements: s.improvements
      .map((i) => ({
        number: i.number,
        status: i.status,
        owner: i.ownerId,
        promises: i.promises,
        feedback: i.feedback,
        recurrences: i.recurrences,
      }))
      .sort((a, b) => a.number - b.number),
    metrics: s.metrics,
  };
}

describe('demo seed (scripts/demo/seed.ts)', () => {
  let first: Seeded;
  let second: Seeded;
  beforeAll(async () => {
    first = await seed();
    second = await seed();
  }, 60_000);
  afterAll(async () => {
    await first?.services.store.close();
    await second?.services.store.close();
  });

  it('gives the last full week a digest with friction, shipped fixes, kept and broken promises, recurrences and people', () => {
    const m = first.metrics;
    expect(m.period.start.toISOString()).toBe('2026-02-23T09:00:00.000Z');
    expect(m.youSaid.total).toBeGreaterThan(0);
    expect(m.weDid.improvementsTotal).toBeGreaterThan(0);
    expect(m.weDid.pebblesResolved).toBeGreaterThan(0);
    expect(m.wePromised.kept.part).toBeGreaterThan(0);
    expect(m.wePromised.broken).toBeGreaterThan(0);
    expect(m.cameBack.total).toBeGreaterThan(0);
    expect(m.cameBack.items.map((i) => i.how).sort()).toEqual(['reopened', 'reported-again']);
    expect(m.teamSport.people).toBeGreaterThan(0);
    expect(m.teamSport.reporters).toBeGreaterThan(0);
    expect(m.teamSport.supporters).toBeGreaterThan(0);
    expect(m.teamSport.voters).toBeGreaterThan(0);
    expect(m.weDid.fixedIt.whole).toBeGreaterThan(0);
    expect(m.weDid.loopClosed.part).toBeGreaterThan(0);
  });

  it('has friction in every week of the eight-week chart', () => {
    const { periods, series } = first.metrics.history;
    expect(periods).toHaveLength(8);
    const perWeek = periods.map((_, i) => series.reduce((sum, s) => sum + (s.counts[i] ?? 0), 0));
    for (const count of perWeek) expect(count).toBeGreaterThan(0);
    // CX, EX and PX all show up, across several stages.
    const journeys = new Set(series.map((s) => s.ref.split('/')[0]));
    expect([...journeys]).toEqual(expect.arrayContaining(['customer', 'employee', 'partner']));
  });

  it('tells the whole story through the services: votes, decisions, the promise ledger, answers', () => {
    const { pebbles, votes, improvements, workspace } = first;
    expect(pebbles.length).toBeGreaterThanOrEqual(60);
    expect(pebbles.length).toBeLessThanOrEqual(120);
    expect(new Set(pebbles.map((p) => p.title)).size).toBeGreaterThanOrEqual(90);
    expect(new Set(pebbles.map((p) => p.stakeholder))).toEqual(
      new Set(['customer', 'employee', 'partner']),
    );
    expect(pebbles.filter((p) => p.supporterCount > 0).length).toBeGreaterThan(30);
    expect(pebbles.some((p) => p.status === 'declined')).toBe(true);
    expect(pebbles.filter((p) => p.status === 'duplicate')).toHaveLength(3);

    // History spread over the eight weeks, not written at one instant.
    const times = pebbles.flatMap((p) => p.history.map((h) => h.at.getTime()));
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(7 * WEEK_MS);

    // The council: members with functions, a sponsor and a channel.
    const council = workspace.settings.council;
    expect(council.members.length).toBe(7);
    expect(council.members.every((m) => m.function)).toBe(true);
    expect(council.channel).toBe('cx-council');
    expect(workspace.settings.sponsor).toBe('daniel');

    // Secret and open ballots, every kind of decision, one by the sponsor after a tie.
    expect(new Set(votes.map((v) => v.rules.secret))).toEqual(new Set([true, false]));
    const options = new Set(votes.flatMap((v) => (v.decision ? [v.decision.option] : [])));
    expect([...options]).toEqual(
      expect.arrayContaining(['fix-now', 'next-cycle', 'not-now', 'need-info']),
    );
    expect(votes.some((v) => v.result?.outcome === 'tie' && v.decision?.by === 'sponsor')).toBe(
      true,
    );
    expect(votes.some((v) => v.reproposedFrom)).toBe(true);
    expect(votes.some((v) => v.closedBy === 'all-voted')).toBe(true);
    expect(votes.some((v) => v.closedBy === 'deadline')).toBe(true);

    // Improvements: kept, broken (late or moved), one re-promised, one dropped, some running.
    const outcomes = improvements.map((i) => i.promises.map((p) => p.outcome).join(','));
    expect(outcomes).toContain('kept');
    expect(outcomes).toContain('broken');
    expect(outcomes).toContain('broken,kept');
    expect(improvements.filter((i) => i.status === 'dropped')).toHaveLength(1);
    expect(improvements.some((i) => i.status === 'blocked' && i.escalationLevel > 0)).toBe(true);
    expect(improvements.every((i) => i.ownerId)).toBe(true);
    expect(
      improvements.filter((i) => i.status === 'done').every((i) => i.checkIns.at(-1)?.note),
    ).toBe(true);
    const answers = improvements.flatMap((i) => i.feedback.map((f) => f.answer));
    expect(answers).toContain('yes');
    expect(answers).toContain('no');
    expect(improvements.reduce((n, i) => n + i.recurrences, 0)).toBeGreaterThan(0);
  });

  it('returns the cast with every role', () => {
    const cast = DemoCastSchema.parse(first.cast);
    const roles = new Set(cast.people.flatMap((p) => p.roles));
    expect(roles).toEqual(new Set(['admin', 'council', 'sponsor', 'owner', 'member']));
    const admin = cast.people.find((p) => p.id === cast.defaultUser);
    expect(admin?.roles).toContain('admin');
    expect(first.workspace.settings.admins).toContain(admin?.id);
    const councilIds = cast.people.filter((p) => p.roles.includes('council')).map((p) => p.id);
    expect(first.workspace.settings.council.members.map((m) => m.userId).sort()).toEqual(
      councilIds.sort(),
    );
  });

  it('tells the same story on every run', () => {
    expect(summary(second)).toEqual(summary(first));
  });
});

function runDemo(input: string, env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo/main.ts'], {
      cwd: ROOT,
      env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`demo did not exit\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

describe('npm run demo', () => {
  it('seeds a fresh folder, saves the cast and answers piped console commands as the admin', async () => {
    const dir = path.join(tempDir('pebblebot-demo-'), 'data-demo');
    mkdirSync(dir);
    // A previous demo's folder is replaced, not added to.
    writeFileSync(path.join(dir, 'cast.json'), '{}');
    writeFileSync(path.join(dir, 'pebbles.db'), 'not a database\n');
    const result = await runDemo('list\nmine\nquit\n', cleanEnv({ DEMO_DATA_DIR: dir }));
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('You are Maya Lindqvist (admin, council)');
    expect(result.stdout).toMatch(/Open pebbles[\s\S]*Showing 1–\d+ of \d+/);
    expect(result.stdout).toMatch(
      /Pebbles you reported[\s\S]*P-\d+ Welcome email arrives in English for German customers/,
    );
    expect(result.stdout).toContain('Bye.');
    const cast = DemoCastSchema.parse(
      JSON.parse(readFileSync(path.join(dir, 'cast.json'), 'utf8')),
    );
    expect(cast.defaultUser).toBe('maya');
    expect(readFileSync(path.join(dir, 'pebbles.db'), 'utf8')).not.toContain('not a database');
  }, 90_000);
});

describe('the demo folder', () => {
  it('refuses to wipe a folder that is not a demo, and empties a previous demo', () => {
    const dir = tempDir('pebblebot-not-demo-');
    writeFileSync(path.join(dir, 'pebbles.db'), 'precious\n');
    expect(() => freshDemoFolder(dir)).toThrow(/holds no demo/);
    expect(readFileSync(path.join(dir, 'pebbles.db'), 'utf8')).toBe('precious\n');

    const demo = tempDir('pebblebot-old-demo-');
    writeFileSync(path.join(demo, 'cast.json'), '{}');
    writeFileSync(path.join(demo, 'pebbles.db'), 'old story\n');
    freshDemoFolder(demo);
    expect(readdirSync(demo)).toEqual([]);
  });
});
