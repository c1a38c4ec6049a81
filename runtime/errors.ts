/** Runtime errors carry a code and a hint like compile-time diagnostics; never a bare stack. */
export class OptcRuntimeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint: string,
  ) {
    super(`error[${code}]: ${message}\n = hint: ${hint}`);
    this.name = "OptcRuntimeError";
  }
  /** The message without the code and hint lines. */
  get summary(): string {
    return this.message.split("\n")[0].replace(/^error\[[A-Z0-9]+\]: /, "");
  }
}

export function fail(code: string, message: string, hint: string): never {
  throw new OptcRuntimeError(code, message, hint);
}
