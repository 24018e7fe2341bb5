export * from './admission.ts';
export * from './config.ts';
export * from './decide.ts';
export * from './manifests.ts';
export * from './patch.ts';
export * from './sidecar.ts';
