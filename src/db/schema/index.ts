export * from './users.ts';
export * from './refresh-tokens.ts';
export * from './changes.ts';
