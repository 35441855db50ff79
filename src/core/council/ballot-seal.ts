import { createHmac, randomBytes } from 'node:crypto';
import type { Vote } from './council.model.js';

/**
 * How a ballot is keyed in the store. One ballot per member is kept by a unique key, so a
 * member's 50 clicks leave one ballot and 1,000 members leave 1,000 ballots.
 *
 * Open ballots are keyed by the member's id. Secret ballots are keyed by
 * HMAC-SHA256(ballot secret + the vote's random salt, member id): the stored ballot holds the
 * choice and that opaque key only (no member id, no time), so the member can change it until
 * the close, while reading the store alone does not tell who chose what. The ballot secret
 * (BALLOT_SECRET) lives in the environment, not in the store; the salt lives on the vote and
 * is erased when it closes, after which nobody, admins and operators included, can recompute
 * any key.
 */
export class BallotSeal {
  constructor(private readonly secret: string = '') {}

  /** A fresh salt for a secret vote. */
  static newSalt(): string {
    return randomBytes(24).toString('base64url');
  }

  /** The store key of `userId`'s ballot on `vote`. */
  keyOf(vote: Pick<Vote, 'rules' | 'sealSalt'>, userId: string): string {
    if (!vote.rules.secret) return `u:${userId}`;
    if (!vote.sealSalt) throw new Error('a secret vote without its salt is closed');
    return `s:${createHmac('sha256', `${this.secret}\u0000${vote.sealSalt}`)
      .update(userId)
      .digest('base64url')}`;
  }

  /** The member of an open ballot's key (secret keys name nobody). */
  static memberOf(key: string): string | undefined {
    return key.startsWith('u:') ? key.slice(2) : undefined;
  }
}
