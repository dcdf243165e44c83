// Picks the content format for a read or notification (honouring Accept) and encodes the records.
import { codecs, LINK_FORMAT, type ContentCodec } from '../content/content-formats.js';
import type { Lwm2mPath } from '../content/node.js';
import { OPAQUE } from '../content/opaque-format.js';
import { TEXT } from '../content/text-format.js';
import type { ObjectTree } from '../object-tree.js';
import { CoapFailure } from '../objects/coap-failure.js';

/** A path that holds exactly one value: a single-instance resource or a resource instance. */
export function isSingleValue(tree: ObjectTree, path: Lwm2mPath): boolean {
  if (path.length === 4) return true;
  if (path.length !== 3) return false;
  return tree.model(path[0]!)?.resources.get(path[2]!)?.multiple === false;
}

export function chooseCodec(tree: ObjectTree, path: Lwm2mPath, accept: number | undefined, multiValueFormat: number): ContentCodec {
  const single = isSingleValue(tree, path);
  const type = single ? tree.typeOf(path) : undefined;
  const format = accept ?? (single ? (type === 'Opaque' ? OPAQUE : TEXT) : multiValueFormat);
  const codec = codecs.get(format);
  if (!codec || format === LINK_FORMAT) throw new CoapFailure('4.06', `content format ${format} is not supported here`);
  if (!codec.multiValue && !single) throw new CoapFailure('4.06', `content format ${format} carries one value; ${path.join('/')} holds several`);
  if (format === TEXT && type === 'Opaque') throw new CoapFailure('4.06', 'an Opaque resource has no text/plain form');
  if (format === OPAQUE && type !== 'Opaque') throw new CoapFailure('4.06', 'only an Opaque resource reads as application/octet-stream');
  return codec;
}
