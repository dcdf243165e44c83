// Runs async read-modify-write steps one after another, so two registrations never race on a record.
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(step: () => Promise<T>): Promise<T> {
    const result = this.tail.then(step, step);
    // The queue goes on whether a step failed or not; the caller sees its own step's outcome.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
