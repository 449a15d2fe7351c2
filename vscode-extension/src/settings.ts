// The extension's settings and how they map to what kcfg is given. No `vscode` import here, so the
// mapping is unit-tested in plain Node (test/unit/settings.test.ts).

export type TraceLevel = "off" | "messages" | "verbose";

export interface KcfgSettings {
  /** `kcfg.path`: the kcfg executable, empty for discovery. */
  path: string;
  /** `kcfg.kamailioVersion`: "5.6", "6.0", "master" or "" (kcfg.toml / the server's default). */
  kamailioVersion: string;
  /** `kcfg.defines`: NAME or NAME=VALUE, like `kamailio -D`. */
  defines: string[];
  /** `kcfg.defineSets`: named lists of defines. */
  defineSets: Record<string, string[]>;
  /** `kcfg.activeDefineSet`: the name of the set in effect, "" for none. */
  activeDefineSet: string;
  /** `kcfg.trace.server`. */
  traceServer: TraceLevel;
  /** `kcfg.trace.file`: also append the trace to this file. */
  traceFile: string;
  /** `kcfg.serverArgs`: extra arguments after `kcfg lsp`. */
  serverArgs: string[];
}

/** Reads one setting of the `kcfg` section, with a default (what `WorkspaceConfiguration.get` does). */
export type SettingGetter = (key: string) => unknown;

export const KAMAILIO_VERSIONS = ["5.6", "6.0", "master"] as const;
const DEFINE_RE = /^[A-Za-z_][A-Za-z0-9_]*(=.*)?$/s;

const str = (v: unknown): string => (typeof v === "string" ? v.trim() : "");
const strList = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string").map((x) => x.trim()) : [];

/** Reads the settings, replacing values of the wrong type by their defaults. */
export function readSettings(get: SettingGetter): KcfgSettings {
  const sets: Record<string, string[]> = {};
  const rawSets = get("defineSets");
  if (rawSets && typeof rawSets === "object" && !Array.isArray(rawSets)) {
    for (const [name, list] of Object.entries(rawSets as Record<string, unknown>)) {
      sets[name] = strList(list);
    }
  }
  const trace = str(get("trace.server"));
  return {
    path: str(get("path")),
    kamailioVersion: str(get("kamailioVersion")),
    defines: strList(get("defines")),
    defineSets: sets,
    activeDefineSet: str(get("activeDefineSet")),
    traceServer: trace === "messages" || trace === "verbose" ? trace : "off",
    traceFile: str(get("trace.file")),
    serverArgs: strList(get("serverArgs")).filter((a) => a !== ""),
  };
}

export interface EffectiveDefines {
  defines: string[];
  /** Problems worth telling the user (an unknown set, a name Kamailio would not accept). */
  warnings: string[];
}

/**
 * The defines in effect: `kcfg.defines` followed by the active define set, without duplicates
 * (the first occurrence of a NAME wins, as with repeated `-D`), and without entries that are not
 * `NAME` or `NAME=VALUE` (each reported).
 */
export function effectiveDefines(s: KcfgSettings): EffectiveDefines {
  const warnings: string[] = [];
  let fromSet: string[] = [];
  if (s.activeDefineSet !== "") {
    const set = s.defineSets[s.activeDefineSet];
    if (set === undefined) {
      const known = Object.keys(s.defineSets);
      warnings.push(
        `kcfg.activeDefineSet is "${s.activeDefineSet}", which is not in kcfg.defineSets` +
          (known.length ? ` (known: ${known.join(", ")})` : " (none defined)"),
      );
    } else {
      fromSet = set;
    }
  }
  const seen = new Set<string>();
  const defines: string[] = [];
  for (const d of [...s.defines, ...fromSet]) {
    if (d === "") continue;
    if (!DEFINE_RE.test(d)) {
      warnings.push(`ignoring define "${d}": expected NAME or NAME=VALUE`);
      continue;
    }
    const name = d.split("=", 1)[0];
    if (seen.has(name)) continue;
    seen.add(name);
    defines.push(d);
  }
  return { defines, warnings };
}

/** The `initializationOptions` of `kcfg lsp`: `{ kamailioVersion?, defines }`. */
export interface InitializationOptions {
  kamailioVersion?: string;
  defines: string[];
}

export function initializationOptions(s: KcfgSettings): InitializationOptions {
  const opts: InitializationOptions = { defines: effectiveDefines(s).defines };
  // an empty version leaves the choice to kcfg.toml and the server's default
  if (s.kamailioVersion !== "") opts.kamailioVersion = s.kamailioVersion;
  return opts;
}

/** A warning for a version the server does not know (it is still passed on). */
export function versionWarning(s: KcfgSettings): string | undefined {
  if (s.kamailioVersion === "" || (KAMAILIO_VERSIONS as readonly string[]).includes(s.kamailioVersion)) {
    return undefined;
  }
  return `kcfg.kamailioVersion "${s.kamailioVersion}" is not one of ${KAMAILIO_VERSIONS.join(", ")}`;
}

/** The arguments of the language server process. */
export function serverArgs(s: KcfgSettings): string[] {
  return ["lsp", ...s.serverArgs];
}

/** The arguments of `kcfg expand FILE [-D DEF]...` for the "show expanded config" command. */
export function expandArgs(file: string, s: KcfgSettings): string[] {
  const args = ["expand", file];
  for (const d of effectiveDefines(s).defines) args.push("-D", d);
  return args;
}

/** Settings whose change needs the server restarted. */
export const RESTART_KEYS = [
  "kcfg.path",
  "kcfg.kamailioVersion",
  "kcfg.defines",
  "kcfg.defineSets",
  "kcfg.activeDefineSet",
  "kcfg.trace.file",
  "kcfg.serverArgs",
];

/**
 * What to tell the user when `kcfg expand` failed: a kcfg built before `expand` existed answers
 * with clap's "unrecognized subcommand".
 */
export function describeExpandFailure(kcfgPath: string, exitCode: number | null, stderr: string): string {
  if (/unrecognized subcommand|unknown subcommand|invalid subcommand/i.test(stderr) && /expand/.test(stderr)) {
    return `This kcfg (${kcfgPath}) has no \`expand\` command. Install a newer kcfg to see the expanded config.`;
  }
  const first = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l !== "");
  return `kcfg expand failed (exit code ${exitCode ?? "none"})${first ? `: ${first}` : ""}`;
}
