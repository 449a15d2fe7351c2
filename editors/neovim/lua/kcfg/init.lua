-- kcfg for Neovim: starts `kcfg lsp` for kamailio buffers, and :KcfgExpand / :KcfgRestart.
--
--   require("kcfg").setup({
--     cmd = { "kcfg", "lsp" },          -- or { "/path/to/kcfg", "lsp" }
--     kamailio_version = "6.0",         -- nil: kcfg.toml, else the server's default
--     defines = { "WITH_AUTH" },        -- like kamailio -D
--   })
--
-- Neovim >= 0.11 uses vim.lsp.config + vim.lsp.enable; 0.8-0.10 vim.lsp.start from a FileType
-- autocommand; 0.7 vim.lsp.start_client + vim.lsp.buf_attach_client.

local M = {}

M.defaults = {
  cmd = { "kcfg", "lsp" },
  kamailio_version = nil,
  defines = {},
  root_markers = { "kcfg.toml", ".git" },
}

M.options = vim.deepcopy(M.defaults)

--- The initializationOptions of `kcfg lsp`.
function M.init_options(opts)
  opts = opts or M.options
  local init = {}
  -- an empty Lua table would be sent as the JSON object {}: leave `defines` out instead
  if opts.defines and #opts.defines > 0 then
    init.defines = vim.deepcopy(opts.defines)
  end
  if opts.kamailio_version and opts.kamailio_version ~= "" then
    init.kamailioVersion = opts.kamailio_version
  end
  return init
end

local function find_root(fname, markers)
  local dir = vim.fn.fnamemodify(fname, ":p:h")
  while dir and dir ~= "" do
    for _, m in ipairs(markers) do
      if vim.loop.fs_stat(dir .. "/" .. m) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ":h")
    if parent == dir then
      break
    end
    dir = parent
  end
  return vim.fn.fnamemodify(fname, ":p:h")
end

local warned = false
local function executable_ok(cmd)
  if vim.fn.executable(cmd[1]) == 1 then
    return true
  end
  if not warned then
    warned = true
    vim.notify(
      ("kcfg: `%s` not found. Install kcfg (cargo install --locked --path crates/kcfg-cli) "
        .. "or pass cmd = { '/path/to/kcfg', 'lsp' } to require('kcfg').setup()."):format(cmd[1]),
      vim.log.levels.WARN
    )
  end
  return false
end

--- The client configuration (for vim.lsp.start / vim.lsp.config).
function M.client_config(bufnr)
  local o = M.options
  local cfg = {
    name = "kcfg",
    cmd = o.cmd,
    filetypes = { "kamailio" },
    root_markers = o.root_markers,
    init_options = M.init_options(o),
  }
  if bufnr then
    cfg.root_dir = find_root(vim.api.nvim_buf_get_name(bufnr), o.root_markers)
  end
  return cfg
end

local clients_07 = {} -- root_dir -> client id (Neovim 0.7)

--- Which client API this Neovim uses: "vim.lsp.config" (>= 0.11), "vim.lsp.start" (0.8-0.10) or
--- "vim.lsp.start_client" (0.7).
function M.api()
  if vim.lsp.config and vim.lsp.enable then
    return "vim.lsp.config"
  elseif vim.lsp.start then
    return "vim.lsp.start"
  end
  return "vim.lsp.start_client"
end

local function start(bufnr)
  if not executable_ok(M.options.cmd) then
    return
  end
  local cfg = M.client_config(bufnr)
  if vim.lsp.start then
    cfg.root_markers = nil
    cfg.filetypes = nil
    vim.lsp.start(cfg, { bufnr = bufnr })
    return
  end
  -- Neovim 0.7
  local id = clients_07[cfg.root_dir]
  if not id or vim.lsp.client_is_stopped(id) then
    cfg.root_markers = nil
    cfg.filetypes = nil
    id = vim.lsp.start_client(cfg)
    clients_07[cfg.root_dir] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
end

function M.setup(opts)
  M.options = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts or {})
  if M.api() == "vim.lsp.config" then
    -- Neovim >= 0.11
    if executable_ok(M.options.cmd) then
      local cfg = M.client_config()
      cfg.name = nil
      vim.lsp.config("kcfg", cfg)
      vim.lsp.enable("kcfg")
    end
  else
    local group = vim.api.nvim_create_augroup("kcfg_lsp", { clear = true })
    vim.api.nvim_create_autocmd("FileType", {
      group = group,
      pattern = "kamailio",
      callback = function(args)
        start(args.buf)
      end,
    })
    -- buffers opened before setup()
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(b) and vim.bo[b].filetype == "kamailio" then
        start(b)
      end
    end
  end
end

local function kcfg_clients(bufnr)
  local all = vim.lsp.get_clients and vim.lsp.get_clients({ name = "kcfg" })
    or vim.lsp.get_active_clients()
  local out = {}
  for _, c in ipairs(all) do
    if c.name == "kcfg" and (not bufnr or vim.lsp.buf_is_attached(bufnr, c.id)) then
      table.insert(out, c)
    end
  end
  return out
end
M.clients = kcfg_clients

--- :KcfgRestart
function M.restart()
  local bufs = {}
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(b) and vim.bo[b].filetype == "kamailio" then
      table.insert(bufs, b)
    end
  end
  for _, c in ipairs(kcfg_clients()) do
    c.stop()
  end
  clients_07 = {}
  vim.defer_fn(function()
    for _, b in ipairs(bufs) do
      if vim.lsp.config and vim.lsp.enable then
        vim.api.nvim_exec_autocmds("FileType", { buffer = b })
      else
        start(b)
      end
    end
  end, 500)
end

--- :KcfgExpand: the config after the preprocessor and includes, in a read-only scratch buffer.
function M.expand()
  local file = vim.api.nvim_buf_get_name(0)
  if file == "" then
    vim.notify("kcfg: save the config to a file first", vim.log.levels.WARN)
    return
  end
  local args = { M.options.cmd[1], "expand", file }
  for _, d in ipairs(M.options.defines or {}) do
    table.insert(args, "-D")
    table.insert(args, d)
  end
  local out = vim.fn.systemlist(args)
  if vim.v.shell_error ~= 0 then
    local msg = table.concat(out, "\n")
    if msg:match("unrecognized subcommand") then
      msg = "this kcfg has no `expand` command: install a newer kcfg"
    end
    vim.notify("kcfg expand failed: " .. msg, vim.log.levels.ERROR)
    return
  end
  vim.cmd("vnew")
  local b = vim.api.nvim_get_current_buf()
  vim.api.nvim_buf_set_lines(b, 0, -1, false, out)
  vim.bo[b].buftype = "nofile"
  vim.bo[b].bufhidden = "wipe"
  vim.bo[b].modifiable = false
  vim.bo[b].readonly = true
  vim.bo[b].filetype = "kamailio"
  pcall(vim.api.nvim_buf_set_name, b, file .. " (expanded)")
end

return M
