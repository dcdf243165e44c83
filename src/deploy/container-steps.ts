// Deployments of container services (CONTRACT 13): an image by reference, or an image tarball (`docker save`
// format) that the engine loads; the switch re-creates the service's container from its current configuration
// with the new image. The container it replaces is kept, stopped, as `{name}.sma-previous` until the next
// switch: its configuration is what a switch interrupted by a crash starts again from.
import { createReadStream } from 'node:fs';
import { request } from 'node:http';
import { EngineError, type DockerEngine } from '../docker/engine-client.js';
import { artifactFile } from './artifact-steps.js';
import { DeployFailure, type Deployment } from './deployment.js';

export const previousName = (container: string): string => `${container}.sma-previous`;

interface FullInspect {
  Config?: Record<string, unknown> & { Image?: string };
  HostConfig?: Record<string, unknown>;
  NetworkSettings?: { Networks?: Record<string, unknown> };
}

export class ContainerSteps {
  constructor(
    private readonly engine: DockerEngine,
    private readonly dataDir: string,
  ) {}

  /** The image the container runs now (what a first deployment rolls back to). */
  async currentImage(container: string): Promise<string> {
    const found = (await this.inspect(container)) ?? (await this.inspect(previousName(container)));
    const image = found?.Config?.Image;
    if (!image) throw new DeployFailure('INSTALL', `no container ${container} to deploy into`);
    return image;
  }

  /** The engine has the image (no registry is asked: a gateway pulls nothing it was not given). */
  async ensureImage(image: string): Promise<void> {
    const { status } = await this.get(`/images/${encodeURIComponent(image)}/json`);
    if (status === 404) throw new DeployFailure('INSTALL', `the Docker engine has no image ${image}`);
    if (status >= 400) throw new DeployFailure('INSTALL', `cannot inspect image ${image}: HTTP ${status}`);
  }

  /** `docker load` of the deployment's downloaded tarball, streamed; answers the image it loaded. */
  async load(d: Deployment): Promise<string> {
    const file = artifactFile(this.dataDir, d);
    const version = await this.engine.apiVersion();
    const text = await new Promise<string>((resolve, reject) => {
      const req = request({ socketPath: this.engine.socketPath, method: 'POST', path: `/v${version}/images/load?quiet=1`, headers: { 'content-type': 'application/x-tar' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => void (body = (body + c.toString('utf8')).slice(-65_536)));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new DeployFailure('INSTALL', `docker load: HTTP ${res.statusCode}: ${body.slice(0, 512)}`))));
        res.on('error', reject);
      });
      req.on('error', (err) => reject(new DeployFailure('INSTALL', `docker load: ${err.message}`)));
      createReadStream(file).on('error', reject).pipe(req);
    });
    const failure = /"error":"([^"]*)"/.exec(text)?.[1];
    if (failure) throw new DeployFailure('INSTALL', `docker load: ${failure}`);
    const loaded = [...text.matchAll(/Loaded image(?: ID)?: ([^\s"\\]+)/g)].map((m) => m[1]);
    if (loaded.length === 0) throw new DeployFailure('INSTALL', 'docker load named no image: not a `docker save` tarball?');
    return loaded[0];
  }

  /**
   * The container made again from its configuration with `image` (after the supervisor stopped it). Done
   * again after a crash: when the container is gone, the kept previous one's configuration is used.
   */
  async recreate(container: string, image: string): Promise<void> {
    let source = await this.inspect(container);
    if (source) {
      await this.engine.remove(previousName(container), true).catch((err: unknown) => {
        if (!(err instanceof EngineError && err.statusCode === 404)) throw err;
      });
      await this.engine.rename(container, previousName(container));
    } else {
      source = await this.inspect(previousName(container));
      if (!source) throw new DeployFailure('GATE', `container ${container} is gone, and no ${previousName(container)} to make it again from`);
    }
    const networks = source.NetworkSettings?.Networks;
    await this.engine.create(container, {
      ...source.Config,
      Image: image,
      HostConfig: source.HostConfig,
      ...(networks && !('host' in networks) ? { NetworkingConfig: { EndpointsConfig: networks } } : {}),
    });
  }

  private async inspect(container: string): Promise<FullInspect | undefined> {
    try {
      return (await this.engine.inspect(container)) as unknown as FullInspect;
    } catch (err) {
      if (err instanceof EngineError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  private async get(path: string): Promise<{ status: number }> {
    const version = await this.engine.apiVersion();
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: this.engine.socketPath, path: `/v${version}${path}` }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 500 }));
      });
      req.on('error', reject);
      req.end();
    });
  }
}
