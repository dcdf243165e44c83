// Where a reply may go (issue 10 item 2): only where the requester may read. Never into the agent's own
// tree outside the requester's response topics, never to a wildcard topic, and, where the broker's ACL is
// known (the embedded broker), only to a topic the requester may subscribe.
import type { Principal } from './principal.js';

/** Where a reply goes when the request carried no usable correlation. */
export const UNCORRELATED = 'unknown';
const MAX_TOPIC = 1024;

export type ReplyRoute = { topic: string; refusal?: undefined } | { topic: string; refusal: string };

export interface ReplyRoutingOptions {
  /** The agent's topic root R. */
  root: string;
  /** The broker's ACL, when the agent knows it: may this principal subscribe this topic? */
  mayRead?: (principal: Principal, topic: string) => boolean;
}

export class ReplyRouting {
  private readonly rootLevels: string[];

  constructor(private readonly options: ReplyRoutingOptions) {
    this.rootLevels = options.root.split('/');
  }

  /** CONTRACT 5: an operator's answers at R/response/{id}, anyone else's at R/response/{username}/{id}. */
  responseTopic(principal: Principal, correlationId: string | undefined): string {
    const id = correlationId ?? UNCORRELATED;
    return principal.role === 'operator' ? `${this.options.root}/response/${id}` : `${this.options.root}/response/${principal.username}/${id}`;
  }

  /**
   * The topic for a reply to `principal`, honouring the topic it asked for when that is allowed. A
   * refused request names the principal's own response topic, where the FORBIDDEN answer goes.
   */
  route(principal: Principal, requested: string | undefined, correlationId: string | undefined): ReplyRoute {
    const own = this.responseTopic(principal, correlationId);
    if (requested === undefined || requested === own) return { topic: own };
    const refusal = this.refusal(principal, requested);
    return refusal ? { topic: own, refusal } : { topic: requested };
  }

  private refusal(principal: Principal, topic: string): string | undefined {
    if (topic.length === 0 || topic.length > MAX_TOPIC || /[+#\u0000]/.test(topic)) return 'the reply topic is empty, too long or has wildcards';
    if (topic.startsWith('$')) return 'the reply topic is a broker topic';
    const levels = topic.split('/');
    if (this.inTree(levels)) {
      if (!this.ownResponse(principal, levels.slice(this.rootLevels.length))) return "the reply topic is in the agent's tree outside the requester's response topics";
      return undefined;
    }
    if (this.options.mayRead && !this.options.mayRead(principal, topic)) return 'the requester may not subscribe the reply topic';
    return undefined;
  }

  private inTree(levels: string[]): boolean {
    return this.rootLevels.every((level, i) => levels[i] === level);
  }

  /** `response/{id}` for an operator, `response/{username}/{id}` for anyone else: exactly those levels. */
  private ownResponse(principal: Principal, rest: string[]): boolean {
    if (rest[0] !== 'response') return false;
    if (principal.role === 'operator') return rest.length === 2 && rest[1] !== '';
    return rest.length === 3 && rest[1] === principal.username && rest[2] !== '';
  }
}
