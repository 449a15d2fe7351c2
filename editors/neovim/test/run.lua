-- Headless test of the kcfg Neovim plugin:
--   nvim --headless -u NONE -i NONE --cmd 'set rtp^=editors/neovim' -c 'luafile editors/neovim/test/run.lua'
-- Environment: KCFG_TEST_DIR (an empty scratch directory), KCFG_BIN (the kcfg binary),
-- KCFG_TEST_LSP=1 to test the language server (the caller sets it when `kcfg lsp --help` works).
-- Prints one line per check; exits 1 on the first failure.

local failures = 0
local function out(s)
  io.stdout:write(s .. "\n")
end
local function check(cond, what)
  if cond then
    out("ok   " .. what)
  else
    failures = failures + 1
    out("FAIL " .. what)
  end
end
local function finish()
  out(("nvim: %d failed"):format(failures))
  if failures > 0 then
    vim.cmd("cquit 1")
  else
    vim.cmd("qall!")
  end
end

local dir = assert(os.getenv("KCFG_TEST_DIR"), "KCFG_TEST_DIR not set")
local function write(rel, lines)
  local p = dir .. "/" .. rel
  vim.fn.mkdir(vim.fn.fnamemodify(p, ":h"), "p")
  vim.fn.writefile(lines, p)
  return p
end

local ok, err = pcall(function()
  vim.cmd("filetype plugin on")
  vim.cmd("syntax on")
  vim.cmd("runtime plugin/kcfg.vim")

  -- ---- filetype detection ----
  local cases = {
    { "kamailio.cfg", { "debug=2" }, "kamailio" },
    { "etc/kamailio/tls.cfg", { "[server:default]" }, "kamailio" },
    { "kamailio-edge.cfg", { "debug=2" }, "kamailio" },
    { "router.kamailio", { "debug=2" }, "kamailio" },
    { "marked.cfg", { "#!KAMAILIO", "debug=2" }, "kamailio" },
    { "other.cfg", { "[section]", "key = value" }, nil },
  }
  for _, c in ipairs(cases) do
    local p = write(c[1], c[2])
    vim.cmd("edit " .. vim.fn.fnameescape(p))
    local ft = vim.bo.filetype
    if c[3] then
      check(ft == c[3], ("filetype of %s is %s (got %q)"):format(c[1], c[3], ft))
    else
      check(ft ~= "kamailio", ("filetype of %s is not kamailio (got %q)"):format(c[1], ft))
    end
  end

  -- ---- the syntax fallback ----
  local lines = {
    "#!KAMAILIO",
    "#!define WITH_AUTH 1",
    "# a comment with $var(x)",
    "#!ifdef WITH_AUTH",
    'loadmodule "auth.so"',
    "#!endif",
    "#!endif // trailing text makes this a comment",
    "request_route {",
    "\t$var(a) = $(ru{uri.user});",
    '\txlog("L_INFO", "from $fu # not a comment\\n");',
    "\txlog('raw $ru');",
    "\troute(RELAY);",
    "}",
    "route[RELAY] {",
    "\tt_relay();",
    "}",
  }
  local main = write("syntax/kamailio.cfg", lines)
  vim.cmd("edit " .. vim.fn.fnameescape(main))
  check(vim.b.current_syntax == "kamailio", "syntax/kamailio.vim is loaded (b:current_syntax)")
  check(vim.bo.commentstring == "# %s", "ftplugin sets commentstring")
  local function syn(lnum, needle, nth)
    local col = 0
    for _ = 1, nth or 1 do
      col = assert(lines[lnum]:find(needle, col + 1, true), needle)
    end
    return vim.fn.synIDattr(vim.fn.synID(lnum, col, 1), "name")
  end
  local expect = {
    { 1, "#!KAMAILIO", "kamailioPreProc" },
    { 2, "#!define", "kamailioPreProc" },
    { 2, "WITH_AUTH", "kamailioDefineName" },
    { 3, "#", "kamailioComment" },
    { 3, "$var", "kamailioComment" },
    { 4, "#!ifdef", "kamailioPreProc" },
    { 4, "WITH_AUTH", "kamailioDefineNameAfter" },
    { 5, "loadmodule", "kamailioModule" },
    { 5, '"auth', "kamailioString" },
    { 6, "#!endif", "kamailioPreProc" },
    { 7, "#!endif", "kamailioComment" },
    { 8, "request_route", "kamailioRoute" },
    { 9, "$var", "kamailioPV" },
    { 9, "uri.user", "kamailioTransformName" },
    { 10, "xlog", "kamailioFunction" },
    { 10, "$fu", "kamailioPV" },
    { 10, "# not", "kamailioString" },
    { 10, "\\n", "kamailioEscape" },
    { 11, "$ru", "kamailioRawString" },
    { 12, "RELAY", "kamailioRouteName" },
    { 14, "RELAY", "kamailioRouteName" },
    { 15, "t_relay", "kamailioFunction" },
  }
  for _, e in ipairs(expect) do
    local got = syn(e[1], e[2], e[4])
    check(got == e[3], ("line %d `%s` is %s (got %s)"):format(e[1], e[2], e[3], got))
  end

  -- ---- settings mapping ----
  local kcfg_mod = require("kcfg")
  check(vim.deep_equal(kcfg_mod.init_options({ kamailio_version = "6.0", defines = { "WITH_AUTH" } }),
    { kamailioVersion = "6.0", defines = { "WITH_AUTH" } }), "init_options with version and defines")
  check(vim.deep_equal(kcfg_mod.init_options({ defines = {} }), {}), "init_options leaves empty values out")

  -- ---- the client API of this Neovim ----
  local v = vim.version and vim.version() or { major = 0, minor = 7 }
  local want = (v.major > 0 or v.minor >= 11) and "vim.lsp.config"
    or (v.minor >= 8 and "vim.lsp.start" or "vim.lsp.start_client")
  out(("nvim version %d.%d uses %s"):format(v.major, v.minor, kcfg_mod.api()))
  check(kcfg_mod.api() == want, ("Neovim %d.%d takes the %s path"):format(v.major, v.minor, want))

  -- ---- the language server ----
  if os.getenv("KCFG_TEST_LSP") ~= "1" then
    out("SKIP language server: `kcfg lsp` is not available")
    return
  end
  local kcfg = assert(os.getenv("KCFG_BIN"), "KCFG_BIN not set")
  require("kcfg").setup({ cmd = { kcfg, "lsp" }, kamailio_version = "5.6" })
  local broken = write("lsp/broken/kamailio.cfg", {
    'loadmodule "sl.so"',
    "request_route {",
    '\tsl_send_reply("200", "OK")',
    "\texit;",
    "}",
  })
  write("lsp/broken/kcfg.toml", { 'kamailio-version = "5.6"' })
  vim.cmd("edit " .. vim.fn.fnameescape(broken))
  local buf = vim.api.nvim_get_current_buf()
  local attached = vim.wait(15000, function()
    return #require("kcfg").clients(buf) > 0
  end, 50)
  check(attached, "kcfg lsp attached to the buffer")
  local got = vim.wait(20000, function()
    return #vim.diagnostic.get(buf) > 0
  end, 50)
  local diags = vim.diagnostic.get(buf)
  check(got, ("diagnostics arrived (%d)"):format(#diags))
  local found = false
  for _, d in ipairs(diags) do
    if (d.lnum == 2 or d.lnum == 3) and d.message:find(";", 1, true) then
      found = true
    end
  end
  check(found, "a diagnostic about the missing `;` on line 3 or 4: "
    .. vim.inspect(vim.tbl_map(function(d) return (d.lnum + 1) .. ": " .. d.message end, diags)))

  local clean = write("lsp/clean/kamailio.cfg", {
    'loadmodule "sl.so"',
    "request_route {",
    '\tsl_send_reply("200", "OK");',
    "}",
  })
  vim.cmd("edit " .. vim.fn.fnameescape(clean))
  local cbuf = vim.api.nvim_get_current_buf()
  vim.wait(15000, function()
    return #require("kcfg").clients(cbuf) > 0
  end, 50)
  local params = { textDocument = { uri = vim.uri_from_bufnr(cbuf) }, position = { line = 2, character = 3 } }
  local res = vim.lsp.buf_request_sync(cbuf, "textDocument/hover", params, 15000) or {}
  local text = ""
  for _, r in pairs(res) do
    if r.result and r.result.contents then
      local c = r.result.contents
      text = text .. (type(c) == "string" and c or (c.value or vim.inspect(c)))
    end
  end
  check(text:find("sl_send_reply", 1, true) ~= nil or text:find("sl", 1, true) ~= nil,
    "hover on sl_send_reply answers: " .. text:sub(1, 200):gsub("\n", " "))
end)
if not ok then
  failures = failures + 1
  out("FAIL error: " .. tostring(err))
end
finish()
