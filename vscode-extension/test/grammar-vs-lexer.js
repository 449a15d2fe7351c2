// Differential test of the TextMate grammar against kcfg's lexer.
//
// For every config of the vendored corpus, every parser test file and the grammar fixtures, `kcfg syntax-tree` gives the
// tokens of kcfg's lexer (which follows Kamailio's cfg.lex), and vscode-textmate tokenizes the same
// text with syntaxes/kamailio.tmLanguage.json. Every non-blank character must fall in the same class
// in both: comment, string, pseudo-variable, preprocessor line, or other code. Text in inactive
// `#!ifdef` arms is skipped (kcfg keeps it as trivia; the grammar highlights it as code).
//
// The kcfg binary: $KCFG_BIN, else ../target/debug/kcfg, else `kcfg` on PATH. Without one the test
// is skipped, except when CI=true.

const fs = require("node:fs");
const path = require("node:path");
const { execFileSync } = require("node:child_process");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const ext = path.join(__dirname, "..");
const root = path.join(ext, "..");

function findKcfg() {
  if (process.env.KCFG_BIN) return process.env.KCFG_BIN;
  const local = path.join(root, "target", "debug", "kcfg");
  if (fs.existsSync(local)) return local;
  for (const dir of (process.env.PATH || "").split(path.delimiter)) {
    const p = path.join(dir, "kcfg");
    if (dir && fs.existsSync(p)) return p;
  }
  return undefined;
}

function files() {
  const out = [];
  const corpus = path.join(root, "fixtures", "corpus");
  const manifest = fs.readFileSync(path.join(corpus, "MANIFEST.tsv"), "utf8").split("\n").slice(1);
  for (const line of manifest) {
    const cols = line.split("\t");
    if (cols.length >= 4 && cols[3].startsWith("native-cfg")) out.push(path.join(corpus, cols[0]));
  }
  for (const sub of ["ok", "err"]) {
    const dir = path.join(root, "crates", "kcfg-syntax", "test_data", sub);
    for (const f of fs.readdirSync(dir).sort()) if (f.endsWith(".cfg")) out.push(path.join(dir, f));
  }
  const fixtures = path.join(ext, "test", "grammar");
  for (const f of fs.readdirSync(fixtures).sort()) if (f.endsWith(".cfg")) out.push(path.join(fixtures, f));
  return out;
}

const SKIP = new Set(["WHITESPACE", "NEWLINE", "LINE_CONTINUATION", "INACTIVE_CODE", "ERROR_TOKEN"]);

function lexerClass(kind) {
  switch (kind) {
    case "COMMENT":
    case "BLOCK_COMMENT":
      return "comment";
    case "PP_KEYWORD":
    case "PP_NAME":
    case "PP_BODY":
      return "preprocessor";
    case "STRING":
    case "SQ_STRING":
      return "string";
    case "PVAR":
      return "pv";
    default:
      return "code";
  }
}

function grammarClass(scopes) {
  const has = (prefix) => scopes.some((s) => s.startsWith(prefix));
  if (has("comment.") && !has("meta.preprocessor")) return "comment";
  if (has("meta.preprocessor") || has("meta.include")) return "preprocessor";
  if (has("string.quoted")) return "string";
  if (has("variable.other.pv") || has("variable.other.avp")) return "pv";
  return "code";
}

/** Per UTF-16 index of `text`: the lexer's class, or undefined where it is skipped. */
function lexerClasses(kcfg, file, text, bytes) {
  const tree = execFileSync(kcfg, ["syntax-tree", file], { maxBuffer: 1 << 30 }).toString("utf8");
  // byte offset -> UTF-16 index
  const b2u = new Int32Array(bytes.length + 1);
  let u = 0;
  for (let b = 0; b < bytes.length; ) {
    const c = bytes[b];
    const len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    for (let k = 0; k < len && b + k <= bytes.length; k++) b2u[b + k] = u;
    b += len;
    u += len === 4 ? 2 : 1;
  }
  b2u[bytes.length] = u;
  const classes = new Array(text.length);
  const re = /^\s*([A-Z_0-9]+)@(\d+)\.\.(\d+) "/;
  for (const line of tree.split("\n")) {
    const m = re.exec(line);
    if (!m || SKIP.has(m[1])) continue;
    const cls = lexerClass(m[1]);
    for (let i = b2u[+m[2]]; i < b2u[+m[3]]; i++) classes[i] = cls;
  }
  return classes;
}

async function main() {
  const kcfg = findKcfg();
  if (!kcfg) {
    if (process.env.CI === "true") {
      console.error("grammar-vs-lexer: kcfg binary not found (set KCFG_BIN)");
      process.exit(1);
    }
    console.log("grammar-vs-lexer: SKIPPED, no kcfg binary (set KCFG_BIN or build target/debug/kcfg)");
    return;
  }
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (s) => new oniguruma.OnigScanner(s),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async () =>
      vsctm.parseRawGrammar(fs.readFileSync(path.join(ext, "syntaxes", "kamailio.tmLanguage.json"), "utf8"), "g.json"),
  });
  const grammar = await registry.loadGrammar("source.kamailio");

  let checked = 0;
  let chars = 0;
  let skippedFiles = 0;
  const problems = [];
  for (const file of files()) {
    const bytes = fs.readFileSync(file);
    let text;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      skippedFiles++; // not UTF-8: kcfg reports KC002, an editor shows it differently
      continue;
    }
    const lexer = lexerClasses(kcfg, file, text, bytes);
    let state = vsctm.INITIAL;
    let offset = 0;
    let fileProblems = 0;
    const lines = text.split("\n");
    for (let ln = 0; ln < lines.length; ln++) {
      const line = lines[ln].endsWith("\r") ? lines[ln].slice(0, -1) : lines[ln];
      const r = grammar.tokenizeLine(line, state, 0);
      state = r.ruleStack;
      for (const t of r.tokens) {
        const g = grammarClass(t.scopes);
        for (let i = t.startIndex; i < Math.min(t.endIndex, line.length); i++) {
          const l = lexer[offset + i];
          if (l === undefined || /\s/.test(line[i])) continue;
          chars++;
          // `include_file "x.cfg" # c`: kcfg's lexer takes the whole line as the directive, but Kamailio
          // (cfg.lex, INCLF state) reads only the file name and lexes the rest of the line in INITIAL,
          // where `#` starts a comment, as the grammar does.
          const includeTail =
            l === "preprocessor" && g === "comment" && t.scopes.some((x) => /^meta\.(preprocessor\.)?include/.test(x));
          if (l !== g && !includeTail) {
            fileProblems++;
            if (fileProblems <= 3) {
              problems.push(
                `${path.relative(root, file)}:${ln + 1}:${i + 1}: lexer says ${l}, grammar says ${g} ` +
                  `(${t.scopes.slice(1).join(" ") || "no scope"})\n    ${line}`,
              );
            }
            break;
          }
        }
      }
      offset += lines[ln].length + 1;
    }
    checked++;
  }
  console.log(
    `grammar-vs-lexer: ${checked} files, ${chars} characters compared, ${skippedFiles} non-UTF-8 files skipped, ` +
      `${problems.length} disagreements shown`,
  );
  if (problems.length) {
    console.error(problems.join("\n"));
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
