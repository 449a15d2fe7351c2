import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";

import { TraceFile } from "../../src/trace";

describe("TraceFile", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kcfg-trace-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("appends to the file, creating its directory", () => {
    const file = path.join(dir, "logs", "lsp.trace");
    const t = new TraceFile(file);
    t.append("[Trace] Sending request 'initialize'\n");
    t.append("[Trace] Received response\n");
    assert.equal(fs.readFileSync(file, "utf8"), "[Trace] Sending request 'initialize'\n[Trace] Received response\n");
  });

  it("reports the first failure once and then stays silent", () => {
    const blocker = path.join(dir, "a-file");
    fs.writeFileSync(blocker, "");
    const errors: string[] = [];
    const t = new TraceFile(path.join(blocker, "sub", "trace"), (m) => errors.push(m));
    t.append("x");
    t.append("y");
    assert.equal(errors.length, 1);
    assert.match(errors[0], /cannot write the LSP trace to .*a-file\/sub\/trace/);
  });
});
