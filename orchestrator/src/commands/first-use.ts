import { IMAGES } from '@socklab/shared';
import type { BuildImages } from '../experiment/execute.js';
import { buildImages } from '../runtime/images.js';
import type { ContainerRuntime } from '../runtime/runtime.js';

/**
 * socklab's images built on first use, with docker's steps as progress: what `run`, `compare`, `check` and `lab`
 * do when one of them is missing (an installed package, a fresh clone), instead of stopping to ask for
 * `socklab build`.
 */
export function buildOnFirstUse(rt: ContainerRuntime): BuildImages {
  return async (missing) => {
    console.error(`socklab: ${missing.join(', ')} not built here yet: building socklab's images now (a few minutes, once; \`socklab build\` does the same)`);
    const t0 = performance.now();
    const caFile = process.env.SOCKLAB_CA_FILE;
    const built = await buildImages(rt, { base: 'auto', verbose: false, ...(caFile && { caFile }), log: (l) => console.error(`socklab build: ${l}`) });
    console.error(`socklab build: ${built.length} images in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  };
}

/** The images `socklab lab` (the compose lab) runs, missing here. */
export async function missingLabImages(rt: ContainerRuntime): Promise<string[]> {
  const lab = [IMAGES.server, IMAGES.swarm, IMAGES.probe, IMAGES.prometheus];
  const missing: string[] = [];
  for (const image of lab) if (!(await rt.imageInfo(image))) missing.push(image);
  return missing;
}
