// Follows Consul's catalog with blocking queries (GET /v1/catalog/services?index=N&wait=Ws) and reports
// each new set of service names. Started on demand, stopped by close(); retries after an outage.
import type { Clock } from '../clock.js';
import type { ConsulHttp } from './consul-http.js';

export class ConsulCatalogWatch {
  private readonly abort = new AbortController();
  private running = false;

  constructor(
    private readonly http: ConsulHttp,
    private readonly onNames: (names: Set<string>) => void,
    private readonly options: { waitS: number; retryMs: number; clock: Clock },
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.loop();
  }

  close(): void {
    this.abort.abort();
  }

  private async loop(): Promise<void> {
    let index = 0;
    const { waitS, retryMs, clock } = this.options;
    while (!this.abort.signal.aborted) {
      try {
        const answer = await this.http.get<Record<string, string[]>>(
          `/v1/catalog/services?index=${index}&wait=${waitS}s`,
          this.abort.signal,
          (waitS + 5) * 1000,
        );
        if (!answer) throw new Error('catalog not found');
        // Consul's rule: an index that goes backwards means start over from 0.
        index = answer.index < index ? 0 : answer.index;
        this.onNames(new Set(Object.keys(answer.body)));
      } catch {
        if (this.abort.signal.aborted) return;
        index = 0;
        await new Promise<void>((resolve) => clock.setTimeout(resolve, retryMs));
      }
    }
  }
}
