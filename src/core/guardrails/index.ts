export * from './placeholders';
export * from './evaluate';
export * from './tracker';
