// A failure that already knows its CoAP response code (4.xx/5.xx), raised by bindings and handlers.
export class CoapFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CoapFailure';
  }
}
