import { z } from 'zod';
import type { UserContext } from '../../src/core/workspaces/workspace.service.js';

/** The file in the demo's data folder that holds the cast (and marks the folder as the demo's). */
export const CAST_FILE = 'cast.json';

/** What a person of the demo does in the workspace (one person may hold several roles). */
export const DemoRoleSchema = z.enum(['admin', 'council', 'sponsor', 'owner', 'member']);
export type DemoRole = z.infer<typeof DemoRoleSchema>;

export const DemoPersonSchema = z.object({
  /** The user id the store knows them by (console ids are plain names, like `maya`). */
  id: z.string().min(1).max(64),
  /** How the console addresses them: `@maya`. */
  handle: z.string().regex(/^[a-z][a-z0-9-]*$/),
  displayName: z.string().min(1).max(255),
  roles: z.array(DemoRoleSchema).min(1),
  /** Their team (shown on +1s and in the digest's team count). */
  team: z.string().min(1).max(255),
  /** Their function on the council, for the balance rule (council members only). */
  function: z.string().min(1).max(40).optional(),
});
export type DemoPerson = z.infer<typeof DemoPersonSchema>;

/** The cast of the demo workspace, written to `cast.json` beside the data for the console. */
export const DemoCastSchema = z.object({
  version: z.literal(1),
  workspace: z.object({ id: z.string(), name: z.string() }),
  /** The person the console acts as when it starts (an admin). */
  defaultUser: z.string(),
  people: z.array(DemoPersonSchema).min(1),
  /** The council channel id and the digest channel id of the demo workspace. */
  channels: z.object({ council: z.string(), digest: z.string() }),
  /** When the seeded story starts and ends (ISO instants). */
  story: z.object({ from: z.string(), to: z.string() }),
});
export type DemoCast = z.infer<typeof DemoCastSchema>;

const person = (
  handle: string,
  displayName: string,
  team: string,
  roles: DemoRole[],
  fn?: string,
): DemoPerson => ({
  id: handle,
  handle,
  displayName,
  roles,
  team,
  ...(fn ? { function: fn } : {}),
});

/** The people of Harbor Goods. Order matters only for readability. */
export const PEOPLE: DemoPerson[] = [
  person('maya', 'Maya Lindqvist', 'CX Office', ['admin', 'council'], 'CX'),
  person('daniel', 'Daniel Okafor', 'Leadership', ['sponsor']),
  person('priya', 'Priya Raman', 'Product', ['council', 'owner'], 'Product'),
  person('tomas', 'Tomás Herrera', 'Support', ['council', 'owner'], 'Support'),
  person('lena', 'Lena Fischer', 'Engineering', ['council'], 'Engineering'),
  person('marcus', 'Marcus Bell', 'Sales', ['council'], 'Sales'),
  person('aiko', 'Aiko Tanaka', 'Finance', ['council'], 'Finance'),
  person('sofia', 'Sofia Rossi', 'People', ['council', 'owner'], 'People'),
  person('jonas', 'Jonas Weber', 'Engineering', ['owner']),
  person('hannah', 'Hannah Kim', 'Billing', ['owner']),
  person('ravi', 'Ravi Patel', 'IT', ['owner']),
  person('chloe', 'Chloé Martin', 'Partner Success', ['owner']),
  person('nina', 'Nina Alvarez', 'Support', ['member']),
  person('omar', 'Omar Haddad', 'Sales', ['member']),
  person('grace', 'Grace Liu', 'Customer Success', ['member']),
  person('felix', 'Felix Braun', 'Warehouse', ['member']),
  person('zoe', 'Zoe Adams', 'Marketing', ['member']),
  person('ivan', 'Ivan Petrov', 'Finance', ['member']),
  person('amara', 'Amara Nwosu', 'Support', ['member']),
  person('leo', 'Leo Schmidt', 'Partner Success', ['member']),
];

/** The person as the core services see them. */
export function userOf(p: DemoPerson): UserContext {
  return {
    userId: p.id,
    name: p.displayName,
    team: p.team,
    ...(p.roles.includes('admin') ? { platformAdmin: true } : {}),
  };
}
