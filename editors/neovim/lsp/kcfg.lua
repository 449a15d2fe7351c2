-- Neovim >= 0.11: `vim.lsp.enable("kcfg")` picks this up from the runtimepath.
-- Override with vim.lsp.config("kcfg", { init_options = { kamailioVersion = "5.6", defines = { "WITH_AUTH" } } }).
return {
  cmd = { "kcfg", "lsp" },
  filetypes = { "kamailio" },
  root_markers = { "kcfg.toml", ".git" },
}
