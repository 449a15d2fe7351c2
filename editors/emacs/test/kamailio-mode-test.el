;;; kamailio-mode-test.el --- Batch tests of kamailio-mode  -*- lexical-binding: t; -*-

;; emacs --batch -Q -L editors/emacs -l editors/emacs/test/kamailio-mode-test.el -f ert-run-tests-batch-and-exit
;; Environment: KCFG_TEST_DIR (an empty scratch directory), KCFG_BIN (the kcfg binary),
;; KCFG_TEST_LSP=1 to test `kcfg lsp' through eglot (the caller sets it when `kcfg lsp --help' works).

;;; Code:

(require 'ert)
(require 'package)
;; Debian's elpa-eglot lives in /usr/share/emacs/site-lisp/elpa, which -Q leaves out
(add-to-list 'package-directory-list "/usr/share/emacs/site-lisp/elpa")
(package-initialize)
(require 'kamailio-mode)

(defvar kamailio-test-dir (or (getenv "KCFG_TEST_DIR") (make-temp-file "kcfg-emacs" t)))

(defun kamailio-test-write (rel text)
  "Write TEXT to REL under the test directory; return the path."
  (let ((p (expand-file-name rel kamailio-test-dir)))
    (make-directory (file-name-directory p) t)
    (with-temp-file p (insert text))
    p))

(ert-deftest kamailio-auto-mode ()
  (dolist (c '(("kamailio.cfg" "debug=2\n" t)
               ("etc/kamailio/tls.cfg" "[server:default]\n" t)
               ("kamailio-edge.cfg" "debug=2\n" t)
               ("router.kamailio" "debug=2\n" t)
               ("marked.cfg" "#!KAMAILIO\ndebug=2\n" t)
               ("other.cfg" "[section]\nkey = value\n" nil)))
    (let ((buf (find-file-noselect (kamailio-test-write (nth 0 c) (nth 1 c)))))
      (unwind-protect
          (should (equal (list (nth 0 c) (eq (buffer-local-value 'major-mode buf) 'kamailio-mode))
                         (list (nth 0 c) (nth 2 c))))
        (kill-buffer buf)))))

(defconst kamailio-test-text
  "#!KAMAILIO
#!define WITH_AUTH 1
# a comment with $var(x)
#!ifdef WITH_AUTH
loadmodule \"auth.so\"
#!endif
#!endif // trailing text makes this a comment
request_route {
\t$var(a) = $(ru{uri.user});
\txlog(\"L_INFO\", \"from $fu # not a comment\\n\");
\txlog('raw $ru \\'); xlog(\"after\");
\troute(RELAY);
}
route[RELAY] {
\tt_relay(); /* nested /* block */ comment */ exit;
}
")

(defmacro kamailio-test-with-buffer (&rest body)
  "Run BODY in a fontified kamailio-mode buffer holding `kamailio-test-text'."
  `(with-temp-buffer
     (insert kamailio-test-text)
     (kamailio-mode)
     (font-lock-ensure)
     ,@body))

(defun kamailio-test-pos (line needle &optional nth)
  "The position of the NTH (default 1) NEEDLE on LINE (1-based)."
  (save-excursion
    (goto-char (point-min))
    (forward-line (1- line))
    (let ((end (line-end-position)))
      (dotimes (_ (or nth 1))
        (search-forward needle end))
      (match-beginning 0))))

(defun kamailio-test-face (line needle &optional nth)
  (let ((f (get-text-property (kamailio-test-pos line needle nth) 'face)))
    (if (listp f) f (list f))))

(defun kamailio-test-in-comment (line needle)
  (let ((pos (kamailio-test-pos line needle)))
    (nth 4 (save-excursion (syntax-ppss (1+ pos))))))

(ert-deftest kamailio-comments-and-directives ()
  (kamailio-test-with-buffer
   ;; `#!' directives are not comments, `#' comments are, `#!endif // x' is a comment
   (should-not (kamailio-test-in-comment 1 "#!KAMAILIO"))
   (should-not (kamailio-test-in-comment 2 "#!define"))
   (should (kamailio-test-in-comment 3 "a comment"))
   (should-not (kamailio-test-in-comment 4 "#!ifdef"))
   (should-not (kamailio-test-in-comment 6 "#!endif"))
   (should (kamailio-test-in-comment 7 "trailing"))
   (should (kamailio-test-in-comment 15 "block"))
   (should (kamailio-test-in-comment 15 "comment"))
   (should-not (kamailio-test-in-comment 15 "exit"))
   (should (memq 'font-lock-preprocessor-face (kamailio-test-face 2 "#!define")))
   (should (memq 'font-lock-constant-face (kamailio-test-face 2 "WITH_AUTH")))
   (should (memq 'font-lock-comment-face (kamailio-test-face 3 "$var")))
   (should (memq 'font-lock-constant-face (kamailio-test-face 4 "WITH_AUTH")))
   (should (memq 'font-lock-comment-face (kamailio-test-face 7 "endif")))))

(ert-deftest kamailio-strings-and-pvs ()
  (kamailio-test-with-buffer
   ;; `#' inside a double-quoted string is no comment; PVs inside it are highlighted
   (should-not (kamailio-test-in-comment 10 "# not"))
   (should (memq 'font-lock-string-face (kamailio-test-face 10 "# not")))
   (should (memq 'font-lock-variable-name-face (kamailio-test-face 10 "$fu")))
   ;; single-quoted strings are raw: no PVs, and \' does not escape the quote (Kamailio's
   ;; string ends there, so the second xlog is code)
   (should (memq 'font-lock-string-face (kamailio-test-face 11 "$ru")))
   (should-not (memq 'font-lock-variable-name-face (kamailio-test-face 11 "$ru")))
   (should (memq 'font-lock-function-name-face (kamailio-test-face 11 "xlog" 2)))
   (should (memq 'font-lock-string-face (kamailio-test-face 11 "after")))
   (should (memq 'font-lock-variable-name-face (kamailio-test-face 9 "$var")))
   (should (memq 'font-lock-variable-name-face (kamailio-test-face 9 "uri.user")))))

(ert-deftest kamailio-routes-keywords-calls ()
  (kamailio-test-with-buffer
   (should (memq 'font-lock-keyword-face (kamailio-test-face 5 "loadmodule")))
   (should (memq 'font-lock-keyword-face (kamailio-test-face 8 "request_route")))
   (should (memq 'font-lock-function-name-face (kamailio-test-face 10 "xlog")))
   (should (memq 'font-lock-function-name-face (kamailio-test-face 12 "RELAY")))
   (should (memq 'font-lock-keyword-face (kamailio-test-face 14 "route")))
   (should (memq 'font-lock-function-name-face (kamailio-test-face 14 "RELAY")))
   (should (memq 'font-lock-function-name-face (kamailio-test-face 15 "t_relay")))))

(ert-deftest kamailio-indentation ()
  (with-temp-buffer
    (kamailio-mode)
    (insert "request_route {\nif (1) {\nexit;\n}\n#!ifdef X\nxlog(\"x\");\n#!endif\n}\n")
    (indent-region (point-min) (point-max))
    (should (equal (buffer-string)
                   "request_route {\n\tif (1) {\n\t\texit;\n\t}\n#!ifdef X\n\txlog(\"x\");\n#!endif\n}\n"))))

(ert-deftest kamailio-lsp-registration ()
  (require 'eglot)
  (let ((kamailio-kcfg-program "kcfg")
        (kamailio-kcfg-version "5.6")
        (kamailio-kcfg-defines '("WITH_AUTH")))
    (let ((contact (alist-get 'kamailio-mode eglot-server-programs)))
      (should (functionp contact))
      (should (equal (funcall contact nil)
                     '("kcfg" "lsp" :initializationOptions (:kamailioVersion "5.6" :defines ["WITH_AUTH"])))))
    (let ((kamailio-kcfg-version nil) (kamailio-kcfg-defines nil))
      (should (equal (kamailio-kcfg-initialization-options) '(:defines []))))))

(defun kamailio-test-wait (pred seconds)
  "Process output until PRED is non-nil or SECONDS pass; return PRED's value."
  (let ((deadline (+ (float-time) seconds)) v)
    (while (and (not (setq v (funcall pred))) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    v))

(ert-deftest kamailio-eglot-live ()
  "Start `kcfg lsp' through eglot: diagnostics arrive, hover answers."
  (unless (equal (getenv "KCFG_TEST_LSP") "1")
    (ert-skip "`kcfg lsp' is not available"))
  (require 'eglot)
  (require 'flymake)
  (let* ((kamailio-kcfg-program (getenv "KCFG_BIN"))
         (kamailio-kcfg-version "5.6")
         (dir (file-name-as-directory (expand-file-name "lsp" kamailio-test-dir)))
         (file (kamailio-test-write
                "lsp/kamailio.cfg"
                "loadmodule \"sl.so\"\nrequest_route {\n\tsl_send_reply(\"200\", \"OK\")\n\texit;\n}\n")))
    (let ((default-directory dir))
      (call-process "git" nil nil nil "init" "-q" dir))
    (let ((buf (find-file-noselect file)))
      (unwind-protect
          (with-current-buffer buf
            (should (eq major-mode 'kamailio-mode))
            (apply #'eglot (eglot--guess-contact))
            (should (kamailio-test-wait (lambda () (eglot-current-server)) 20))
            (flymake-mode 1)
            (flymake-start)
            (let ((diags (kamailio-test-wait (lambda () (flymake-diagnostics)) 20)))
              (should diags)
              (should (seq-some (lambda (d) (string-match-p ";" (flymake-diagnostic-text d))) diags)))
            (let* ((pos (kamailio-test-pos 3 "sl_send_reply"))
                   (hover (save-excursion
                            (goto-char (+ pos 2))
                            (jsonrpc-request (eglot-current-server) :textDocument/hover
                                             (eglot--TextDocumentPositionParams))))
                   (contents (plist-get hover :contents))
                   (text (if (stringp contents) contents (format "%S" contents))))
              (should (string-match-p "sl" text)))
            (eglot-shutdown (eglot-current-server)))
        (kill-buffer buf)))))

;;; kamailio-mode-test.el ends here
