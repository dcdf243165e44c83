// Loads OMA DDF XML files into read-only ObjectModel records, once at start.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RESOURCE_TYPES, type ObjectModel, type Operation, type ResourceModel, type ResourceType } from './object-model.js';
import { child, readXml, type XmlElement } from './xml-reader.js';

export class DdfError extends Error {}

const MAX_ID = 65534;

function textOf(el: XmlElement, name: string, where: string, required = true): string {
  const c = child(el, name);
  if (!c) {
    if (required) throw new DdfError(`${where}: missing <${name}>`);
    return '';
  }
  return c.text;
}

function idOf(raw: string, where: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) > MAX_ID) throw new DdfError(`${where}: invalid id ${JSON.stringify(raw)}`);
  return Number(raw);
}

function multiplicity(raw: string, where: string): boolean {
  if (raw === 'Multiple') return true;
  if (raw === 'Single') return false;
  throw new DdfError(`${where}: MultipleInstances must be Single or Multiple, not ${JSON.stringify(raw)}`);
}

function operationsOf(raw: string, where: string): Set<Operation> {
  const ops = new Set<Operation>();
  if (raw === '' || raw === 'NONE') return ops;
  if (!/^(R|W|RW|E)$/.test(raw)) throw new DdfError(`${where}: Operations must be R, W, RW, E or empty, not ${JSON.stringify(raw)}`);
  for (const ch of raw) ops.add(ch as Operation);
  return ops;
}

function resourceOf(item: XmlElement, where: string): ResourceModel {
  const id = idOf(item.attributes['ID'] ?? '', `${where} <Item>`);
  const at = `${where} resource ${id}`;
  const operations = operationsOf(textOf(item, 'Operations', at), at);
  const rawType = textOf(item, 'Type', at, false);
  let type: ResourceType;
  if (operations.has('E')) {
    if (rawType !== '') throw new DdfError(`${at}: an executable resource has no Type`);
    type = 'none';
  } else if (RESOURCE_TYPES.has(rawType)) {
    type = rawType as ResourceType;
  } else {
    throw new DdfError(`${at}: unknown Type ${JSON.stringify(rawType)}`);
  }
  return Object.freeze({
    id,
    name: textOf(item, 'Name', at),
    operations,
    multiple: multiplicity(textOf(item, 'MultipleInstances', at), at),
    mandatory: textOf(item, 'Mandatory', at) === 'Mandatory',
    type,
    units: textOf(item, 'Units', at, false),
  });
}

/** Parses one DDF document; a file may define several objects. */
export function parseDdf(xml: string, where = 'DDF'): ObjectModel[] {
  let root: XmlElement;
  try {
    root = readXml(xml);
  } catch (err) {
    throw new DdfError(`${where}: ${(err as Error).message}`);
  }
  if (root.name !== 'LWM2M') throw new DdfError(`${where}: root element must be <LWM2M>`);
  const objects = root.children.filter((c) => c.name === 'Object');
  if (objects.length === 0) throw new DdfError(`${where}: no <Object>`);
  return objects.map((o) => {
    const id = idOf(textOf(o, 'ObjectID', where), where);
    const at = `${where} object ${id}`;
    const resources = new Map<number, ResourceModel>();
    for (const item of child(o, 'Resources')?.children ?? []) {
      if (item.name !== 'Item') continue;
      const r = resourceOf(item, at);
      if (resources.has(r.id)) throw new DdfError(`${at}: resource ${r.id} defined twice`);
      resources.set(r.id, r);
    }
    return Object.freeze({
      id,
      name: textOf(o, 'Name', at),
      urn: textOf(o, 'ObjectURN', at, false),
      version: textOf(o, 'ObjectVersion', at, false) || '1.0',
      lwm2mVersion: textOf(o, 'LWM2MVersion', at, false) || '1.0',
      multiple: multiplicity(textOf(o, 'MultipleInstances', at), at),
      mandatory: textOf(o, 'Mandatory', at) === 'Mandatory',
      resources,
    });
  });
}

/** Every *.xml in `dir`, by object id. Two files defining one object id is an error. */
export async function loadObjectModels(dir: string): Promise<ReadonlyMap<number, ObjectModel>> {
  const models = new Map<number, ObjectModel>();
  const files = (await readdir(dir)).filter((f) => f.endsWith('.xml')).sort();
  for (const file of files) {
    for (const model of parseDdf(await readFile(join(dir, file), 'utf8'), file)) {
      if (models.has(model.id)) throw new DdfError(`${file}: object ${model.id} is already defined`);
      models.set(model.id, model);
    }
  }
  return models;
}
