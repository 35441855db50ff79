import {
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { PebbleError } from '../../core/shared/errors.js';

/** E11000: a unique index (or `_id`) refused a second document with the same key. */
export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}

/** The server does not implement something (FerretDB answers NotImplemented, code 238). */
export function isNotImplemented(error: unknown): boolean {
  return (
    error instanceof MongoServerError &&
    (error.code === 238 ||
      error.codeName === 'NotImplemented' ||
      /not implemented/i.test(error.message))
  );
}

function isUnreachable(error: unknown): boolean {
  return (
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNetworkError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoTopologyClosedError
  );
}

/** 18 AuthenticationFailed, 13 Unauthorized. */
function isAuthFailure(error: unknown): boolean {
  return error instanceof MongoError && (error.code === 18 || error.code === 13);
}

/**
 * The connection string as it may be shown to a person: credentials and options removed.
 * `mongodb://ana:secret@db:27017/pebbles?authSource=admin` -> `mongodb://ana:***@db:27017/pebbles`.
 */
export function redactUri(uri: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/)(?:([^/?#]*)@)?([^/?#]*)(\/[^?#]*)?/i.exec(uri.trim());
  if (!match) return '(not a mongodb:// or mongodb+srv:// address)';
  const [, scheme, userinfo, hosts, dbPath] = match;
  const user =
    userinfo === undefined
      ? ''
      : `${userinfo.split(':')[0]}${userinfo.includes(':') ? ':***' : ''}@`;
  return `${scheme}${user}${hosts}${dbPath ?? ''}`;
}

/** Removes the password of `uri` (raw and decoded) from a message written by the driver. */
function scrub(message: string, uri: string): string {
  const userinfo = /^mongodb(?:\+srv)?:\/\/([^/?#]*)@/i.exec(uri.trim())?.[1];
  const password = userinfo?.includes(':') ? userinfo.slice(userinfo.indexOf(':') + 1) : '';
  if (!password) return message;
  let decoded = password;
  try {
    decoded = decodeURIComponent(password);
  } catch {
    // keep the raw form
  }
  return message.split(password).join('***').split(decoded).join('***');
}

/**
 * Turns "the server cannot be reached / refuses our credentials" into STORE.UNAVAILABLE with a
 * message a person can act on; every other error is returned unchanged.
 */
export function toStoreError(error: unknown, uri?: string): unknown {
  if (error instanceof PebbleError) return error;
  const where = uri ? `MongoDB at ${redactUri(uri)} (MONGODB_URI)` : 'MongoDB (MONGODB_URI)';
  const reason = (e: Error) => (uri ? scrub(e.message, uri) : e.message);
  if (isAuthFailure(error)) {
    return new PebbleError(
      'STORE.UNAVAILABLE',
      `${where} refused the credentials: ${reason(error as Error)}. Check the user and password in MONGODB_URI.`,
      { cause: error },
    );
  }
  if (isUnreachable(error)) {
    return new PebbleError(
      'STORE.UNAVAILABLE',
      `${where} is unreachable: ${reason(error as Error)}. Check that the server is running and that MONGODB_URI points at it.`,
      { cause: error },
    );
  }
  return error;
}

/** Runs one store operation, translating connectivity failures into STORE.UNAVAILABLE. */
export async function guard<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toStoreError(error);
  }
}
