import { channel, person } from '../views/tokens.js';

/**
 * Slack's markup for people and channels (`<@U1|ana>`, `<#C1|cx>`) to the neutral tokens the
 * grammar reads. User groups (`<!subteam^S1|@cx>`) become a channel-like group token the council
 * parser knows; other markup (links, `<!here>`) is left as typed.
 */
export function slackMarkupToTokens(text: string): string {
  return text
    .replace(/<@([UW][A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, name?: string) =>
      person(id, name || undefined),
    )
    .replace(/<#([CG][A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, name?: string) =>
      channel(id, name || undefined),
    )
    .replace(/<!subteam\^([A-Z0-9]+)(?:\|@?([^>]*))?>/g, (_m, id: string, name?: string) =>
      channel(`group:${id}`, name || undefined),
    );
}
