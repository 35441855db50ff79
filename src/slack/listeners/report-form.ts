import { setTimeout as sleep } from 'node:timers/promises';
import { pebbleContext } from '../context.js';
import type { Answer } from '../follow-up.js';
import { parseReportSubmission, REPORT_CALLBACK_ID, sourceOf } from '../report-modal.js';
import { confirmationView } from '../../views/pebble.view.js';
import { ackAfter } from './ack-after.js';
import type { Registrar, SlackDeps, ViewArgs } from './registry.js';

/** How long the acknowledgement of a form waits for the reported message's link. */
const PERMALINK_WAIT_MS = 1_000;

/** The report form's submission: a new pebble, or the reporter's details for one. */
export function registerReportForm(r: Registrar, deps: SlackDeps): void {
  r.view(REPORT_CALLBACK_ID, async ({ view, ack, context, body }: ViewArgs) => {
    const submission = parseReportSubmission(view);
    if (!submission.ok) {
      await ack({ response_action: 'errors', errors: submission.errors });
      return;
    }
    const ctx = pebbleContext(context);
    const { meta, details } = submission;
    const { pebbles } = deps.services;
    const tell: Answer = { user: body.user.id, ...(meta.c ? { channel: meta.c } : {}) };

    if (meta.n) {
      const revisedTo = meta.n;
      const result = await ackAfter(ack, async () =>
        (await ctx.firstDelivery())
          ? pebbles.reviseReport(ctx.workspace, ctx.user, revisedTo, details)
          : undefined,
      );
      if (!result) return;
      const similar = await pebbles.findSimilar(ctx.workspace, result.pebble);
      const view = confirmationView(result.pebble, similar, { truncated: result.truncated });
      await deps.followUp.say(meta.r ? { responseUrl: meta.r, replaceOriginal: true } : tell, view);
      await deps.followUp.refreshCard(ctx.workspace, result.pebble);
      return;
    }
    const result = await ackAfter(ack, async () => {
      if (!(await ctx.firstDelivery())) return undefined;
      // The link is part of the pebble, so it is asked for before the ack, but never for
      // longer than Slack's deadline allows: without it the pebble is still stored.
      const permalink =
        meta.c && meta.t
          ? await Promise.race([
              deps.gateway.permalink(meta.c, meta.t),
              sleep(PERMALINK_WAIT_MS, undefined, { ref: false }),
            ])
          : undefined;
      const report = await pebbles.report(
        ctx.workspace,
        ctx.user,
        details,
        sourceOf(meta, permalink),
      );
      return report;
    });
    if (result) await deps.followUp.afterReport(ctx.workspace, result, tell);
  });
}
