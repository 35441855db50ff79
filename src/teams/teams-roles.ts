import { ConfidentialClientApplication } from '@azure/msal-node';
import { z } from 'zod';
import type { Logger } from '../logger.js';

/** Microsoft Graph as the bot reaches it (MICROSOFT_GRAPH_URL, MICROSOFT_GRAPH_LOGIN_URL). */
export interface GraphConfig {
  /** Graph's base URL with its version, e.g. `https://graph.microsoft.com/v1.0`. */
  baseUrl: string;
  /** The Entra login host the app-only token comes from; the tenant id is appended. */
  loginUrl: string;
  appId: string;
  appPassword: string;
}

/**
 * Entra directory roles whose holders administer Teams: Teams Administrator, and Global
 * Administrator (who can do anything a Teams Administrator can). Role template ids are the
 * same in every tenant.
 */
export const TEAMS_ADMIN_ROLE_TEMPLATES: readonly string[] = [
  '69091246-20e8-4a56-aa4d-066075b2a7a8',
  '62e90394-69f5-4237-9190-012177145e10',
];

/** How long an answer (yes, no, or a failure counted as no) is trusted. */
const CACHE_MS = 5 * 60_000;
const REQUEST_TIMEOUT_MS = 5_000;

const MembersSchema = z.object({
  value: z.array(z.looseObject({ userId: z.string().optional(), roles: z.array(z.string()) })),
});
const DirectoryRolesSchema = z.object({
  value: z.array(z.looseObject({ roleTemplateId: z.string().optional() })),
});

/** Who asks, as Teams names them, and where (a team's channel, or not). */
export interface RoleQuestion {
  tenantId: string;
  /** The person's Microsoft Entra object id. */
  aadObjectId: string;
  /** The Microsoft 365 group id of the team the activity came from (channelData.team.aadGroupId). */
  teamGroupId?: string;
}

/** Answers "does this person administer Pebblebot in their tenant?" from Teams' own roles. */
export interface TeamsRoleSource {
  isAdmin(question: RoleQuestion): Promise<boolean>;
}

class GraphFailure extends Error {
  constructor(
    readonly check: string,
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Teams admins and team owners, read from Microsoft Graph with the bot's own app-only token:
 * a team's owners from `GET /teams/{group}/members` (`roles: ['owner']`; needs the team-scoped
 * TeamMember.Read.Group, granted when the app is installed in the team, or TeamMember.Read.All),
 * and holders of the Teams Administrator or Global Administrator role from
 * `GET /users/{id}/memberOf/microsoft.graph.directoryRole` (needs RoleManagement.Read.Directory
 * or Directory.Read.All, granted by a tenant admin). Ownership counts where it is seen: in that
 * team's channels. Every failure (no permission, Graph down, a timeout) means "not an admin":
 * it is logged once per tenant and kind of failure, and cached like any answer.
 */
export class GraphTeamsRoles implements TeamsRoleSource {
  private readonly apps = new Map<string, ConfidentialClientApplication>();
  private readonly cache = new Map<string, { admin: boolean; until: number }>();
  private readonly logged = new Set<string>();
  private readonly baseUrl: string;
  private readonly scope: string;

  constructor(
    private readonly config: GraphConfig,
    private readonly logger: Logger,
    private readonly options: { cacheMs?: number; now?: () => number } = {},
  ) {
    this.baseUrl = config.baseUrl.replace(/\/+$/, '');
    this.scope = `${new URL(config.baseUrl).origin}/.default`;
  }

  async isAdmin(question: RoleQuestion): Promise<boolean> {
    const now = this.options.now?.() ?? Date.now();
    const key = `${question.tenantId}|${question.aadObjectId}|${question.teamGroupId ?? ''}`;
    const cached = this.cache.get(key);
    if (cached && cached.until > now) return cached.admin;
    const admin = await this.ask(question);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { admin, until: now + (this.options.cacheMs ?? CACHE_MS) });
    return admin;
  }

  private async ask(question: RoleQuestion): Promise<boolean> {
    const checks: [string, () => Promise<boolean>][] = [];
    if (question.teamGroupId)
      checks.push(['team owners', () => this.ownsTeam(question, question.teamGroupId!)]);
    checks.push(['Teams admins', () => this.holdsAdminRole(question)]);
    for (const [check, run] of checks) {
      try {
        if (await run()) return true;
      } catch (error) {
        this.failed(question.tenantId, check, error);
      }
    }
    return false;
  }

  private async ownsTeam(question: RoleQuestion, groupId: string): Promise<boolean> {
    const filter = `(microsoft.graph.aadUserConversationMember/userId eq '${question.aadObjectId}')`;
    const body = await this.get(
      question.tenantId,
      'team owners',
      `/teams/${encodeURIComponent(groupId)}/members?$filter=${encodeURIComponent(filter)}`,
    );
    const members = MembersSchema.parse(body).value;
    return members.some(
      (m) =>
        m.userId?.toLowerCase() === question.aadObjectId.toLowerCase() &&
        m.roles.some((r) => r.toLowerCase() === 'owner'),
    );
  }

  private async holdsAdminRole(question: RoleQuestion): Promise<boolean> {
    const body = await this.get(
      question.tenantId,
      'Teams admins',
      `/users/${encodeURIComponent(question.aadObjectId)}/memberOf/microsoft.graph.directoryRole?$select=roleTemplateId`,
    );
    return DirectoryRolesSchema.parse(body).value.some(
      (r) =>
        r.roleTemplateId !== undefined && TEAMS_ADMIN_ROLE_TEMPLATES.includes(r.roleTemplateId),
    );
  }

  private async get(tenantId: string, check: string, path: string): Promise<unknown> {
    const token = await this.token(tenantId);
    const res = await fetch(`${this.baseUrl}${path}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (!res.ok) {
      const text = (await res.text().catch(() => '')).slice(0, 300);
      throw new GraphFailure(check, res.status, `Graph answered ${res.status}: ${text}`);
    }
    return res.json();
  }

  /** An app-only Graph token for the tenant (MSAL caches it until it expires). */
  private async token(tenantId: string): Promise<string> {
    let app = this.apps.get(tenantId);
    if (!app) {
      // NOTE: MSAL refuses an authority host it does not know ("Endpoints cannot be resolved")
      // unless told it is known: sovereign clouds and test doubles.
      const authority = `${this.config.loginUrl.replace(/\/+$/, '')}/${tenantId}`;
      app = new ConfidentialClientApplication({
        auth: {
          clientId: this.config.appId,
          clientSecret: this.config.appPassword,
          authority,
          knownAuthorities: [new URL(authority).host],
        },
      });
      this.apps.set(tenantId, app);
    }
    const result = await app.acquireTokenByClientCredential({ scopes: [this.scope] });
    if (!result?.accessToken) throw new Error('no Graph token');
    return result.accessToken;
  }

  private failed(tenantId: string, check: string, error: unknown): void {
    const status = error instanceof GraphFailure ? error.status : undefined;
    const once = `${tenantId}|${check}|${status ?? 'error'}`;
    if (this.logged.has(once)) return;
    this.logged.add(once);
    this.logger.warn(
      { tenantId, check, status, reason: error instanceof Error ? error.message : String(error) },
      `Teams roles: could not read ${check} from Microsoft Graph, so nobody counts as one until it answers (grant the app ${check === 'team owners' ? 'TeamMember.Read.Group or TeamMember.Read.All' : 'RoleManagement.Read.Directory or Directory.Read.All'}, or list admins in TEAMS_ADMIN_IDS)`,
    );
  }
}
