export * from './errors.js';
export * from './paths.js';
export * from './runtime/docker.js';
export * from './runtime/exec.js';
export * from './runtime/images.js';
