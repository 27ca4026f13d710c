import { dockerDaemonDescriptor } from './descriptor';
import { dockerDaemonProvider } from './dockerDaemonBackend';

/** The Docker daemon back-end kind as one export: its descriptor (pure, the webview's) and its provider factory (dockerode: host only). */
export const dockerDaemonKind = { descriptor: dockerDaemonDescriptor, provider: dockerDaemonProvider };
