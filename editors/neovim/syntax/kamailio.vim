" Vim syntax file for Kamailio's kamailio.cfg (kcfg). The fallback when no language server runs;
" the token rules follow kcfg's lexer (which follows Kamailio's cfg.lex).

if exists('b:current_syntax')
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

syn case match
syn sync fromstart

" ---- comments (`#!` starting a directive is no comment: those items are defined later and win) ----
syn keyword kamailioTodo contained TODO FIXME XXX NOTE
syn match kamailioComment "#.*$" contains=kamailioTodo,@Spell
syn match kamailioComment "//.*$" contains=kamailioTodo,@Spell
syn region kamailioBlockComment start="/\*" end="\*/" end="^\s*\%(#!\|!!\)\%(\%(ifdef\|ifndef\|ifexp\)\s\|\%(else\|endif\)\s*$\)"me=s-1 contains=kamailioBlockComment,kamailioTodo,@Spell

" ---- strings ----
" double-quoted: backslash escapes and pseudo-variables, may span lines; single-quoted: raw.
" Like kcfg's lexer, an unterminated string ends before an #!ifdef/#!else/#!endif line.
syn match kamailioEscape contained "\\."
syn region kamailioString start=+"+ skip=+\\.+ end=+"+ end="^\s*\%(#!\|!!\)\%(\%(ifdef\|ifndef\|ifexp\)\s\|\%(else\|endif\)\s*$\)"me=s-1 contains=kamailioEscape,kamailioPV,kamailioPVBlock,kamailioPVCall
syn region kamailioRawString start=+'+ end=+'+ end="^\s*\%(#!\|!!\)\%(\%(ifdef\|ifndef\|ifexp\)\s\|\%(else\|endif\)\s*$\)"me=s-1

" ---- pseudo-variables ----
syn match kamailioPV "\$\h\w*"
syn match kamailioPV "\$?"
syn match kamailioPV "\$\h\w*\[[^\]\n]*\]"
syn match kamailioPV "\$\%(f\|t\|fr\|fu\|fd\|tr\|tu\|td\|g\)\.\h\w*"
syn match kamailioPV "%\h\w*\%(\.\h\w*\)\=\%(\[\d*\]\)\="
syn region kamailioPVCall matchgroup=kamailioPV start="\$\h\w*(" end=")" end="$" oneline contains=kamailioPVParen,kamailioPV,kamailioPVBlock,kamailioPVCall
syn region kamailioPVBlock matchgroup=kamailioPV start="\$(" end=")" end="$" oneline contains=kamailioPVParen,kamailioPV,kamailioPVBlock,kamailioPVCall,kamailioTransform
syn region kamailioPVParen contained transparent start="(" end=")" end="$" oneline contains=kamailioPVParen,kamailioPV,kamailioPVBlock,kamailioPVCall
syn region kamailioTransform contained matchgroup=kamailioTransformDelim start="{" end="}" end="$" oneline contains=kamailioTransformName,kamailioPV,kamailioPVBlock,kamailioPVCall,kamailioTransform
syn match kamailioTransformName contained "\%({\)\@<=\h\w*\%(\.\w\+\)*"

" ---- keywords, routes, calls ----
syn keyword kamailioStatement if else switch case default while return exit drop break
syn keyword kamailioModule loadmodule loadmodulex loadpath mpath modparam modparamx cfgengine
syn keyword kamailioOperatorWord and or not mod eq ne ieq ine
syn keyword kamailioBuiltin defined strlen strempty selval
syn keyword kamailioConstant yes no on off true false enable disable udp tcp tls sctp ws wss UDP TCP TLS SCTP WS WSS inet inet6 ipv4 ipv6 INET INET6 IPV4 IPV6 IPv4 IPv6
syn keyword kamailioCondition method proto snd_proto to_proto myself uri status from_uri to_uri src_port dst_port af snd_port to_port snd_af to_af src_ip dst_ip snd_ip to_ip
syn keyword kamailioRoute request_route reply_route onsend_route failure_route onreply_route branch_route route event_route
syn keyword kamailioDesc desc descr description
" all-caps words are most likely #!define names (a heuristic); route names below win
syn match kamailioDefineUse "\<\u[A-Z0-9_]*[A-Z0-9]\>"
syn match kamailioFunction "\<\h\w*\ze\s*("
syn match kamailioRouteName "\%(\<\%(request_route\|reply_route\|onsend_route\|failure_route\|onreply_route\|branch_route\|route\|event_route\)\s*\[\s*\)\@<=\%(\h[0-9A-Za-z_:-]*\|\d\+\|\"[^"]*\"\)"
syn match kamailioRouteName "\%(\<route\s*(\s*\)\@<=\%(\h\w*\|\d\+\|\"[^"]*\"\)\ze\s*)"
syn match kamailioGlobal "^\s*\h\w*\%(\[\d\+\]\)\=\%(\.\h\w*\)\=\ze\s*=[^=]"
syn match kamailioSelect "@\h\w*\%(\.\h\w*\)*"

" ---- numbers and addresses ----
syn match kamailioNumber "\<\d\w*"
syn match kamailioNumber "\<0x\x\+\>"
syn match kamailioIP "\<\d\{1,3}\%(\.\d\{1,3}\)\{3}\%(/\d\{1,2}\)\=\>"
syn match kamailioIP "\%(\x\{1,4}:\)\{1,7}\%(:\x\{1,4}\)\{1,7}"
syn match kamailioIP "\%(\x\{1,4}:\)\{7}\x\{1,4}"
syn match kamailioIP "::\x\{1,4}\%(:\x\{1,4}\)*"

syn match kamailioOperator "==\|!=\|=\~\|!\~\|>=\|<=\|&&\|||\|<<\|>>\|+=\|[=<>!~&|^+*/%-]"
syn match kamailioCast "(\%(int\|str\))"

" ---- the preprocessor (after the comments: at the same position the later item wins) ----
syn region kamailioDefine matchgroup=kamailioPreProc start="\%(#!\|!!\)\%(define\|def\|trydefine\|trydef\|redefine\|redef\|defexp\|defexps\)\ze\s" end="\%(\\\)\@<!$" contains=kamailioDefineName,kamailioContinuation,kamailioString,kamailioRawString,kamailioPV,kamailioPVBlock,kamailioPVCall,kamailioNumber
syn match kamailioDefineName contained "\%(\%(#!\|!!\)\a\+\s\+\)\@<=\h\w*"
syn match kamailioContinuation contained "\\$"
syn match kamailioPreProc "\%(#!\|!!\)\%(undefine\|undef\|tryundefine\|tryundef\|ifdef\|ifndef\)\s\+\h\w*" contains=kamailioDefineNameAfter
syn match kamailioDefineNameAfter contained "\%(\a\s\+\)\@<=\h\w*"
syn match kamailioPreProc "\%(#!\|!!\)ifexp\s.*$"
syn match kamailioPreProc "\%(#!\|!!\)\%(else\|endif\)\ze\s*$"
syn match kamailioPreProc "\%(#!\|!!\)\%(defenv\|defenvs\|trydefenv\|trydefenvs\|subst\|substdef\|substdefs\)\>"
syn match kamailioInclude "\%(#!\|!!\)\=\<\%(include_file\|import_file\)\>"
syn match kamailioPreProc "^#!\%(KAMAILIO\|OPENSER\|SER\|MAXCOMPAT\|ALL\)$"
syn match kamailioPreProc "^//!\%(KAMAILIO\|OPENSER\|SER\|MAXCOMPAT\|ALL\)\>.*$"

hi def link kamailioTodo Todo
hi def link kamailioComment Comment
hi def link kamailioBlockComment Comment
hi def link kamailioEscape SpecialChar
hi def link kamailioString String
hi def link kamailioRawString String
hi def link kamailioPV Identifier
hi def link kamailioTransformDelim Delimiter
hi def link kamailioTransformName Function
hi def link kamailioStatement Statement
hi def link kamailioModule Keyword
hi def link kamailioOperatorWord Operator
hi def link kamailioBuiltin Function
hi def link kamailioConstant Constant
hi def link kamailioCondition Special
hi def link kamailioRoute Structure
hi def link kamailioDesc Keyword
hi def link kamailioFunction Function
hi def link kamailioRouteName Title
hi def link kamailioGlobal Type
hi def link kamailioSelect Identifier
hi def link kamailioDefineUse Macro
hi def link kamailioNumber Number
hi def link kamailioIP Number
hi def link kamailioOperator Operator
hi def link kamailioCast Type
hi def link kamailioPreProc PreProc
hi def link kamailioDefineName Macro
hi def link kamailioDefineNameAfter Macro
hi def link kamailioContinuation SpecialChar
hi def link kamailioInclude Include

let b:current_syntax = 'kamailio'

let &cpo = s:cpo_save
unlet s:cpo_save
