;;; kamailio-mode.el --- Major mode for Kamailio's kamailio.cfg, with kcfg lsp  -*- lexical-binding: t; -*-

;; SPDX-License-Identifier: GPL-2.0-or-later
;; Version: 0.1.0
;; Package-Requires: ((emacs "27.1"))
;; Keywords: languages, sip, kamailio

;;; Commentary:

;; Font-lock for kamailio.cfg following kcfg's lexer (which follows Kamailio's cfg.lex): the three
;; comment forms (`#', `//', nested `/* */'), where `#!define' & co. are directives and not comments;
;; strings (single quotes are raw); pseudo-variables with transformations, also inside strings;
;; route blocks and names; keywords, module statements, function calls, numbers and addresses.
;;
;; The language server `kcfg lsp' is registered with eglot and lsp-mode (when they are loaded):
;;
;;   (require 'kamailio-mode)
;;   (setq kamailio-kcfg-program "kcfg"            ; or a full path
;;         kamailio-kcfg-version "6.0"             ; nil: kcfg.toml / the server's default
;;         kamailio-kcfg-defines '("WITH_AUTH"))   ; like kamailio -D
;;   (add-hook 'kamailio-mode-hook #'eglot-ensure) ; or #'lsp-deferred

;;; Code:

(require 'subr-x)

(defvar eglot-server-programs)
(defvar lsp-language-id-configuration)
(declare-function lsp-register-client "lsp-mode")
(declare-function make-lsp-client "lsp-mode")
(declare-function lsp-stdio-connection "lsp-mode")
(declare-function lsp-activate-on "lsp-mode")

(defgroup kamailio nil
  "Kamailio configuration files."
  :group 'languages
  :prefix "kamailio-")

(defcustom kamailio-kcfg-program "kcfg"
  "The kcfg executable (a name on `exec-path' or a full path)."
  :type 'string)

(defcustom kamailio-kcfg-version nil
  "Kamailio version for kcfg: \"5.6\", \"6.0\", \"master\", or nil for kcfg.toml's."
  :type '(choice (const :tag "kcfg.toml / default" nil) string))

(defcustom kamailio-kcfg-defines nil
  "Names defined before the config is read (NAME or NAME=VALUE).
Like `kamailio -D'."
  :type '(repeat string))

(defcustom kamailio-indent-offset 4
  "Indentation of a block level."
  :type 'integer)

(eval-and-compile
(defconst kamailio--name-directives
  '("define" "def" "trydefine" "trydef" "redefine" "redef" "undefine" "undef" "tryundefine"
    "tryundef" "defexp" "defexps" "ifdef" "ifndef")
  "Directives followed by a define name; Kamailio needs whitespace after the word.")

(defconst kamailio--directive-tail-re
  (concat "\\(?:"
          "\\(?:" (regexp-opt kamailio--name-directives) "\\|ifexp\\)[ \t]"
          "\\|" (regexp-opt '("defenv" "defenvs" "trydefenv" "trydefenvs" "subst" "substdef"
                              "substdefs" "include_file" "import_file") 'words)
          "\\|\\(?:else\\|endif\\)[ \t]*$"
          "\\|\\(?:KAMAILIO\\|OPENSER\\|SER\\|MAXCOMPAT\\|ALL\\)$\\)")
  "What follows `#!' or `!!' when the line is a directive rather than a comment."))

(defconst kamailio--directive-re (concat "\\(?:#!\\|!!\\)" kamailio--directive-tail-re)
  "A directive: `#!' or `!!' and a directive word.")

(defconst kamailio--route-kinds
  '("request_route" "reply_route" "onsend_route" "failure_route" "onreply_route" "branch_route"
    "route" "event_route"))

(defvar kamailio-mode-syntax-table
  (let ((st (make-syntax-table)))
    ;; /* */ (style a, nested), // and # (style b, to the end of the line)
    (modify-syntax-entry ?/ ". 124b" st)
    (modify-syntax-entry ?* ". 23n" st)
    (modify-syntax-entry ?# "< b" st)
    (modify-syntax-entry ?\n "> b" st)
    (modify-syntax-entry ?\" "\"" st)
    (modify-syntax-entry ?' "\"" st)
    (modify-syntax-entry ?\\ "\\" st)
    (modify-syntax-entry ?_ "_" st)
    (modify-syntax-entry ?$ "'" st)
    (modify-syntax-entry ?% "." st)
    (modify-syntax-entry ?@ "'" st)
    st)
  "Syntax table of `kamailio-mode'.")

(defun kamailio--propertize-raw-string ()
  "Make backslashes plain inside the single-quoted string opened by the match."
  (let ((open (match-beginning 0))
        (ppss (syntax-ppss (match-end 0))))
    (when (and (nth 3 ppss) (eq (nth 8 ppss) open))
      (save-excursion
        (goto-char (match-end 0))
        (let ((close (save-excursion (and (search-forward "'" nil t) (point)))))
          (while (and close (search-forward "\\" close t))
            (put-text-property (1- (point)) (point) 'syntax-table (string-to-syntax "."))))))))

(defconst kamailio--syntax-propertize
  (syntax-propertize-rules
   ;; `#!define' and friends: the `#' does not start a comment (unless inside a string or comment)
   ((concat "\\(#\\)!" kamailio--directive-tail-re)
    (1 (unless (nth 8 (save-excursion (syntax-ppss (match-beginning 0))))
         (string-to-syntax "."))))
   ;; single-quoted strings are raw: a backslash escapes nothing
   ("'" (0 (ignore (kamailio--propertize-raw-string))))))

(defconst kamailio--pv-re
  (let ((bal "([^()\n]*\\(?:([^()\n]*\\(?:([^()\n]*)[^()\n]*\\)*)[^()\n]*\\)*)"))
    (concat "\\$\\(?:" bal
            "\\|\\(?:fr\\|fu\\|fd\\|tr\\|tu\\|td\\|f\\|t\\|g\\)\\.[A-Za-z_][A-Za-z0-9_]*"
            "\\|[A-Za-z_][A-Za-z0-9_]*\\(?:" bal "\\|\\[[^]\n]*\\]\\)?"
            "\\|?\\)"))
  "A pseudo-variable: `$(...)' or `$name(...)', parentheses nested 3 deep.")

(defun kamailio--match-pv (limit)
  "Find the next PV before LIMIT outside comments and single-quoted strings."
  (let (found)
    (while (and (not found) (re-search-forward kamailio--pv-re limit t))
      (let ((ppss (save-excursion (syntax-ppss (match-beginning 0)))))
        (unless (or (nth 4 ppss)
                    (and (nth 3 ppss) (eq (char-after (nth 8 ppss)) ?')))
          (setq found t))))
    found))

(defconst kamailio-font-lock-keywords
  `(;; directives and define names
    (,(concat "\\(?:#!\\|!!\\)" (regexp-opt kamailio--name-directives t)
              "[ \t]+\\([A-Za-z_][A-Za-z0-9_]*\\)")
     (0 font-lock-preprocessor-face)
     (2 font-lock-constant-face t))
    (,kamailio--directive-re . font-lock-preprocessor-face)
    ("^//!\\(?:KAMAILIO\\|OPENSER\\|SER\\|MAXCOMPAT\\|ALL\\)\\>.*$" 0 font-lock-preprocessor-face t)
    ("\\_<\\(?:include_file\\|import_file\\)\\_>" . font-lock-preprocessor-face)
    ;; route blocks and their names, route(NAME)
    (,(concat (regexp-opt kamailio--route-kinds 'symbols)
              "\\(?:[ \t]*\\[[ \t]*\\(\"?[A-Za-z0-9_:-]+\"?\\)[ \t]*\\]\\)?")
     (1 font-lock-keyword-face)
     (2 font-lock-function-name-face t t))
    ("\\_<route[ \t]*([ \t]*\\(\"?[A-Za-z0-9_]+\"?\\)[ \t]*)" 1 font-lock-function-name-face t)
    (,(regexp-opt '("if" "else" "switch" "case" "default" "while" "return" "exit" "drop" "break")
                  'symbols)
     . font-lock-keyword-face)
    (,(regexp-opt '("loadmodule" "loadmodulex" "loadpath" "mpath" "modparam" "modparamx" "cfgengine")
                  'symbols)
     . font-lock-keyword-face)
    (,(regexp-opt '("and" "or" "not" "mod" "eq" "ne" "ieq" "ine" "defined" "strlen" "strempty" "selval")
                  'symbols)
     . font-lock-builtin-face)
    (,(regexp-opt '("yes" "no" "on" "off" "true" "false" "enable" "disable" "udp" "tcp" "tls" "sctp"
                    "ws" "wss" "myself")
                  'symbols)
     . font-lock-constant-face)
    ;; core parameters / cfg variables at the start of a line
    ("^[ \t]*\\([A-Za-z_][A-Za-z0-9_]*\\(?:\\[[0-9]+\\]\\)?\\(?:\\.[A-Za-z_][A-Za-z0-9_]*\\)?\\)[ \t]*=[^=]"
     1 font-lock-variable-name-face)
    ;; function calls
    ("\\_<\\([A-Za-z_][A-Za-z0-9_]*\\)[ \t]*(" 1 font-lock-function-name-face)
    ;; pseudo-variables, also inside double-quoted strings
    (kamailio--match-pv 0 font-lock-variable-name-face t)
    ;; selects, addresses, numbers
    ("@[A-Za-z_][A-Za-z0-9_]*\\(?:\\.[A-Za-z_][A-Za-z0-9_]*\\)*" . font-lock-variable-name-face)
    ("\\_<[0-9]\\{1,3\\}\\(?:\\.[0-9]\\{1,3\\}\\)\\{3\\}\\(?:/[0-9]\\{1,2\\}\\)?" . font-lock-constant-face)
    ("\\_<[0-9][A-Za-z0-9_]*" . font-lock-constant-face)
    ("\\_<[A-Z][A-Z0-9_]*[A-Z0-9]\\_>" . font-lock-constant-face))
  "Font-lock keywords of `kamailio-mode'.")

(defun kamailio-indent-line ()
  "Indent the current line by the depth of braces (directives at column 0)."
  (interactive)
  (let* ((directive (save-excursion (back-to-indentation) (looking-at "\\(?:#!\\|!!\\)")))
         (depth (save-excursion (beginning-of-line) (car (syntax-ppss))))
         (closing (save-excursion (back-to-indentation) (looking-at "[})]")))
         (col (if directive 0 (* kamailio-indent-offset (max 0 (- depth (if closing 1 0)))))))
    (if (<= (current-column) (current-indentation))
        (indent-line-to col)
      (save-excursion (indent-line-to col)))))

;;;###autoload
(define-derived-mode kamailio-mode prog-mode "Kamailio"
  "Major mode for Kamailio configuration files (kamailio.cfg)."
  :syntax-table kamailio-mode-syntax-table
  (setq-local comment-start "# ")
  (setq-local comment-end "")
  (setq-local comment-start-skip "\\(?:#+\\|//+\\|/\\*+\\)[ \t]*")
  (setq-local syntax-propertize-function kamailio--syntax-propertize)
  (setq-local font-lock-defaults '(kamailio-font-lock-keywords))
  (setq-local indent-line-function #'kamailio-indent-line)
  (setq-local indent-tabs-mode t)
  (setq-local tab-width kamailio-indent-offset))

;;;###autoload
(progn
  (add-to-list 'auto-mode-alist '("/kamailio\\.cfg\\'" . kamailio-mode))
  (add-to-list 'auto-mode-alist '("/kamailio-[^/]*\\.cfg\\'" . kamailio-mode))
  (add-to-list 'auto-mode-alist '("/kamailio/\\(?:[^/]*/\\)*[^/]*\\.cfg\\'" . kamailio-mode))
  (add-to-list 'auto-mode-alist '("\\.kamailio\\'" . kamailio-mode))
  (add-to-list 'magic-mode-alist
               '("\\`\\(?:#!\\|//!\\)\\(?:KAMAILIO\\|OPENSER\\|SER\\|MAXCOMPAT\\|ALL\\)[ \t]*$" . kamailio-mode)))

;;; The language server

(defun kamailio-kcfg-initialization-options ()
  "The initializationOptions of `kcfg lsp' (a plist for `json-serialize')."
  (append (when (and kamailio-kcfg-version (not (string-empty-p kamailio-kcfg-version)))
            (list :kamailioVersion kamailio-kcfg-version))
          (list :defines (vconcat kamailio-kcfg-defines))))

(defun kamailio-kcfg-server-command (&optional _interactive)
  "The command of the language server, for eglot; warns when kcfg cannot be found."
  (unless (executable-find kamailio-kcfg-program)
    (display-warning 'kamailio
                     (format "kcfg (`%s') not found: install it (cargo install --locked --path crates/kcfg-cli) or set `kamailio-kcfg-program'"
                             kamailio-kcfg-program)))
  (list kamailio-kcfg-program "lsp"
        :initializationOptions (kamailio-kcfg-initialization-options)))

(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs '(kamailio-mode . kamailio-kcfg-server-command)))

(with-eval-after-load 'lsp-mode
  (when (fboundp 'lsp-register-client)
    (add-to-list 'lsp-language-id-configuration '(kamailio-mode . "kamailio"))
    (lsp-register-client
     (make-lsp-client
      :new-connection (lsp-stdio-connection (lambda () (list kamailio-kcfg-program "lsp")))
      :activation-fn (lsp-activate-on "kamailio")
      :initialization-options #'kamailio-kcfg-initialization-options
      :server-id 'kcfg))))

(defun kamailio-expand ()
  "Show the config as Kamailio reads it (`kcfg expand'), read-only."
  (interactive)
  (let* ((file (or buffer-file-name (user-error "Save the config to a file first")))
         (buf (get-buffer-create (format "*kcfg expand: %s*" (file-name-nondirectory file))))
         (args (append (list "expand" file)
                       (apply #'append (mapcar (lambda (d) (list "-D" d)) kamailio-kcfg-defines)))))
    (with-current-buffer buf
      (let ((inhibit-read-only t))
        (erase-buffer)
        (let ((status (apply #'call-process kamailio-kcfg-program nil t nil args)))
          (unless (eq status 0)
            (let ((msg (buffer-string)))
              (user-error "kcfg expand failed: %s"
                          (if (string-match-p "unrecognized subcommand" msg)
                              "this kcfg has no `expand' command: install a newer kcfg"
                            msg))))))
      (kamailio-mode)
      (setq buffer-read-only t)
      (goto-char (point-min)))
    (display-buffer buf)))

(define-key kamailio-mode-map (kbd "C-c C-e") #'kamailio-expand)

(provide 'kamailio-mode)
;;; kamailio-mode.el ends here
