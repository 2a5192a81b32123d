export * from './ports';
export * from './state';
export * from './fileStore';
export * from './traffic';
export * from './engine';
export * from './dryRun';
export * from './adapters';
export * from './drill';
