/** The public surface of the records example: typed, validated, indexed, versioned records. */
export { Collection } from './collection.js';
export type { IdRange, IndexBounds } from './collection.js';
export type { IndexDefinition, VersionDefinition, VersionList } from './definition.js';
export { indexTreeName, META, migrateTo, storedVersion, versionKey } from './migrate.js';
export type { MigrationReport } from './migrate.js';
export { ORDER_VERSION_LATEST, ORDER_VERSIONS, ORDERS, openOrders } from './orders.js';
export type { OrderOfVersion, OrderVersion } from './orders.js';
export * from './order-schemas.js';
export { isRecordsError, RecordsError } from './records-error.js';
export type { RecordsErrorCode } from './records-error.js';
