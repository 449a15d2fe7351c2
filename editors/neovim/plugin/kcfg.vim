" Commands of the kcfg plugin (Neovim). The LSP starts with require('kcfg').setup().
if exists('g:loaded_kcfg') || !has('nvim')
  finish
endif
let g:loaded_kcfg = 1

command! KcfgRestart lua require('kcfg').restart()
command! KcfgExpand lua require('kcfg').expand()
