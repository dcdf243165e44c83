// The topics the agent itself builds, enumerated from its own tables: the topic table (src/mqtt/topics.ts),
// the request table (src/operations/schemas.ts) and the reply routing (src/policy/reply-routing.ts). Attack
// tests walk these, so that a topic or operation added later is attacked without anyone listing it.
import { Topics } from '../../src/mqtt/topics.js';
import { operationNames } from '../../src/operations/schemas.js';
import type { Principal } from '../../src/policy/principal.js';
import { ReplyRouting } from '../../src/policy/reply-routing.js';

/** Every topic the topic table builds about `name` (a rule named `name` too), with the method that built it. */
export function builtTopics(root: string, name = 'svc'): Array<[string, string]> {
  const topics = new Topics(root) as unknown as Record<string, unknown>;
  const built: Array<[string, string]> = [['status', topics.status as string]];
  for (const f of topics.subscriptions as string[]) built.push(['subscriptions', f]);
  for (const method of Object.getOwnPropertyNames(Topics.prototype)) {
    if (method === 'constructor' || method === 'parse') continue;
    built.push([method, (topics[method] as (...a: string[]) => string).call(topics, name, name)]);
  }
  return built;
}

/** Every topic the agent listens on, its `+` filled: each operation's request topic, and `name` elsewhere. */
export function inboundTopics(root: string, name: string): string[] {
  return new Topics(root).subscriptions.flatMap((filter) =>
    filter.endsWith('/request/+') ? operationNames.map((op) => filter.replace(/\+$/, op)) : [filter.replaceAll('+', name)],
  );
}

/** Where the agent answers `principal` by default (CONTRACT 5), for the correlationId `id`. */
export function responseTopic(root: string, principal: Principal, id: string): string {
  return new ReplyRouting({ root }).responseTopic(principal, id);
}

/** Every filter that reaches `topic` from inside the tree `root`: `+` in each level below the root, `#` after each. */
export function wildcardsOf(topic: string, root: string): string[] {
  const levels = topic.split('/');
  const from = root.split('/').length;
  const filters = new Set<string>();
  for (let i = from; i < levels.length; i++) {
    filters.add([...levels.slice(0, i), '+', ...levels.slice(i + 1)].join('/'));
    filters.add([...levels.slice(0, i), '#'].join('/'));
  }
  return [...filters];
}
