import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildPackage,
  MANIFEST_DIR,
  packageProblems,
  unzip,
  valuesFromEnv,
} from '../../scripts/teams/teams-package.js';
import { REPORT_AS_PEBBLE_COMMAND, TEAMS_COMMANDS } from '../../src/teams/commands.js';

const APP_ID = '11111111-2222-3333-4444-555555555555';
const env = { MICROSOFT_APP_ID: APP_ID, TEAMS_BOT_DOMAIN: 'pebblebot.example.com' };
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

interface Manifest {
  manifestVersion: string;
  bots: {
    botId: string;
    scopes: string[];
    commandLists: { scopes: string[]; commands: { title: string; description: string }[] }[];
  }[];
  composeExtensions: {
    botId: string;
    commands: { id: string; type: string; title: string; context: string[]; fetchTask: boolean }[];
  }[];
  validDomains: string[];
  webApplicationInfo?: { id: string };
  authorization?: { permissions: { resourceSpecific: { name: string; type: string }[] } };
}

const manifestOf = (files: Record<string, Uint8Array>) =>
  JSON.parse(Buffer.from(files['manifest.json']!).toString('utf8')) as Manifest;

describe('Teams app manifest', () => {
  it('is valid against its schema (1.19 or later, offline) once the placeholders are filled, icons included', async () => {
    const files = buildPackage(valuesFromEnv(env, '0.1.0'));
    const manifest = manifestOf(files);
    expect(Number(manifest.manifestVersion.split('.')[1])).toBeGreaterThanOrEqual(19);
    expect(await packageProblems(files)).toEqual([]);
    expect(manifest.bots[0]!.botId).toBe(APP_ID);
    expect(manifest.validDomains).toEqual(['pebblebot.example.com']);
  });

  it("asks, per team, to read the team's members, so team owners count as admins", () => {
    const manifest = manifestOf(buildPackage(valuesFromEnv(env, '0.1.0')));
    // Resource-specific consent: granted with the install in a team, no tenant-wide consent.
    expect(manifest.webApplicationInfo?.id).toBe(APP_ID);
    expect(manifest.authorization?.permissions.resourceSpecific).toContainEqual({
      name: 'TeamMember.Read.Group',
      type: 'Application',
    });
  });

  it('declares the bot in personal, team and group chat scopes with the /pebble command words', () => {
    const manifest = manifestOf(buildPackage(valuesFromEnv(env, '0.1.0')));
    const bot = manifest.bots[0]!;
    expect(bot.scopes.sort()).toEqual(['groupChat', 'personal', 'team']);
    for (const list of bot.commandLists) expect(list.commands).toEqual([...TEAMS_COMMANDS]);
    expect(bot.commandLists.flatMap((l) => l.scopes).sort()).toEqual([
      'groupChat',
      'personal',
      'team',
    ]);
  });

  it('declares "Report as pebble" as a message action that fetches its dialog from the bot', () => {
    const manifest = manifestOf(buildPackage(valuesFromEnv(env, '0.1.0')));
    expect(manifest.composeExtensions).toEqual([
      {
        botId: APP_ID,
        commands: [
          expect.objectContaining({
            id: REPORT_AS_PEBBLE_COMMAND,
            type: 'action',
            title: 'Report as pebble',
            context: ['message'],
            fetchTask: true,
          }),
        ],
      },
    ]);
  });

  it('finds a wrong icon size, an opaque outline icon and a schema break', async () => {
    const files = buildPackage(valuesFromEnv(env, '0.1.0'));
    const broken = {
      ...files,
      'outline.png': files['color.png']!,
      'manifest.json': Buffer.from(JSON.stringify({ ...manifestOf(files), accentColor: 'blue' })),
    };
    const problems = await packageProblems(broken);
    expect(problems.join('\n')).toContain('outline icon must be 32x32');
    expect(problems.join('\n')).toContain('transparent');
    expect(problems.join('\n')).toContain('accentColor');
  });

  it('refuses to fill the manifest without a GUID app id and a bot domain, naming the variables', () => {
    expect(() => valuesFromEnv({}, '0.1.0')).toThrow(/MICROSOFT_APP_ID[\s\S]*TEAMS_BOT_DOMAIN/);
  });

  it('npm run teams:package writes an installable zip and validates it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pebblebot-teams-package-'));
    dirs.push(dir);
    const out = path.join(dir, 'pebblebot-teams.zip');
    await promisify(execFile)('npx', ['tsx', 'scripts/teams/package.ts'], {
      cwd: new URL('../..', MANIFEST_DIR).pathname,
      env: { ...process.env, ...env, TEAMS_PACKAGE_OUT: out },
    });
    const files = unzip(await readFile(out));
    expect(Object.keys(files).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    expect(await packageProblems(files)).toEqual([]);
  }, 60_000);
});
