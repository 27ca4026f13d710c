import * as z from 'zod';
import type { CallOptions, DaemonClient } from '../daemonClient';
import { parseEngineAnswer } from '../engineTypes';
import { LABELS } from '../labels';
import { signalled } from './signalled';

const Labels = z
  .record(z.string(), z.string())
  .nullish()
  .transform((l) => l ?? {});

const ContainerAnswer = z.object({
  Id: z.string(),
  Names: z.array(z.string()).nullish(),
  Image: z.string(),
  ImageID: z.string().optional(),
  Command: z.string().optional(),
  Created: z.number(),
  State: z.string(),
  Status: z.string(),
  Labels,
});
const ImageAnswer = z.object({
  Id: z.string(),
  RepoTags: z.array(z.string()).nullish(),
  Size: z.number(),
  Created: z.number(),
  Labels,
});
const VolumesAnswer = z.object({
  Volumes: z
    .array(z.object({ Name: z.string(), Driver: z.string(), Mountpoint: z.string().optional(), CreatedAt: z.string().optional(), Labels }))
    .nullish(),
});

export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  /** The image's id (sha256:…), whatever its tag now names. */
  imageId?: string;
  state: string; // created | running | paused | restarting | removing | exited | dead
  status: string; // "Up 3 minutes", "Exited (0) 2 hours ago"
  createdAt: Date;
  labels: Record<string, string>;
  /** Set when Container Exec started it. */
  configuration?: string;
  recipe?: string;
}

export interface ImageSummary {
  id: string;
  tags: string[];
  sizeBytes: number;
  createdAt: Date;
  labels: Record<string, string>;
  /** base | code-env when Container Exec built it. */
  builtBy?: { kind: string; version?: string; configuration?: string };
}

export interface VolumeSummary {
  name: string;
  driver: string;
  createdAt?: Date;
}

export async function listContainers(client: DaemonClient, opts?: CallOptions): Promise<ContainerSummary[]> {
  const raw = await client.call('list containers', (d, abortSignal) => signalled(d).listContainers({ all: true, abortSignal }), opts);
  return parseEngineAnswer(client.host, '/containers/json', z.array(ContainerAnswer), raw).map((c) => ({
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
    image: c.Image,
    imageId: c.ImageID,
    state: c.State,
    status: c.Status,
    createdAt: new Date(c.Created * 1000),
    labels: c.Labels,
    configuration: c.Labels[LABELS.configuration],
    recipe: c.Labels[LABELS.recipe],
  }));
}

/** Docker's short form of a Docker Hub name, which Podman lists qualified (it names a build `docker.io/<tag>`). */
const familiarName = (tag: string) => tag.replace(/^docker\.io\/(library\/)?/, '');

export async function listImages(client: DaemonClient, opts?: CallOptions): Promise<ImageSummary[]> {
  const raw = await client.call('list images', (d, abortSignal) => signalled(d).listImages({ abortSignal }), opts);
  return parseEngineAnswer(client.host, '/images/json', z.array(ImageAnswer), raw).map((i) => ({
    id: i.Id,
    tags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>').map(familiarName),
    sizeBytes: i.Size,
    createdAt: new Date(i.Created * 1000),
    labels: i.Labels,
    builtBy: i.Labels[LABELS.kind]
      ? { kind: i.Labels[LABELS.kind]!, version: i.Labels[LABELS.version], configuration: i.Labels[LABELS.configuration] }
      : undefined,
  }));
}

export async function listVolumes(client: DaemonClient, opts?: CallOptions): Promise<VolumeSummary[]> {
  const raw = await client.call('list volumes', (d, abortSignal) => signalled(d).listVolumes({ abortSignal }), opts);
  return (parseEngineAnswer(client.host, '/volumes', VolumesAnswer, raw).Volumes ?? []).map((v) => ({
    name: v.Name,
    driver: v.Driver,
    createdAt: v.CreatedAt ? new Date(v.CreatedAt) : undefined,
  }));
}
