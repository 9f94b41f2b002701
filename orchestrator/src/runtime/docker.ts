import Docker from 'dockerode';
import { LABELS } from '@socklab/shared';
import { SocklabError } from '../errors.js';

/**
 * The one module that talks to the Docker engine API. Everything else depends on `ContainerRuntime`,
 * so tests can pass a fake.
 */
export interface ContainerRuntime {
  ping(): Promise<void>;
  imageInfo(name: string): Promise<{ id: string; sizeBytes: number; labels: Record<string, string> } | null>;
  /** Every container, network and volume carrying `socklab.run` (=run when given). */
  listLabelled(run?: string): Promise<LabelledResources>;
  /** The distinct `socklab.run` values on existing resources. */
  listLabelledRuns(): Promise<string[]>;
  /** Remove what `listLabelled` finds: containers first (forced), then networks and volumes. */
  removeLabelled(run?: string): Promise<LabelledResources>;
}

export interface LabelledResources {
  readonly containers: string[];
  readonly networks: string[];
  readonly volumes: string[];
}

export class DockerRuntime implements ContainerRuntime {
  constructor(private readonly docker: Docker = new Docker()) {}

  async ping(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (e) {
      throw new SocklabError('no Docker engine answers', {
        cause: e,
        hint: 'start Docker Desktop, or `sudo dockerd` on Linux; DOCKER_HOST selects another engine',
      });
    }
  }

  async imageInfo(name: string): Promise<{ id: string; sizeBytes: number; labels: Record<string, string> } | null> {
    try {
      const i = await this.docker.getImage(name).inspect();
      return { id: i.Id, sizeBytes: i.Size, labels: i.Config?.Labels ?? {} };
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return null;
      throw e;
    }
  }

  async listLabelled(run?: string): Promise<LabelledResources> {
    const label = [run === undefined ? LABELS.run : `${LABELS.run}=${run}`];
    const [containers, networks, volumes] = await Promise.all([
      this.docker.listContainers({ all: true, filters: { label } }),
      this.docker.listNetworks({ filters: { label } }),
      this.docker.listVolumes({ filters: { label } }),
    ]);
    return {
      containers: containers.map((c) => c.Id),
      networks: networks.map((n) => n.Id),
      volumes: (volumes.Volumes ?? []).map((v) => v.Name),
    };
  }

  async listLabelledRuns(): Promise<string[]> {
    const filters = { label: [LABELS.run] };
    const [containers, networks, volumes] = await Promise.all([
      this.docker.listContainers({ all: true, filters }),
      this.docker.listNetworks({ filters }),
      this.docker.listVolumes({ filters }),
    ]);
    const runs = new Set<string>();
    for (const r of [...containers, ...networks, ...(volumes.Volumes ?? [])]) {
      const run = r.Labels?.[LABELS.run];
      if (run !== undefined) runs.add(run);
    }
    return [...runs];
  }

  async removeLabelled(run?: string): Promise<LabelledResources> {
    const found = await this.listLabelled(run);
    const gone = (e: unknown): void => {
      if ((e as { statusCode?: number }).statusCode !== 404) throw e;
    };
    await Promise.all(found.containers.map((id) => this.docker.getContainer(id).remove({ force: true, v: true }).catch(gone)));
    await Promise.all(found.networks.map((id) => this.docker.getNetwork(id).remove().catch(gone)));
    await Promise.all(found.volumes.map((name) => this.docker.getVolume(name).remove().catch(gone)));
    return found;
  }
}
