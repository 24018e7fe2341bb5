export * from './annotations.ts';
export * from './quantity.ts';
export * from './settings.ts';
export * from './tools.ts';
