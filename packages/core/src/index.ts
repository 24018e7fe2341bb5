export * from './annotations.ts';
export * from './headers.ts';
export * from './kube-pool.ts';
export * from './kube-watch.ts';
export * from './quantity.ts';
export * from './settings.ts';
export * from './token-bucket.ts';
export * from './tools.ts';
