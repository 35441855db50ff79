import type { Config } from '../config.js';
import type { PebbleError } from '../core/shared/errors.js';
import { openEmbeddedStore } from './nedb/nedb.store.js';
import type { Store } from '../core/ports/store.port.js';

/**
 * A process that lost the lock on its data folder ends: the store already refuses every write,
 * and a restart either takes the folder back or is refused with a clear message, whereas a
 * process left running would only answer every request with an error. Every write it
 * acknowledged was in the files before it was acknowledged, so nothing acknowledged is lost.
 */
function exitOnLockLost(error: PebbleError): void {
  process.stderr.write(`Pebblebot stopped: ${error.message}\n`);
  process.exit(1);
}

/**
 * MongoDB when MONGODB_URI is set, otherwise the embedded store in DATA_DIR. The MongoDB driver
 * is imported only when it is used: loaded, it holds about 18 MB that a bot on the embedded
 * store never needs.
 */
export async function openStore(
  config: Pick<Config, 'mongodb' | 'dataDir'>,
  hooks: { onLockLost?: (error: PebbleError) => void } = {},
): Promise<Store> {
  return config.mongodb
    ? (await import('./mongo/mongo.store.js')).openMongoStore({
        uri: config.mongodb.uri,
        dbName: config.mongodb.dbName,
        appName: 'pebblebot',
      })
    : openEmbeddedStore({
        dataDir: config.dataDir,
        onLockLost: hooks.onLockLost ?? exitOnLockLost,
      });
}
