import type { AiConfigInput } from './ai/ai.config.js';
import { createAi } from './ai/create-ai.js';
import type { AiService } from './core/ai/ai.service.js';
import type { AiPort } from './core/ai/ai.port.js';
import { TriageAssist } from './core/ai/triage-assist.js';
import { CouncilService } from './core/council/council.service.js';
import { DigestService } from './core/digest/digest.service.js';
import { GovernanceService } from './core/governance/governance.service.js';
import { ImprovementService } from './core/improvements/improvement.service.js';
import { LexicalSimilarity } from './core/pebbles/similarity.js';
import { PebbleService } from './core/pebbles/pebble.service.js';
import type { Clock } from './core/shared/clock.port.js';
import { WorkspaceService } from './core/workspaces/workspace.service.js';
import { StoreOutbox } from './scheduler/outbox.js';
import type { Logger } from './logger.js';
import type { Store } from './core/ports/store.port.js';
import { councilNotices } from './views/council.view.js';
import { improvementNotices } from './views/improvement.view.js';
import { pebbleNotices } from './views/triage.view.js';

/** The domain services every channel uses, built once per process. */
export interface Services {
  clock: Clock;
  store: Store;
  workspaces: WorkspaceService;
  pebbles: PebbleService;
  /** Journey improvements: owners, promised dates, nudges, closing the loop. */
  improvements: ImprovementService;
  /** Where every scheduled or exactly-once message goes (delivered by the scheduler). */
  outbox: StoreOutbox;
  /** The CX council: settings, proposals, ballots, closing, escalation. */
  council: CouncilService;
  /** The weekly digest for leaders: metrics, narrative, preview, scheduled sends. */
  digest: DigestService;
  /**
   * Suggestions, embeddings, themes and usage when an AI key is configured; absent otherwise
   * (everything then runs on the deterministic paths).
   */
  ai?: AiService;
  /** Audit log, exports, read-API tokens, forgetting a member, retention. */
  governance: GovernanceService;
  /** After a report is acknowledged: the AI triage suggestion and the "it came back?" flag. */
  assist: TriageAssist;
}

/** Options of the services that come from the configuration. */
export interface ServiceOptions {
  /** BALLOT_SECRET (see core/council/ballot-seal.ts). */
  ballotSecret?: string;
  /** OPENAI_*: with it, similarity uses embeddings and the digest an AI narrative. */
  ai?: AiConfigInput;
  /** Replaces the OpenAI adapter (tests and benchmarks). */
  aiPort?: AiPort;
  /** Where AI fallbacks are logged. */
  logger?: Pick<Logger, 'warn'>;
}

export function createServices(store: Store, clock: Clock, options: ServiceOptions = {}): Services {
  const lexical = new LexicalSimilarity();
  const ai = options.ai
    ? createAi(options.ai, {
        store,
        clock,
        fallback: lexical,
        ...(options.logger ? { logger: options.logger } : {}),
        ...(options.aiPort ? { port: options.aiPort } : {}),
      })
    : undefined;
  const outbox = new StoreOutbox(store, clock);
  const pebbles = new PebbleService(store, clock, ai?.similarity ?? lexical, {
    outbox,
    notices: pebbleNotices,
  });
  const improvements = new ImprovementService({
    store,
    clock,
    pebbles,
    outbox,
    notices: improvementNotices,
  });
  const workspaces = new WorkspaceService(store, clock);
  const assist = new TriageAssist({
    store,
    clock,
    pebbles,
    similarity: ai?.similarity ?? lexical,
    ...(ai ? { ai: ai.service } : {}),
    onError: (error, pebble) =>
      options.logger?.warn(
        { err: error, pebble: pebble.number },
        'triage suggestion or recurrence check failed; the pebble is stored',
      ),
  });
  return {
    assist,
    clock,
    store,
    workspaces,
    governance: new GovernanceService(store, clock, workspaces),
    digest: new DigestService({
      store,
      clock,
      ...(ai ? { narrator: ai.narrator, themes: ai.themes } : {}),
    }),
    ...(ai ? { ai: ai.service } : {}),
    pebbles,
    improvements,
    outbox,
    council: new CouncilService({
      store,
      clock,
      pebbles,
      improvements,
      outbox,
      notices: councilNotices,
      ...(options.ballotSecret ? { ballotSecret: options.ballotSecret } : {}),
    }),
  };
}
