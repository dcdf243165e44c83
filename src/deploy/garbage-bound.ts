// Bounds the memory a long download leaves behind. Each chunk the socket reads is a fresh buffer whose memory
// lives outside V8's heap; V8 collects the chunks' small wrappers (and so frees that memory) only when its own
// heap asks for a collection, which a stream of tiny wrappers never does: by then tens of MB of read chunks
// are resident (measured: +33 MB for a 50 MB download, BENCHMARKS.md). A young-generation collection every
// few MB frees them for about a millisecond each. `gc` is reached through V8's --expose-gc flag, set at run
// time for this one use (the agent is not started with it).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collect = (options?: { type: 'minor' | 'major' }) => void;
let collect: Collect | undefined;

/** A young-generation collection (a scavenge). */
export function collectYoung(): void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as Collect;
  }
  collect({ type: 'minor' });
}

/** Calls `collectYoung` once per `everyBytes` counted. */
export function garbageBound(everyBytes = 4 << 20): (bytes: number) => void {
  let since = 0;
  return (bytes) => {
    since += bytes;
    if (since < everyBytes) return;
    since = 0;
    collectYoung();
  };
}
