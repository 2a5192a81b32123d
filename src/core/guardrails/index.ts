export * from './placeholders';
export * from './evaluate';
export * from './tracker';
export * from './preflight';
