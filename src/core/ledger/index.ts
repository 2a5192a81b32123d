export * from './types';
export { canonicalJson, computeEntryHash, GENESIS_HASH, sealEntry, sha256Hex } from './canonical';
export { redact, findAndRedact, redactHeaders, redactionMarker, type SecretHit, type SecretValues } from './redact';
export { acquireLedgerLock, LEDGER_LOCK_DEFAULTS, LedgerLockTimeoutError } from './ledgerLock';
export { checkEntry, verifyLedgerFile, type LedgerVerifyResult, type TornLine } from './verify';
export { defaultLedgerPath, Ledger, LedgerCorruptError, LedgerSecretError, type LedgerOptions, type LedgerReadOptions, type LedgerRepair } from './ledger';
export { editorRecordLocation, findRecordRoot, RECORD_FOLDER, recordAt, recordLocationOf, type RecordFileSystem, type RecordLocation, type RecordRootReason } from './location';
