import { ACTIONS } from '../../views/actions.js';
import { digestView } from '../../views/digest.view.js';
import type { MessageView } from '../../core/ports/message-view.port.js';
import { pebbleContext, type PebbleContext } from '../context.js';
import type { ActionArgs, Registrar, SlackDeps } from './registry.js';

/** This week's digest so far, as only the asker sees it (the chart as numbers). */
export async function digestPreviewView(deps: SlackDeps, ctx: PebbleContext): Promise<MessageView> {
  const preview = await deps.services.digest.preview(ctx.workspace);
  return digestView(preview, { chart: 'fallback', preview: true });
}

/** The Home tab's "Preview this week" (admins): the preview arrives by direct message. */
export function registerDigest(r: Registrar, deps: SlackDeps): void {
  r.action(ACTIONS.digestPreview, async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    if (!(await ctx.firstDelivery())) return;
    const userId = (body as { user?: { id?: string } }).user?.id ?? ctx.user.userId;
    await deps.gateway.dm(userId, await digestPreviewView(deps, ctx));
  });
}
