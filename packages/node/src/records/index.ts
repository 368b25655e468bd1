/** Object records on the node (docs/PROTOCOL.md "Records"): the store, rights checks and sync. */
export { RecordStore, type PutOutcome, type DigestPage, type RecordListOptions, type RecordStoreStats } from './store.js';
export { RECORDS_FORMAT, RECORDS_VERSION } from './format.js';
export { RECORDS_DEFAULTS, parseRecordsConfig, type RecordsConfig } from './config.js';
export { checkRecordRights, RECORD_CLOCK_WINDOW_MS } from './accept.js';
export { RecordSync, bucketReplicas, RECORD_REPLICAS, type RecordSyncStatus, type RecordSyncSummary, type RecordSyncFailure } from './sync.js';
export { attachRecords, recordsOf, recordsStatus, type NodeRecords } from './context.js';
export { startRecordSync } from './service.js';
