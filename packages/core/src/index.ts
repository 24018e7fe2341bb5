export * from './annotations.ts';
export * from './quantity.ts';
export * from './settings.ts';
export * from './token-bucket.ts';
export * from './tools.ts';
