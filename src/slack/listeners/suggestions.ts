import { z } from 'zod';
import { searchOptions } from '../../conversation/suggestions.js';
import { SEARCH_SOURCES } from '../../views/form.view.js';
import { pebbleContext } from '../context.js';
import { conversationContext } from '../conversation.js';
import { readFormMeta, renderOptions, searchActionId } from '../render-form.js';
import type { OptionsArgs, Registrar, SlackDeps } from './registry.js';

/** What a block_suggestion brings that is used: the typed text and the form it is typed in. */
const Suggestion = z.looseObject({
  // NOTE: Slack sends what is typed in the menu's search box; a crafted request may send more.
  value: z.string().max(10_000).default(''),
  view: z.looseObject({ private_metadata: z.string().max(3_000).optional() }).optional(),
});

/**
 * Fills a search field's menu as the person types (Slack's external select asks on every
 * keystroke, and waits 3 seconds at most): the conversation layer looks in the person's own
 * workspace, resolved from the signed request by the context middleware. A request that
 * cannot be read or a failing store answers an empty menu, never an error message per key.
 */
async function suggest(deps: SlackDeps, args: OptionsArgs): Promise<void> {
  const body = Suggestion.safeParse(args.body);
  if (!body.success) {
    await args.ack({ options: [] });
    return;
  }
  const meta = readFormMeta(body.data.view?.private_metadata) ?? {};
  try {
    const ctx = pebbleContext(args.context);
    const options = await searchOptions(
      deps.conversation,
      conversationContext(deps, ctx),
      SEARCH_SOURCES.openPebbles,
      body.data.value,
      { n: meta.n ?? 0 },
    );
    await args.ack(renderOptions(options));
  } catch (error) {
    deps.logger.warn({ err: error }, 'could not search pebbles for a menu');
    await args.ack({ options: [] });
  }
}

/** The options endpoint of every search field (one listener per list searched). */
export function registerSuggestions(r: Registrar, deps: SlackDeps): void {
  r.options(searchActionId(SEARCH_SOURCES.openPebbles), (args) => suggest(deps, args));
}
