// Appending the LSP trace to a file (`kcfg.trace.file`). No `vscode` import: unit-tested in Node.

import * as fs from "node:fs";
import * as path from "node:path";

/** Appends text to a file, creating its directory; after the first failure it stays silent. */
export class TraceFile {
  private failed = false;

  constructor(
    readonly file: string,
    private readonly onError: (message: string) => void = () => {},
  ) {}

  append(text: string): void {
    if (this.failed) return;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      fs.appendFileSync(this.file, text);
    } catch (e) {
      this.failed = true;
      this.onError(`cannot write the LSP trace to ${this.file}: ${(e as Error).message}`);
    }
  }
}
