import { shortId } from '../core/pebbles/pebble.model.js';
import type { OptionView } from '../core/ports/message-view.port.js';
import { SEARCH_SOURCES, type SearchSource } from '../views/form.view.js';
import type { ConversationContext, ConversationDeps } from './context.js';

/**
 * The choices of a 'search' field for what the person has typed so far: open pebbles of their
 * own workspace (the context's, never one named by the request), labelled with their id and
 * title, valued by number. `about` is the pebble the form is about, which is left out.
 */
export async function searchOptions(
  deps: ConversationDeps,
  ctx: ConversationContext,
  source: SearchSource,
  query: string,
  about: { n: number },
): Promise<OptionView[]> {
  switch (source) {
    case SEARCH_SOURCES.openPebbles: {
      const found = await deps.services.pebbles.searchOpen(ctx.workspace, query, {
        ...(about.n ? { exclude: about.n } : {}),
      });
      return found.map((p) => ({
        label: `${shortId(p.number)} ${p.title}`,
        value: String(p.number),
      }));
    }
  }
}
