/**
 * storage/: the one place anything persistent is written.
 *
 *   storage.ts        the Storage interface (load/store/delete/exists/list/stat, lock/unlock
 *                     with expiry, generations published in one step) + small helpers
 *   keys.ts           storage keys: plain segments only, hashing of outside names (no escape)
 *   layout.ts         which key holds what (records, accounts, ACME state, orders in flight, locks)
 *   file-storage.ts   the filesystem backend (default): generations, symlink or pointer-file mode
 *   file-lock.ts      lock files with pid + expiry, taken over from dead or silent holders
 *   folder-safety.ts  refuses planted symlinks and foreign or world-writable folders
 *   migrate-0.1.ts    one-time move of 0.1.0's folders into this layout
 *   redis-config.ts   which storage a userDir uses (settings helper / RED.settings), URL redaction
 *   redis-storage.ts  the Redis backend (clusters): fenced locks, pub/sub changes, shared http-01 tokens
 *   redis-crypto.ts   AES-256-GCM sealing of private keys at rest in Redis (HKDF from the user's secret)
 *   open.ts           openStorage(userDir): cleaned, migrated, one instance per process
 *
 * Layout and migration: docs/STORAGE.md.
 */
export * from './storage';
export { keySegments, validateKey, joinKey, safeSegment } from './keys';
export {
  GENERATION_FILES,
  LOCAL_CA_KEYS,
  accountKey,
  acmeStateKey,
  deliveredKey,
  orderJournalKey,
  sourceLinkKey,
  acmeLock,
  accountLock,
} from './layout';
export { FileStorage, isGenerationName, recordLock } from './file-storage';
export type { FileStorageOptions } from './file-storage';
export { processAlive } from './file-lock';
export { checkFolder } from './folder-safety';
export { migrateFrom010, LEGACY_DIR, MIGRATED_DIR } from './migrate-0.1';
export type { MigrationReport } from './migrate-0.1';
export { openStorage, storageRoot, expandHome, takeMigrationReport, forgetOpenedStorages, setStorageLogger, STORAGE_DIR } from './open';
export {
  configureStorage,
  setStorageSecretFallback,
  storageSettingsFor,
  forgetStorageSettings,
  redactUrl,
  resolveRedisSettings,
} from './redis-config';
export type { StorageSettings, RedisConnectionSettings, ResolvedRedisSettings } from './redis-config';
export { RedisStorage, loadRedisClient } from './redis-storage';
export type { StorageLogger } from './redis-storage';
export { SecretBox } from './redis-crypto';
