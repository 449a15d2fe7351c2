// The committed grammar must be what syntaxes/build-grammar.mjs generates.
const { execFileSync } = require("node:child_process");
const path = require("node:path");
execFileSync(process.execPath, [path.join(__dirname, "..", "syntaxes", "build-grammar.mjs"), "--check"], {
  stdio: "inherit",
});
