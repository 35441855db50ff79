import { pebbleContext } from '../context.js';
import type { Answer } from '../follow-up.js';
import { parseReportSubmission, REPORT_CALLBACK_ID, sourceOf } from '../report-modal.js';
import { confirmationView } from '../../views/pebble.view.js';
import type { Registrar, SlackDeps, ViewArgs } from './registry.js';

/** The report form's submission: a new pebble, or the reporter's details for one. */
export function registerReportForm(r: Registrar, deps: SlackDeps): void {
  r.view(REPORT_CALLBACK_ID, async ({ view, ack, context, body }: ViewArgs) => {
    const submission = parseReportSubmission(view);
    if (!submission.ok) {
      await ack({ response_action: 'errors', errors: submission.errors });
      return;
    }
    await ack();
    const ctx = pebbleContext(context);
    if (!(await ctx.firstDelivery())) return;
    const { meta, details } = submission;
    const { pebbles } = deps.services;
    const tell: Answer = { user: body.user.id, ...(meta.c ? { channel: meta.c } : {}) };

    if (meta.n) {
      const result = await pebbles.reviseReport(ctx.workspace, ctx.user, meta.n, details);
      const similar = await pebbles.findSimilar(ctx.workspace, result.pebble);
      const view = confirmationView(result.pebble, similar, { truncated: result.truncated });
      await deps.followUp.say(meta.r ? { responseUrl: meta.r, replaceOriginal: true } : tell, view);
      await deps.followUp.refreshCard(ctx.workspace, result.pebble);
      return;
    }
    const permalink = meta.c && meta.t ? await deps.gateway.permalink(meta.c, meta.t) : undefined;
    const result = await pebbles.report(
      ctx.workspace,
      ctx.user,
      details,
      sourceOf(meta, permalink),
    );
    await deps.followUp.afterReport(ctx.workspace, result, tell);
  });
}
