// The two EdgeX OpenAPI documents as validators (openapi-backend): a response counts as documented only
// when its status is one the operation declares and its body validates against that status's schema.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { OpenAPIBackend, type Document } from 'openapi-backend';
import { expect } from 'vitest';
// Copies of shared/edgex/*.yaml, EdgeX's own documents, unchanged: CI's clone must not depend on a path beside it.
const DOCS = join(import.meta.dirname, 'fixtures');

export interface ApiDocument {
  /**
   * Operation id `method path` (path as the document writes it, e.g. `get /registry/serviceId/{serviceId}`).
   * Where EdgeX's code and the document disagree (DEVIATIONS), the answer is checked to the code instead.
   */
  check(opId: string, status: number, body: unknown): string[];
  /** The body against one of the document's component schemas. */
  component(name: string, body: unknown): string[];
}

export interface DocumentedAnswer {
  status: number;
  body: unknown;
}

/** One HTTP call to `base` + `path`, which must be answered as `doc` declares operation `opId` (status and body). */
export async function documentedCall(doc: ApiDocument, base: string, method: string, path: string, opId: string, body?: unknown): Promise<DocumentedAnswer> {
  const res = await fetch(`${base}${path}`, { method, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : '';
  expect(doc.check(opId, res.status, parsed), `${method} ${path} -> ${res.status} ${text}`).toEqual([]);
  return { status: res.status, body: parsed };
}

/**
 * Answers where we follow EdgeX's code, not its document (README, "sma-bridge as EdgeX's Keeper and SMA").
 * Each names the component schema the answer must still satisfy and what the code adds.
 */
const DEVIATIONS: Record<string, (doc: ApiDocument, body: unknown) => string[]> = {
  // The document's oneOf cannot pass: MultiKVsResponse and MultiKeysResponse require nothing, so any body
  // matches both. EdgeX's clients (go-mod-core-contracts KVSClient, app-functions-sdk-python) read the list
  // from `response`, not from the document's keyValues/keys.
  'get /kvs/key/{key} 200': (doc, body) => [...doc.component('BaseResponse', body), ...listIn(body, 'response')],
  'put /kvs/key/{key} 200': (doc, body) => [...doc.component('MultiKeysResponse', body), ...listIn(body, 'response')],
  'delete /kvs/key/{key} 200': (doc, body) => [...doc.component('MultiKeysResponse', body), ...listIn(body, 'response')],
};

function listIn(body: unknown, field: string): string[] {
  return Array.isArray((body as Record<string, unknown>)?.[field]) ? [] : [`${field} is not a list`];
}

type Operation = { operationId?: string; responses?: Record<string, { description?: string; content?: unknown }> };
/** What this file reads of a document; openapi-backend gets the same object as its Document. */
type Raw = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, unknown> } };

export async function loadDocument(file: 'core-keeper-4.0.yaml' | 'sys-mgmt-agent-2.4.yaml'): Promise<ApiDocument> {
  const definition = load(readFileSync(join(DOCS, file), 'utf8')) as Raw;
  // The documents name no operations: give each the id `method path`.
  for (const [path, item] of Object.entries(definition.paths)) for (const [method, op] of Object.entries(item)) op.operationId = `${method} ${path}`;
  // One made-up operation per component schema, so that the same validator checks a body against it.
  const components = definition.components?.schemas ?? {};
  for (const name of Object.keys(components)) {
    definition.paths[`/__component/${name}`] = {
      get: { operationId: `component ${name}`, responses: { '200': { description: 'component', content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } } } } },
    };
  }
  // A parsed YAML document of the right shape (openapi-backend validates it on init).
  const api = new OpenAPIBackend({ definition: definition as unknown as Document, quick: false, validate: true, ajvOpts: { strict: false, logger: false } });
  await api.init();
  const errorsOf = (opId: string, status: number, body: unknown): string[] =>
    (api.validator.validateResponse(body, opId, status).errors ?? []).map((e) => `${opId} ${status}: ${e.instancePath || '(body)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  const doc: ApiDocument = {
    component: (name, body) => (components[name] ? errorsOf(`component ${name}`, 200, body) : [`no component ${name}`]),
    check(opId, status, body) {
      const deviation = DEVIATIONS[`${opId} ${status}`];
      if (deviation) return deviation(doc, body);
      const [method, path] = opId.split(' ');
      const op = definition.paths[path]?.[method];
      if (!op) return [`${opId}: not in ${file}`];
      const declared = op.responses?.[String(status)];
      if (!declared) return [`${opId}: status ${status} is not declared (declared: ${Object.keys(op.responses ?? {}).join(', ')})`];
      if (!declared.content) return body === '' || body === undefined ? [] : [`${opId} ${status}: the document declares no body`];
      return errorsOf(opId, status, body);
    },
  };
  return doc;
}
