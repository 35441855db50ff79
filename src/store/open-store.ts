import type { Config } from '../config.js';
import { openMongoStore } from './mongo/mongo.store.js';
import { openEmbeddedStore } from './nedb/nedb.store.js';
import type { Store } from './store.port.js';

/** MongoDB when MONGODB_URI is set, otherwise the embedded store in DATA_DIR. */
export function openStore(config: Pick<Config, 'mongodb' | 'dataDir'>): Promise<Store> {
  return config.mongodb
    ? openMongoStore({
        uri: config.mongodb.uri,
        dbName: config.mongodb.dbName,
        appName: 'pebblebot',
      })
    : openEmbeddedStore({ dataDir: config.dataDir });
}
