import type Docker from 'dockerode';
import { EngineLostError } from '../errors.js';

/** Where the engine is expected, for messages: DOCKER_HOST or the default socket. */
export function engineAddress(): string {
  return process.env.DOCKER_HOST ?? (process.platform === 'win32' ? 'npipe:////./pipe/docker_engine' : 'unix:///var/run/docker.sock');
}

/**
 * Watches the engine while something waits on it: a request cut mid-way (the engine's socket closed, the daemon
 * died) never settles in dockerode, and a run waiting on it would end silently. While any wait is pending, the
 * engine is pinged every second; two failed pings in a row reject every pending wait with EngineLostError.
 */
export class EngineWatch {
  private pending = 0;
  private current: { lost: Promise<never>; stop: () => void } | null = null;
  constructor(private readonly docker: Docker) {}

  async guard<T>(p: Promise<T>): Promise<T> {
    this.pending += 1;
    this.current ??= this.start();
    try {
      return await Promise.race([p, this.current.lost]);
    } finally {
      this.pending -= 1;
      if (this.pending === 0) {
        this.current?.stop();
        this.current = null;
      }
    }
  }

  private start(): { lost: Promise<never>; stop: () => void } {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let fail: (e: Error) => void = () => {};
    const lost = new Promise<never>((_, reject) => (fail = reject));
    lost.catch(() => {});
    let failures = 0;
    const tick = async (): Promise<void> => {
      let why = '';
      try {
        await Promise.race([this.docker.ping(), new Promise((_, r) => setTimeout(() => r(new Error('no answer within 5 s')), 5000).unref())]);
        failures = 0;
      } catch (e) {
        failures += 1;
        why = (e as Error).message;
      }
      if (stopped) return;
      if (failures >= 2) {
        fail(new EngineLostError(`lost the Docker engine at ${engineAddress()} (${why})`, { hint: 'is the engine still running? `docker info` tells' }));
        return;
      }
      timer = setTimeout(() => void tick(), 1000);
    };
    timer = setTimeout(() => void tick(), 1000);
    return {
      lost,
      stop: () => {
        stopped = true;
        clearTimeout(timer);
      },
    };
  }
}
