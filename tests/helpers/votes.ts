import type { NewVote } from '../../src/core/ports/council.port.js';

/**
 * A council vote decided "fix now" by secret ballot of two voters, as the store keeps it (for
 * exports: nothing may link a ballot to a voter).
 */
export function decidedSecretVote(
  workspaceId: string,
  pebbleNumber: number,
  at: Date,
  people: { proposedBy: string; voters: [string, string] },
): NewVote {
  return {
    workspaceId,
    pebbleNumbers: [pebbleNumber],
    proposedBy: people.proposedBy,
    status: 'decided',
    electorate: people.voters.map((userId) => ({ userId })),
    rules: { threshold: 50, secret: true, wipLimit: 3 },
    channelId: 'C_COUNCIL',
    openedAt: at,
    deadline: at,
    result: {
      tally: { 'fix-now': 2, 'next-cycle': 0, 'not-now': 0, 'need-info': 0 },
      cast: 2,
      recused: 0,
      electorate: 2,
      quorumRequired: 1,
      quorumMet: true,
      functionsVoted: 0,
      balanceMet: true,
      thresholdMet: true,
      outcome: 'decided',
      winner: 'fix-now',
      leading: [],
    },
    decision: { option: 'fix-now', by: 'council', at },
    applied: true,
    createdAt: at,
    updatedAt: at,
    history: [{ at, actor: people.voters[0], action: 'ballot' }],
  };
}
