export { AccessKeyStore, newAccessKeyId, newSecretAccessKey, KEYS_FILE, type AccessKey } from './store.js';
export { writeFileAtomic, readJsonFile } from './atomic-file.js';
