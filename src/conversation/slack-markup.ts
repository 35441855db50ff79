import { channel, person } from '../views/tokens.js';

/**
 * Slack's message markup to the neutral text the grammar reads: people and channels
 * (`<@U1|ana>`, `<#C1|cx>`) become tokens, a user group (`<!subteam^S1|@cx>`) a `group:` channel
 * token the council settings know, and the rest reads as typed: `@here`, links as
 * `label (url)`, and Slack's three escaped characters restored.
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
    )
    .replace(/<!(here|channel|everyone)(?:\|[^>]*)?>/g, '@$1')
    .replace(/<([^|>\uE000-\uE00F]+)\|([^>\uE000-\uE00F]+)>/g, '$2 ($1)')
    .replace(/<([^>\uE000-\uE00F]+)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
