import { strict as assert } from "node:assert";
import { describe, it } from "node:test";

import {
  describeExpandFailure,
  effectiveDefines,
  expandArgs,
  initializationOptions,
  readSettings,
  serverArgs,
  versionWarning,
} from "../../src/settings";

/** A getter over a plain object, as `WorkspaceConfiguration.get` would answer for these values. */
const getter = (values: Record<string, unknown>) => (key: string) => values[key];

describe("readSettings", () => {
  it("gives the defaults for an empty configuration", () => {
    const s = readSettings(getter({}));
    assert.deepEqual(s, {
      path: "",
      kamailioVersion: "",
      defines: [],
      defineSets: {},
      activeDefineSet: "",
      traceServer: "off",
      traceFile: "",
      serverArgs: [],
    });
  });

  it("reads every setting and trims strings", () => {
    const s = readSettings(
      getter({
        path: " /opt/kcfg/bin/kcfg ",
        kamailioVersion: "5.6",
        defines: ["WITH_AUTH", " WITH_NAT "],
        defineSets: { full: ["WITH_MYSQL"], empty: [] },
        activeDefineSet: "full",
        "trace.server": "verbose",
        "trace.file": "/tmp/kcfg.trace",
        serverArgs: ["--log", "", "debug"],
      }),
    );
    assert.equal(s.path, "/opt/kcfg/bin/kcfg");
    assert.equal(s.kamailioVersion, "5.6");
    assert.deepEqual(s.defines, ["WITH_AUTH", "WITH_NAT"]);
    assert.deepEqual(s.defineSets, { full: ["WITH_MYSQL"], empty: [] });
    assert.equal(s.activeDefineSet, "full");
    assert.equal(s.traceServer, "verbose");
    assert.equal(s.traceFile, "/tmp/kcfg.trace");
    assert.deepEqual(s.serverArgs, ["--log", "debug"]);
  });

  it("replaces values of the wrong type by defaults", () => {
    const s = readSettings(
      getter({
        path: 42,
        defines: "WITH_AUTH",
        defineSets: ["not", "an", "object"],
        "trace.server": "loud",
        serverArgs: [1, "--x", null],
      }),
    );
    assert.equal(s.path, "");
    assert.deepEqual(s.defines, []);
    assert.deepEqual(s.defineSets, {});
    assert.equal(s.traceServer, "off");
    assert.deepEqual(s.serverArgs, ["--x"]);
  });
});

describe("effectiveDefines / initializationOptions", () => {
  const base = readSettings(getter({}));

  it("maps version and defines to the server's initializationOptions", () => {
    const s = { ...base, kamailioVersion: "6.0", defines: ["WITH_AUTH"] };
    assert.deepEqual(initializationOptions(s), { kamailioVersion: "6.0", defines: ["WITH_AUTH"] });
  });

  it("leaves the version out when unset, so kcfg.toml decides", () => {
    const opts = initializationOptions({ ...base, defines: ["A"] });
    assert.deepEqual(opts, { defines: ["A"] });
    assert.equal("kamailioVersion" in opts, false);
  });

  it("adds the active define set after kcfg.defines, first NAME wins", () => {
    const s = {
      ...base,
      defines: ["WITH_AUTH", "DBURL=mysql://a"],
      defineSets: { full: ["WITH_MYSQL", "WITH_AUTH", "DBURL=mysql://b", "WITH_NAT"] },
      activeDefineSet: "full",
    };
    assert.deepEqual(effectiveDefines(s), {
      defines: ["WITH_AUTH", "DBURL=mysql://a", "WITH_MYSQL", "WITH_NAT"],
      warnings: [],
    });
  });

  it("warns about an unknown active set and about bad names, and drops the bad names", () => {
    const s = {
      ...base,
      defines: ["WITH-DASH", "OK", "1BAD", "X=a=b"],
      defineSets: { a: [], b: [] },
      activeDefineSet: "c",
    };
    const r = effectiveDefines(s);
    assert.deepEqual(r.defines, ["OK", "X=a=b"]);
    assert.equal(r.warnings.length, 3);
    assert.match(r.warnings[0], /"c".*not in kcfg\.defineSets.*known: a, b/);
    assert.match(r.warnings[1], /WITH-DASH/);
    assert.match(r.warnings[2], /1BAD/);
  });

  it("checks the version", () => {
    assert.equal(versionWarning({ ...base, kamailioVersion: "" }), undefined);
    assert.equal(versionWarning({ ...base, kamailioVersion: "master" }), undefined);
    assert.match(versionWarning({ ...base, kamailioVersion: "5.4" }) ?? "", /5\.4.*5\.6, 6\.0, master/);
  });
});

describe("command lines", () => {
  const base = readSettings(getter({}));

  it("starts `kcfg lsp` with the extra arguments", () => {
    assert.deepEqual(serverArgs(base), ["lsp"]);
    assert.deepEqual(serverArgs({ ...base, serverArgs: ["--verbose"] }), ["lsp", "--verbose"]);
  });

  it("runs `kcfg expand FILE -D NAME...` with the effective defines", () => {
    const s = { ...base, defines: ["WITH_AUTH"], defineSets: { n: ["WITH_NAT"] }, activeDefineSet: "n" };
    assert.deepEqual(expandArgs("/etc/kamailio/kamailio.cfg", s), [
      "expand",
      "/etc/kamailio/kamailio.cfg",
      "-D",
      "WITH_AUTH",
      "-D",
      "WITH_NAT",
    ]);
  });

  it("explains a kcfg without `expand`", () => {
    const clap = "error: unrecognized subcommand 'expand'\n\nUsage: kcfg <COMMAND>\n";
    assert.match(describeExpandFailure("/usr/bin/kcfg", 2, clap), /\/usr\/bin\/kcfg.*has no `expand` command/);
    assert.equal(
      describeExpandFailure("/usr/bin/kcfg", 2, "\nerror: cannot read x.cfg: No such file\n"),
      "kcfg expand failed (exit code 2): error: cannot read x.cfg: No such file",
    );
    assert.equal(describeExpandFailure("k", null, ""), "kcfg expand failed (exit code none)");
  });
});
