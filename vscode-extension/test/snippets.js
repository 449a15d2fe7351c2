// Every snippet, with its placeholders filled with their defaults, must be a config kcfg's parser
// accepts: `kcfg check --format json` reports no syntax error (KC001). Statements are wrapped in a
// request_route; semantic findings (a placeholder module name, say) are not the point here.
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

const kcfg = process.env.KCFG_BIN || path.join(__dirname, "..", "..", "target", "debug", "kcfg");
if (!fs.existsSync(kcfg)) {
  if (process.env.CI === "true") {
    console.error("snippets: kcfg binary not found (set KCFG_BIN)");
    process.exit(1);
  }
  console.log("snippets: SKIPPED, no kcfg binary");
  process.exit(0);
}

function expand(body) {
  let text = body.join("\n");
  // ${1|a,b|} -> a ; ${1:default} -> default (innermost first) ; $1 -> "" ; \$ -> $
  text = text.replace(/\$\{\d+\|([^,|}]*)[^}]*\|\}/g, "$1");
  let prev;
  do {
    prev = text;
    text = text.replace(/\$\{\d+:([^${}]*(?:\\\$[^${}]*)*)\}/g, "$1");
  } while (text !== prev);
  text = text.replace(/(?<!\\)\$\d+/g, "");
  return text.replace(/\\\$/g, "$");
}

const snippets = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "snippets", "kamailio.code-snippets"), "utf8"));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kcfg-snippets-"));
let failed = 0;
let n = 0;
for (const [name, s] of Object.entries(snippets)) {
  let text = expand(s.body);
  const topLevel = /^(request_route|route|onreply_route|failure_route|branch_route|onsend_route|event_route|loadmodule|modparam|#!)/.test(text);
  const statement = !topLevel;
  if (statement) text = `request_route {\n${text}\n}\n`;
  // (a statement after the #!endif too: with the arm not taken the block would be empty)
  else if (text.startsWith("#!ifdef")) text = text.replace(/\n\n/g, "\n$var(x) = 1;\n").replace("#!ifdef", "request_route {\n#!ifdef") + "\n$var(y) = 1;\n}\n";
  else text += "\n";
  // an empty block is a syntax error in Kamailio: give blocks a statement
  text = text.replace(/\{\n(\s*)\n/g, "{\n$1\t$$var(x) = 1;\n");
  const file = path.join(dir, `${name}.cfg`);
  fs.writeFileSync(file, text);
  const r = spawnSync(kcfg, ["check", "--format", "json", file], { encoding: "utf8" });
  const syntax = (JSON.parse(r.stdout || "[]") || []).filter((d) => d.code === "KC001");
  n++;
  if (syntax.length) {
    failed++;
    console.error(`snippet ${name}: syntax error ${syntax[0].message}\n${text}`);
  }
}
fs.rmSync(dir, { recursive: true, force: true });
console.log(`snippets: ${n - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
