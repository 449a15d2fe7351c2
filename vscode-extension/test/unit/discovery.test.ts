import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";

import { type DiscoveryInput, expandVariables, findKcfg, isExecutableFile } from "../../src/discovery";

/** A fake file system: the set of executable paths. */
function input(executables: string[], over: Partial<DiscoveryInput> = {}): DiscoveryInput {
  const set = new Set(executables);
  return {
    configuredPath: "",
    workspaceFolder: "/work/project",
    env: { PATH: "/usr/local/bin:/usr/bin" },
    platform: "linux",
    homedir: "/home/op",
    isExecutable: (p) => set.has(p),
    ...over,
  };
}

describe("findKcfg on PATH and in ~/.cargo/bin", () => {
  it("takes the first kcfg on PATH", () => {
    const r = findKcfg(input(["/usr/bin/kcfg", "/usr/local/bin/kcfg"]));
    assert.deepEqual(r, { found: true, path: "/usr/local/bin/kcfg", source: "PATH" });
  });

  it("falls back to ~/.cargo/bin, or $CARGO_HOME/bin", () => {
    assert.deepEqual(findKcfg(input(["/home/op/.cargo/bin/kcfg"])), {
      found: true,
      path: "/home/op/.cargo/bin/kcfg",
      source: "cargo",
    });
    const r = findKcfg(
      input(["/opt/cargo/bin/kcfg"], { env: { PATH: "/usr/bin", CARGO_HOME: "/opt/cargo" } }),
    );
    assert.deepEqual(r, { found: true, path: "/opt/cargo/bin/kcfg", source: "cargo" });
  });

  it("says where it looked and how to install when kcfg is nowhere", () => {
    const r = findKcfg(input([]));
    assert.equal(r.found, false);
    if (r.found) return;
    assert.deepEqual(r.searched, ["/usr/local/bin/kcfg", "/usr/bin/kcfg", "/home/op/.cargo/bin/kcfg"]);
    assert.match(r.message, /not found on PATH or in ~\/\.cargo\/bin/);
    assert.match(r.message, /kcfg\.path/);
    assert.match(r.message, /cargo install/);
  });

  it("skips empty PATH entries and handles a missing PATH", () => {
    const r = findKcfg(input(["/usr/bin/kcfg"], { env: { PATH: "::/usr/bin:" } }));
    assert.deepEqual(r, { found: true, path: "/usr/bin/kcfg", source: "PATH" });
    assert.equal(findKcfg(input(["/usr/bin/kcfg"], { env: {} })).found, false);
  });

  it("uses PATHEXT and ; on Windows", () => {
    const r = findKcfg(
      input(["C:\\tools\\kcfg.exe"], {
        platform: "win32",
        env: { Path: "C:\\Windows;C:\\tools", PATHEXT: ".COM;.EXE" },
        homedir: "C:\\Users\\op",
      }),
    );
    assert.deepEqual(r, { found: true, path: "C:\\tools\\kcfg.exe", source: "PATH" });
  });
});

describe("findKcfg with kcfg.path", () => {
  it("takes an absolute path and does not search further", () => {
    const r = findKcfg(input(["/opt/kcfg", "/usr/bin/kcfg"], { configuredPath: "/opt/kcfg" }));
    assert.deepEqual(r, { found: true, path: "/opt/kcfg", source: "setting" });
  });

  it("reports a configured path that is not executable, without falling back to PATH", () => {
    const r = findKcfg(input(["/usr/bin/kcfg"], { configuredPath: "/opt/missing/kcfg" }));
    assert.equal(r.found, false);
    if (r.found) return;
    assert.match(r.message, /kcfg\.path is "\/opt\/missing\/kcfg", but \/opt\/missing\/kcfg is not an executable file/);
  });

  it("resolves a relative path against the workspace folder", () => {
    const r = findKcfg(input(["/work/project/target/debug/kcfg"], { configuredPath: "target/debug/kcfg" }));
    assert.deepEqual(r, { found: true, path: "/work/project/target/debug/kcfg", source: "setting" });
    const none = findKcfg(input([], { configuredPath: "./kcfg", workspaceFolder: undefined }));
    assert.equal(none.found, false);
    if (!none.found) assert.match(none.message, /relative.*no workspace folder/);
  });

  it("expands ~, ${userHome}, ${workspaceFolder} and ${env:X}", () => {
    const i = input([], { env: { PATH: "", KCFG_HOME: "/srv/kcfg" } });
    assert.equal(expandVariables("~/bin/kcfg", i), "/home/op/bin/kcfg");
    assert.equal(expandVariables("${userHome}/bin/kcfg", i), "/home/op/bin/kcfg");
    assert.equal(expandVariables("${workspaceFolder}/kcfg", i), "/work/project/kcfg");
    assert.equal(expandVariables("${env:KCFG_HOME}/kcfg", i), "/srv/kcfg/kcfg");
    assert.equal(expandVariables("${env:NOPE}/kcfg", i), "/kcfg");
    const r = findKcfg(input(["/home/op/bin/kcfg"], { configuredPath: "~/bin/kcfg" }));
    assert.deepEqual(r, { found: true, path: "/home/op/bin/kcfg", source: "setting" });
  });

  it("looks a bare command name up on PATH", () => {
    const r = findKcfg(input(["/usr/bin/kcfg-nightly"], { configuredPath: "kcfg-nightly" }));
    assert.deepEqual(r, { found: true, path: "/usr/bin/kcfg-nightly", source: "setting" });
    const none = findKcfg(input([], { configuredPath: "kcfg-nightly" }));
    assert.equal(none.found, false);
    if (!none.found) assert.match(none.message, /no executable of that name is on PATH/);
  });
});

describe("the real file system", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kcfg-discovery-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("finds an executable file, not a plain file or a directory", { skip: process.platform === "win32" }, () => {
    const exe = path.join(dir, "bin", "kcfg");
    fs.mkdirSync(path.dirname(exe), { recursive: true });
    fs.writeFileSync(exe, "#!/bin/sh\n");
    assert.equal(isExecutableFile(exe), false, "not executable yet");
    fs.chmodSync(exe, 0o755);
    assert.equal(isExecutableFile(exe), true);
    assert.equal(isExecutableFile(path.dirname(exe)), false, "a directory");
    const r = findKcfg({
      configuredPath: "",
      env: { PATH: path.join(dir, "nothing") + ":" + path.dirname(exe) },
      platform: process.platform,
      homedir: dir,
    });
    assert.deepEqual(r, { found: true, path: exe, source: "PATH" });
  });
});
