import { randomBytes } from 'node:crypto';

let last = 0n;

/**
 * An audit entry's id: sortable by the time it was recorded in this process (high-resolution,
 * strictly increasing), then random, so entries of the same millisecond list in the order they
 * happened.
 */
export function auditId(): string {
  let now = process.hrtime.bigint();
  if (now <= last) now = last + 1n;
  last = now;
  return `${now.toString(36).padStart(13, '0')}-${randomBytes(4).toString('hex')}`;
}
