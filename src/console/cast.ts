import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Workspace } from '../core/workspaces/workspace.model.js';
import type { UserContext } from '../core/workspaces/workspace.service.js';
import type { Services } from '../services.js';

/**
 * The console's cast: the people a newcomer plays to live the whole loop alone. A member's
 * handle is their user id in the store (`ana`), so `@ana` in the console is the same person in
 * every pebble, ballot and improvement. The cast is kept in `DATA_DIR/console-cast.json`; the
 * demo seed writes the same file (with `saveCast`) next to the workspace it fills.
 */
export const CAST_ROLES = ['admin', 'council', 'sponsor', 'owner', 'leader', 'reporter'] as const;
export type CastRole = (typeof CAST_ROLES)[number];

export const CastMemberSchema = z.object({
  handle: z.string().regex(/^[a-z][a-z0-9_.-]{0,30}$/),
  name: z.string().min(1).max(80),
  roles: z.array(z.enum(CAST_ROLES)).default([]),
  /** The council member's function (Product, Support…), for the balance rule. */
  function: z.string().max(40).optional(),
  team: z.string().max(80).optional(),
});
export type CastMember = z.infer<typeof CastMemberSchema>;

export const CastSchema = z.object({
  version: z.literal(1),
  members: z.array(CastMemberSchema).min(1).max(50),
  /** Channels the cast's workspace uses (names without #). */
  channels: z
    .object({ triage: z.string(), council: z.string(), leaders: z.string() })
    .default({ triage: 'triage', council: 'council', leaders: 'leaders' }),
});
export type Cast = z.infer<typeof CastSchema>;

/** A small team that covers every role of the loop. */
export const SAMPLE_CAST: Cast = {
  version: 1,
  members: [
    { handle: 'ana', name: 'Ana Ops', roles: ['admin', 'reporter'], team: 'CX operations' },
    {
      handle: 'ben',
      name: 'Ben Support',
      roles: ['council'],
      function: 'Support',
      team: 'Support',
    },
    { handle: 'cy', name: 'Cy Product', roles: ['council'], function: 'Product', team: 'Product' },
    {
      handle: 'dee',
      name: 'Dee Engineering',
      roles: ['council'],
      function: 'Engineering',
      team: 'Engineering',
    },
    { handle: 'vera', name: 'Vera VP', roles: ['sponsor', 'leader'], team: 'Leadership' },
    { handle: 'olu', name: 'Olu Owner', roles: ['owner'], team: 'Engineering' },
    { handle: 'raj', name: 'Raj Sales', roles: ['reporter'], team: 'Sales' },
  ],
  channels: { triage: 'triage', council: 'council', leaders: 'leaders' },
};

export const CAST_FILE = 'console-cast.json';

/** The cast kept in the data folder, if any. */
export function loadCast(dataDir: string): Cast | undefined {
  const file = path.join(dataDir, CAST_FILE);
  if (!existsSync(file)) return undefined;
  const parsed = CastSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success)
    throw new Error(
      `${file} is not a valid cast: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
    );
  return parsed.data;
}

export function saveCast(dataDir: string, cast: Cast): void {
  writeFileSync(
    path.join(dataDir, CAST_FILE),
    `${JSON.stringify(CastSchema.parse(cast), null, 2)}\n`,
  );
}

/** A cast member as the services see them acting. */
export function castUser(member: CastMember): UserContext {
  return {
    userId: member.handle,
    name: member.name,
    ...(member.team ? { team: member.team } : {}),
    ...(member.roles.includes('admin') ? { platformAdmin: true } : {}),
  };
}

const has = (cast: Cast, role: CastRole) => cast.members.filter((m) => m.roles.includes(role));

/**
 * Gives the workspace the cast's roles through the same use cases an admin would use: admins,
 * triage channel, council (members with functions, channel, sponsor), the digest's channel and
 * leaders.
 */
export async function applyCast(
  services: Services,
  workspace: Workspace,
  cast: Cast,
): Promise<Workspace> {
  const admin = has(cast, 'admin')[0];
  if (!admin) throw new Error('The cast needs an admin.');
  const actor = castUser(admin);
  let ws = await services.workspaces.updateSettings(workspace, actor, {
    admins: has(cast, 'admin').map((m) => m.handle),
    triageChannel: cast.channels.triage,
  });
  const council = has(cast, 'council');
  const sponsor = has(cast, 'sponsor')[0];
  ws = (
    await services.council.configure(ws, actor, {
      members: council.map((m) => ({ userId: m.handle, name: m.name })),
      functions: Object.fromEntries(
        council.filter((m) => m.function).map((m) => [m.handle, m.function!]),
      ),
      channel: cast.channels.council,
      ...(sponsor ? { sponsor: sponsor.handle } : {}),
    })
  ).workspace;
  ws = await services.workspaces.updateSettings(ws, actor, {
    digest: {
      ...ws.settings.digest,
      enabled: true,
      channel: cast.channels.leaders,
      leaders: has(cast, 'leader').map((m) => m.handle),
    },
  });
  return ws;
}
