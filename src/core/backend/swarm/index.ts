import { swarmDescriptor } from './descriptor';
import { dockerSwarmProvider } from './swarmBackend';

/** The Docker Swarm back-end kind as one export: its descriptor (pure, the webview's) and its provider factory (dockerode: host only). */
export const swarmKind = { descriptor: swarmDescriptor, provider: dockerSwarmProvider };
