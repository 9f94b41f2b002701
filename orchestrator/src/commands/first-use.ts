import { LAB_IMAGES } from '@socklab/shared';
import type { BuildImages } from '../experiment/execute.js';
import { socklabVersion } from '../paths.js';
import { buildImages, type BuildOptions } from '../runtime/images.js';
import type { ContainerRuntime } from '../runtime/runtime.js';

/** How a command builds what it needs by itself: the base found automatically, SOCKLAB_CA_FILE, docker's steps. */
export function automaticBuild(): BuildOptions {
  const caFile = process.env.SOCKLAB_CA_FILE;
  return { base: 'auto', verbose: false, ...(caFile && { caFile }), log: (l) => console.error(`socklab build: ${l}`) };
}

/**
 * socklab's images built on first use, with docker's steps as progress: what `run`, `compare`, `check` and `lab`
 * do when one of them is missing (an installed package, a fresh clone), instead of stopping to ask for
 * `socklab build`.
 */
export function buildOnFirstUse(rt: ContainerRuntime): BuildImages {
  return async (missing) => {
    console.error(`socklab: ${missing.join(', ')} not built here yet for socklab ${socklabVersion()}: building socklab's images now (a few minutes, once; \`socklab build\` does the same)`);
    const t0 = performance.now();
    sayBuilt(await buildImages(rt, automaticBuild()), t0);
  };
}

/** The build's last line, for `socklab build` and a first use alike. */
export function sayBuilt(built: readonly unknown[], since: number): void {
  console.error(`socklab build: ${built.length} images in ${((performance.now() - since) / 1000).toFixed(1)}s`);
}

/** The images `socklab lab` (the compose lab) runs, missing here. */
export async function missingLabImages(rt: ContainerRuntime): Promise<string[]> {
  const missing: string[] = [];
  for (const image of LAB_IMAGES) if (!(await rt.imageInfo(image))) missing.push(image);
  return missing;
}
