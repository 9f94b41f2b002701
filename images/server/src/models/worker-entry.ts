import { workerData } from 'node:worker_threads';
import { native } from '../native.js';

// One connection, served with blocking calls on this Worker's own thread.
const { id, fd, acceptedNs } = workerData as { id: number; fd: number; acceptedNs: number };
native().nameThread('sl-worker');
native().serveOne(id, fd, acceptedNs);
