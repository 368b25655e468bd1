export { CID, type Block, parseCid, decodeCid, verifyBlock, cidOf, RAW_CODEC, DAG_PB_CODEC, SHA2_256_CODE } from './cid.js';
export { importFile, importFileTo, buildFileTree, DEFAULT_CHUNK_SIZE, DEFAULT_MAX_CHILDREN, type ImportFileOptions, type ImportResult } from './importer.js';
export { exportFile, stat, fileSize, type ExportFileOptions, type FileStat } from './exporter.js';
export { walkDag, type WalkDagOptions, type DagEntry } from './walk.js';
export { decodeFileNode, type FileNode, type FileLink } from './node.js';
export { getVerifiedBlock, type GetBlock, type BlockHint } from './fetch.js';
