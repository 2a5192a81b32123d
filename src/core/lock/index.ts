export * from './fileLock';
export { isProcessAlive } from './processes';
