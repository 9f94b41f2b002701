import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The repository root (orchestrator/dist/paths.js -> ../..). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
