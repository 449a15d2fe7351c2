// The VS Code client of `kcfg lsp`.

import { execFile } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

import { findKcfg } from "./discovery";
import {
  describeExpandFailure,
  effectiveDefines,
  expandArgs,
  initializationOptions,
  type KcfgSettings,
  readSettings,
  RESTART_KEYS,
  serverArgs,
  versionWarning,
} from "./settings";
import { TraceFile } from "./trace";

const EXPANDED_SCHEME = "kcfg-expanded";

let client: LanguageClient | undefined;
let kcfgPath: string | undefined;
let output: vscode.OutputChannel;
let traceChannel: vscode.OutputChannel;
const expanded = new Map<string, string>();
const expandedChanged = new vscode.EventEmitter<vscode.Uri>();

function settings(): KcfgSettings {
  const cfg = vscode.workspace.getConfiguration("kcfg");
  return readSettings((key) => cfg.get(key));
}

function workspaceFolder(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/** The trace channel, teeing into `kcfg.trace.file` when set. */
function traceOutput(s: KcfgSettings): vscode.OutputChannel {
  if (s.traceFile === "") return traceChannel;
  const file = new TraceFile(path.resolve(workspaceFolder() ?? os.homedir(), s.traceFile), (msg) =>
    output.appendLine(msg),
  );
  const base = traceChannel;
  return {
    name: base.name,
    append: (v: string) => {
      base.append(v);
      file.append(v);
    },
    appendLine: (v: string) => {
      base.appendLine(v);
      file.append(v + "\n");
    },
    replace: (v: string) => base.replace(v),
    clear: () => base.clear(),
    show: (...args: unknown[]) => (base.show as (...a: unknown[]) => void)(...args),
    hide: () => base.hide(),
    dispose: () => {},
  } as vscode.OutputChannel;
}

async function notFound(message: string): Promise<void> {
  output.appendLine(message);
  const pick = await vscode.window.showErrorMessage(message, "Open Settings", "Copy Install Command");
  if (pick === "Open Settings") {
    await vscode.commands.executeCommand("workbench.action.openSettings", "kcfg.path");
  } else if (pick === "Copy Install Command") {
    await vscode.env.clipboard.writeText("cargo install --locked --path crates/kcfg-cli");
  }
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  const s = settings();
  const found = findKcfg({
    configuredPath: s.path,
    workspaceFolder: workspaceFolder(),
    env: process.env,
    platform: process.platform,
    homedir: os.homedir(),
  });
  if (!found.found) {
    kcfgPath = undefined;
    await notFound(found.message);
    return;
  }
  kcfgPath = found.path;
  output.appendLine(`using ${found.path} (from ${found.source})`);
  for (const w of [...effectiveDefines(s).warnings, versionWarning(s)]) {
    if (w) {
      output.appendLine(w);
      void vscode.window.showWarningMessage(w);
    }
  }

  const serverOptions: ServerOptions = {
    command: found.path,
    args: serverArgs(s),
    transport: TransportKind.stdio,
    options: { cwd: workspaceFolder() },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "kamailio" },
      { scheme: "untitled", language: "kamailio" },
    ],
    initializationOptions: initializationOptions(s),
    outputChannel: output,
    traceOutputChannel: traceOutput(s),
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/{kcfg.toml,*.cfg}"),
    },
  };
  client = new LanguageClient("kcfg", "kcfg", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (e) {
    const msg =
      `kcfg (${found.path}) could not start its language server: ${(e as Error).message}. ` +
      "Check that `kcfg lsp --help` works with this kcfg.";
    output.appendLine(msg);
    void vscode.window.showErrorMessage(msg);
    client = undefined;
  }
  void context;
}

async function stopClient(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) {
    try {
      await c.stop();
    } catch (e) {
      output.appendLine(`stopping the server: ${(e as Error).message}`);
    }
  }
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  await stopClient();
  await startClient(context);
}

function runKcfg(
  exe: string,
  args: string[],
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(exe, args, { cwd, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) {
        resolve({ code: 0, stdout, stderr });
        return;
      }
      // a number: the exit code; a string (ENOENT, …): the process did not run
      const code = typeof err.code === "number" ? err.code : null;
      resolve({ code, stdout, stderr: stderr || err.message });
    });
  });
}

async function showExpanded(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== "kamailio") {
    void vscode.window.showInformationMessage("Open a Kamailio config first.");
    return;
  }
  const doc = editor.document;
  if (doc.uri.scheme !== "file") {
    void vscode.window.showInformationMessage("Save the config to a file first: kcfg expand reads it from disk, with its includes.");
    return;
  }
  if (doc.isDirty) await doc.save();
  const s = settings();
  let exe = kcfgPath;
  if (!exe) {
    const found = findKcfg({
      configuredPath: s.path,
      workspaceFolder: workspaceFolder(),
      env: process.env,
      platform: process.platform,
      homedir: os.homedir(),
    });
    if (!found.found) {
      await notFound(found.message);
      return;
    }
    exe = found.path;
  }
  const file = doc.uri.fsPath;
  const res = await runKcfg(exe, expandArgs(file, s), path.dirname(file));
  if (res.code !== 0) {
    const msg = describeExpandFailure(exe, res.code, res.stderr);
    output.appendLine(msg);
    if (res.stderr) output.appendLine(res.stderr);
    void vscode.window.showErrorMessage(msg);
    return;
  }
  const uri = vscode.Uri.from({ scheme: EXPANDED_SCHEME, path: file + ".expanded.cfg" });
  expanded.set(uri.toString(), res.stdout);
  expandedChanged.fire(uri);
  const shown = await vscode.workspace.openTextDocument(uri);
  await vscode.languages.setTextDocumentLanguage(shown, "kamailio");
  await vscode.window.showTextDocument(shown, { preview: false, viewColumn: vscode.ViewColumn.Beside });
}

async function selectDefineSet(): Promise<void> {
  const s = settings();
  const names = Object.keys(s.defineSets);
  if (names.length === 0) {
    const pick = await vscode.window.showInformationMessage("No define sets: add some to kcfg.defineSets.", "Open Settings");
    if (pick) await vscode.commands.executeCommand("workbench.action.openSettings", "kcfg.defineSets");
    return;
  }
  const items: vscode.QuickPickItem[] = [
    { label: "(none)", description: s.activeDefineSet === "" ? "active" : undefined },
    ...names.map((n) => ({
      label: n,
      detail: s.defineSets[n].join(" ") || "(empty)",
      description: n === s.activeDefineSet ? "active" : undefined,
    })),
  ];
  const pick = await vscode.window.showQuickPick(items, { placeHolder: "Define set for kcfg" });
  if (!pick) return;
  const target = vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await vscode.workspace
    .getConfiguration("kcfg")
    .update("activeDefineSet", pick.label === "(none)" ? "" : pick.label, target);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("kcfg");
  traceChannel = vscode.window.createOutputChannel("kcfg trace");
  context.subscriptions.push(
    output,
    traceChannel,
    vscode.workspace.registerTextDocumentContentProvider(EXPANDED_SCHEME, {
      onDidChange: expandedChanged.event,
      provideTextDocumentContent: (uri) => expanded.get(uri.toString()) ?? "",
    }),
    vscode.commands.registerCommand("kcfg.restartServer", () => restart(context)),
    vscode.commands.registerCommand("kcfg.showExpandedConfig", showExpanded),
    vscode.commands.registerCommand("kcfg.selectDefineSet", selectDefineSet),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (RESTART_KEYS.some((k) => e.affectsConfiguration(k))) void restart(context);
    }),
  );
  await startClient(context);
}

export async function deactivate(): Promise<void> {
  await stopClient();
}
