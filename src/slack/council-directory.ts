import type { webApi } from '@slack/bolt';
import { z } from 'zod';
import type { CouncilDirectory } from '../core/council/council.notices.js';

const GroupUsersSchema = z.looseObject({ users: z.array(z.string()).default([]) });
const UserSchema = z.looseObject({
  user: z.looseObject({
    name: z.string().optional(),
    real_name: z.string().optional(),
    profile: z.looseObject({ display_name: z.string().optional() }).optional(),
  }),
});
// NOTE: users.info is Tier 4 (100+ per minute): names are looked up for the first 50 members;
// the others show as ids until they are named another way.
const NAMES_LOOKED_UP = 50;

/** Slack user groups, for councils kept in sync with one (usergroups.users.list). */
export class SlackCouncilDirectory implements CouncilDirectory {
  constructor(private readonly client: webApi.WebClient) {}

  async groupMembers(groupId: string): Promise<{ userId: string; name?: string }[]> {
    const { users } = GroupUsersSchema.parse(
      await this.client.usergroups.users.list({ usergroup: groupId }),
    );
    return Promise.all(
      users.map(async (userId, i) => {
        if (i >= NAMES_LOOKED_UP) return { userId };
        try {
          const { user } = UserSchema.parse(await this.client.users.info({ user: userId }));
          const name = user.profile?.display_name || user.real_name || user.name;
          return name ? { userId, name } : { userId };
        } catch {
          return { userId };
        }
      }),
    );
  }
}
