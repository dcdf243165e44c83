// The notification side of one observation: the coap package's ObserveWriteStream, plus Block2 for a
// notification larger than one block (RFC 7959 2.6: first block only; the server GETs the rest).
import { blockOption, sliceBlock, type BlockRequest } from './block2.js';
import type { DownlinkResponse } from './downlink.js';

/** The parts of the coap package's ObserveWriteStream this channel uses. */
export interface ObserveStream {
  statusCode: string;
  setOption(name: string, value: unknown): unknown;
  write(chunk: Buffer): boolean;
  end(): unknown;
  /** Sends the packet template as it is, without an Observe option (what `end` sends after no write). */
  _doSend(chunk?: Buffer): void;
  on(event: 'finish' | 'close' | 'error', listener: () => void): unknown;
  /** The packet template the stream sends; only its options are touched (to drop a stale Block2). */
  _packet: { options?: Array<{ name: string | number }> };
  /** The last Observe sequence number sent. */
  _counter: number;
}

const BLOCK2_FIRST_OF_MANY = Buffer.of(0x0e); // num 0, more 1, SZX 6 (1024 bytes)

export class ObserveChannel {
  private closed = false;
  private declined = false;
  private readonly closeListeners: Array<() => void> = [];

  constructor(
    private readonly stream: ObserveStream,
    private readonly blockSize: number,
  ) {
    const ended = (): void => {
      if (this.closed) return;
      this.closed = true;
      for (const l of this.closeListeners) l();
    };
    stream.on('finish', ended);
    stream.on('close', ended);
    stream.on('error', ended);
  }

  /** The Observe sequence number of the last notification. */
  get sequence(): number {
    return this.stream._counter;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  /** The observation will not be kept: the first response goes without an Observe option (RFC 7641 4.1). */
  decline(): void {
    this.declined = true;
  }

  /** The response to the Observe request itself: 2.05 opens the stream, anything else ends it. */
  first(r: DownlinkResponse): void {
    if (r.code !== '2.05') {
      this.stream.statusCode = r.code;
      this.closed = true;
      this.stream.end();
      return;
    }
    this.stream.statusCode = '2.05';
    if (this.declined) {
      // Sent once as a plain response; the stream is left unended, since ending it would send again.
      this.send(r.payload ?? Buffer.alloc(0), r.format, (chunk) => this.stream._doSend(chunk));
      this.closed = true;
      return;
    }
    this.notify(r.payload ?? Buffer.alloc(0), r.format);
  }

  notify(payload: Buffer, format?: number): void {
    if (this.closed) return;
    this.send(payload, format, (chunk) => this.stream.write(chunk));
  }

  private send(payload: Buffer, format: number | undefined, emit: (chunk: Buffer) => void): void {
    if (format !== undefined) this.stream.setOption('Content-Format', format);
    const options = this.stream._packet.options;
    if (options) this.stream._packet.options = options.filter((o) => o.name !== 'Block2' && o.name !== 'ETag');
    if (payload.length > this.blockSize) {
      this.stream.setOption('Block2', BLOCK2_FIRST_OF_MANY);
      this.stream.setOption('ETag', etagOf(payload));
      emit(payload.subarray(0, this.blockSize));
    } else {
      emit(payload);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.end();
    for (const l of this.closeListeners) l();
  }
}

/**
 * Answers a notification's Block2 follow-up on the follow-up's own stream, once and without ending it (ending
 * would send again): the block asked for, the notification's ETag and, when it belongs to a live
 * observation, its Observe number (a Wakaama-class server ends the observation without it).
 */
export function answerBlock(stream: ObserveStream, r: DownlinkResponse, block: BlockRequest): void {
  const payload = r.payload ?? Buffer.alloc(0);
  if (!r.code.startsWith('2.')) {
    stream.statusCode = r.code;
    stream._doSend(payload);
    return;
  }
  const slice = sliceBlock(payload, block);
  if (!slice) {
    stream.statusCode = '4.02';
    stream._doSend(Buffer.from('no such block'));
    return;
  }
  stream.statusCode = r.code;
  if (r.format !== undefined) stream.setOption('Content-Format', r.format);
  stream.setOption('Block2', blockOption(block.num, slice.more, block.size));
  stream.setOption('ETag', etagOf(payload));
  if (r.observe !== undefined) stream.setOption('Observe', r.observe);
  stream._doSend(slice.chunk);
}

function etagOf(payload: Buffer): Buffer {
  let h = 0x811c9dc5;
  for (const b of payload) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  const out = Buffer.alloc(4);
  out.writeUInt32BE(h);
  return out;
}
