// Finding the kcfg executable: the `kcfg.path` setting, else `kcfg` on PATH, else ~/.cargo/bin
// (where `cargo install` puts it, and which a VS Code started from a desktop menu often lacks on
// its PATH). No `vscode` import: unit-tested in plain Node (test/unit/discovery.test.ts).

import * as fs from "node:fs";
import * as path from "node:path";

export interface DiscoveryInput {
  /** The `kcfg.path` setting ("" when unset). */
  configuredPath: string;
  /** The first workspace folder, for `${workspaceFolder}` and relative paths. */
  workspaceFolder?: string;
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  homedir: string;
  /** Whether `p` is an executable file; defaults to a check of the real file system. */
  isExecutable?: (p: string) => boolean;
}

export type Discovery =
  | { found: true; path: string; source: "setting" | "PATH" | "cargo" }
  | { found: false; message: string; searched: string[] };

export function isExecutableFile(p: string, platform: NodeJS.Platform = process.platform): boolean {
  try {
    if (!fs.statSync(p).isFile()) return false;
    if (platform !== "win32") fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Expands `~`, `${userHome}`, `${workspaceFolder}` and `${env:NAME}` in a configured path. */
export function expandVariables(p: string, input: DiscoveryInput): string {
  let out = p.replace(/\$\{(userHome|workspaceFolder|env:([A-Za-z_][A-Za-z0-9_]*))\}/g, (m, what, envName) => {
    if (what === "userHome") return input.homedir;
    if (what === "workspaceFolder") return input.workspaceFolder ?? m;
    return input.env[envName] ?? "";
  });
  if (out === "~" || out.startsWith("~/") || out.startsWith("~\\")) {
    out = input.homedir + out.slice(1);
  }
  return out;
}

function pathApi(platform: NodeJS.Platform): typeof path.posix {
  return platform === "win32" ? path.win32 : path.posix;
}

function candidateNames(name: string, input: DiscoveryInput): string[] {
  if (input.platform !== "win32" || path.win32.extname(name) !== "") return [name];
  const exts = (input.env.PATHEXT ?? ".COM;.EXE;.BAT;.CMD").split(";").filter((e) => e !== "");
  return exts.map((e) => name + e.toLowerCase());
}

/** Looks `name` up in the directories of `PATH`. */
export function searchPath(name: string, input: DiscoveryInput, searched: string[]): string | undefined {
  const api = pathApi(input.platform);
  const isExec = input.isExecutable ?? ((p: string) => isExecutableFile(p, input.platform));
  const pathVar = input.env.PATH ?? input.env.Path ?? "";
  const sep = input.platform === "win32" ? ";" : ":";
  for (const dir of pathVar.split(sep)) {
    if (dir === "") continue;
    for (const n of candidateNames(name, input)) {
      const p = api.join(dir, n);
      searched.push(p);
      if (isExec(p)) return p;
    }
  }
  return undefined;
}

export function findKcfg(input: DiscoveryInput): Discovery {
  const api = pathApi(input.platform);
  const isExec = input.isExecutable ?? ((p: string) => isExecutableFile(p, input.platform));
  const searched: string[] = [];

  if (input.configuredPath !== "") {
    const expanded = expandVariables(input.configuredPath, input);
    const hasDir = expanded.includes("/") || (input.platform === "win32" && expanded.includes("\\"));
    if (!hasDir) {
      // a bare command name: look it up on PATH like a shell would
      const p = searchPath(expanded, input, searched);
      if (p) return { found: true, path: p, source: "setting" };
      return {
        found: false,
        searched,
        message: `kcfg.path is "${input.configuredPath}", but no executable of that name is on PATH.`,
      };
    }
    let resolved = expanded;
    if (!api.isAbsolute(resolved)) {
      if (input.workspaceFolder === undefined) {
        return {
          found: false,
          searched: [resolved],
          message: `kcfg.path "${input.configuredPath}" is relative, and there is no workspace folder to resolve it against.`,
        };
      }
      resolved = api.join(input.workspaceFolder, resolved);
    }
    for (const p of candidateNames(resolved, input)) {
      searched.push(p);
      if (isExec(p)) return { found: true, path: p, source: "setting" };
    }
    return {
      found: false,
      searched,
      message: `kcfg.path is "${input.configuredPath}", but ${resolved} is not an executable file.`,
    };
  }

  const onPath = searchPath("kcfg", input, searched);
  if (onPath) return { found: true, path: onPath, source: "PATH" };

  const cargoHome = input.env.CARGO_HOME || api.join(input.homedir, ".cargo");
  for (const p of candidateNames(api.join(cargoHome, "bin", "kcfg"), input)) {
    searched.push(p);
    if (isExec(p)) return { found: true, path: p, source: "cargo" };
  }
  return {
    found: false,
    searched,
    message:
      "kcfg was not found on PATH or in ~/.cargo/bin. Install it (`cargo install --locked --path crates/kcfg-cli` " +
      "in a kcfg checkout) or set `kcfg.path` to the executable.",
  };
}
