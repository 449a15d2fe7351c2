" Kamailio configs (kcfg). `set filetype`, not `setf`: Vim and Neovim already call every *.cfg `cfg`.
augroup kcfg_ftdetect
  autocmd!
  autocmd BufRead,BufNewFile kamailio.cfg,kamailio-*.cfg,*.kamailio set filetype=kamailio
  autocmd BufRead,BufNewFile */kamailio/*.cfg,*/kamailio/**/*.cfg set filetype=kamailio
  " any *.cfg whose first line is a Kamailio marker (#!KAMAILIO, #!OPENSER, #!SER, #!MAXCOMPAT, #!ALL)
  autocmd BufRead *.cfg if getline(1) =~# '^\%(#!\|//!\)\%(KAMAILIO\|OPENSER\|SER\|MAXCOMPAT\|ALL\)\s*$' | set filetype=kamailio | endif
augroup END
