//! `kcfg expand`: the config after the preprocessor and includes, as
//! `kamailio --cfg-print` prints it.
//!
//! Kamailio's `--cfg-print` runs its lexer in a state of its own
//! (`CFGPRINTMODE` in `src/core/cfg.lex`) that copies the text character by
//! character and acts only on what the preprocessor needs:
//!
//! - `#!ifdef`/`#!ifndef`/`#!else`/`#!endif` lines are consumed (never
//!   printed), and the text of arms not taken is skipped;
//! - `#!define`/`#!trydef`/`#!redefine` (and `#!defenv` & co.) lines are
//!   printed as written and update the define table; defines are **not**
//!   substituted in the text;
//! - `include_file`/`import_file` and the file name after them are replaced
//!   by the included file's text (relative names are tried against the
//!   current directory, then the including file's directory);
//! - `loadmodule "x.so"` is printed and defines `MOD_x`, as loading the
//!   module does when Kamailio starts;
//! - comments are printed; inside a `/* */` comment no directive acts;
//! - characters no rule of the current lexer state matches are printed
//!   (flex's default rule).
//!
//! This module replays that state machine. The mode knows no strings: a
//! `/*` or `#` inside a quoted string starts a comment for it as well
//! (Kamailio's real parse does know strings, see the differential test in
//! `tests/tests/differential_expand.rs` for how often that matters).
//! `#!subst`/`#!substdef` are comments in this mode, so names defined by
//! `#!substdef` are not defined for `#!ifdef`.
//!
//! Kamailio predefines `KAMAILIO_X`, `KAMAILIO_X_Y` and `KAMAILIO_X_Y_Z` for
//! its version; they are defined here for the chosen version (not for
//! `master`, whose version number is not known).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use kcfg_modules::KamailioVersion;

use crate::loader::FileLoader;

/// Kamailio stops with "too many includes" beyond this many nested includes.
const MAX_INCLUDE_DEPTH: usize = 10;
/// Kamailio's `MAX_INCLUDE_FNAME`: longer include names are rejected.
const MAX_INCLUDE_FNAME: usize = 128;

/// Options of an expansion.
#[derive(Debug, Clone, Default)]
pub struct ExpandOptions {
    /// The Kamailio version (decides the predefined `KAMAILIO_*` names and
    /// whether `#!ifexp`/`#!defexp` are directives).
    pub version: KamailioVersion,
    /// `-D NAME[=VALUE]` (Kamailio's `-A`).
    pub defines: Vec<String>,
    /// The directory relative include names are tried against first
    /// (Kamailio's current directory); `None`: the name as written.
    pub cwd: Option<PathBuf>,
    /// Add a `# from FILE:LINE` comment before each output line whose
    /// source does not follow the previous line's.
    pub source_markers: bool,
}

/// A problem met while expanding. `fatal` ones stop Kamailio (and the
/// output) where they happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandError {
    /// The file, as its path was resolved.
    pub file: PathBuf,
    /// 1-based line.
    pub line: u32,
    /// What is wrong.
    pub message: String,
    /// Kamailio stops here.
    pub fatal: bool,
}

/// The expanded text and what went wrong.
#[derive(Debug, Clone, Default)]
pub struct Expansion {
    /// The text Kamailio's `--cfg-print` prints (plus source markers when
    /// asked for).
    pub text: String,
    /// Problems, in the order met.
    pub errors: Vec<ExpandError>,
    /// Every file read, main file first.
    pub files: Vec<PathBuf>,
}

impl Expansion {
    /// Whether Kamailio would stop before the end of the config.
    pub fn is_complete(&self) -> bool {
        !self.errors.iter().any(|e| e.fatal)
    }
}

/// Expand the config whose main file is `path` with text `text`.
///
/// ```
/// use kcfg_sema::{expand, ExpandOptions, MemoryLoader};
/// let mut files = MemoryLoader::new();
/// files.insert("r.cfg", "route[R] { exit; }\n");
/// let text = "#!ifdef A\nx=1\n#!else\ny=2\n#!endif\ninclude_file \"r.cfg\"\n";
/// let e = expand("k.cfg", text, &files, &ExpandOptions::default());
/// assert_eq!(e.text, "y=2\nroute[R] { exit; }\n\n");
/// ```
pub fn expand(
    path: impl AsRef<Path>,
    text: &str,
    loader: &dyn FileLoader,
    options: &ExpandOptions,
) -> Expansion {
    let mut ex = Expander::new(loader, options);
    ex.run(path.as_ref().to_path_buf(), text.to_string());
    ex.finish()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DefineKind {
    Define,
    TryDef,
    Redefine,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// `CFGPRINTMODE`: copy the text
    Print,
    /// `/* */`, with its nesting depth
    Comment(u32),
    /// after `#` or `//`
    LineComment,
    DefineId(DefineKind),
    DefineEol,
    DefineData,
    /// after `#!ifdef ` / `#!ifndef `
    IfdefId,
    IfdefEol,
    /// `#!ifexp ` (6.0): the expression to the end of the line
    IfexpExpr,
    /// inside an arm not taken
    Skip,
    /// after `include_file` (`true`: `import_file`)
    IncludeName(bool),
    /// after `loadmodule`
    LoadModule,
    /// after `#!defenv` and its variants (`true`: `trydefenv`)
    EnvId(bool),
}

struct Buffer {
    file: usize,
    text: String,
    pos: usize,
    line: u32,
}

struct Expander<'a> {
    loader: &'a dyn FileLoader,
    options: &'a ExpandOptions,
    out: String,
    /// (file, line) of the first character of each output line
    origins: Vec<(usize, u32)>,
    errors: Vec<ExpandError>,
    files: Vec<PathBuf>,
    defines: HashSet<String>,
    /// `pp_ifdef_stack`: whether each open `#!if` is taken
    ifs: Vec<bool>,
    state: State,
    stack: Vec<Buffer>,
    fatal: bool,
}

fn is_eat(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | 0x08 | b'\r')
}

fn is_letter_(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_alnum_(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'a> Expander<'a> {
    fn new(loader: &'a dyn FileLoader, options: &'a ExpandOptions) -> Self {
        let mut defines = HashSet::new();
        let full = options.version.full();
        let parts: Vec<&str> = full.split('.').collect();
        if parts.len() == 3 && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
            let mut name = String::from("KAMAILIO");
            for p in parts {
                name.push('_');
                name.push_str(p);
                defines.insert(name.clone());
            }
        }
        let mut errors = Vec::new();
        let mut fatal = false;
        for d in &options.defines {
            let name = d.split_once('=').map_or(d.as_str(), |(n, _)| n).trim();
            // Kamailio refuses `-A` of a defined name (its own KAMAILIO_* too) and stops
            if !name.is_empty() && !defines.insert(name.to_string()) {
                errors.push(ExpandError {
                    file: PathBuf::new(),
                    line: 0,
                    message: format!("error at define param: -A {d} (`{name}` is already defined)"),
                    fatal: true,
                });
                fatal = true;
            }
        }
        Expander {
            loader,
            options,
            out: String::new(),
            origins: Vec::new(),
            errors,
            files: Vec::new(),
            defines,
            ifs: Vec::new(),
            state: State::Print,
            stack: Vec::new(),
            fatal,
        }
    }

    fn finish(self) -> Expansion {
        let text = if self.options.source_markers {
            self.with_markers()
        } else {
            self.out
        };
        Expansion {
            text,
            errors: self.errors,
            files: self.files,
        }
    }

    fn with_markers(&self) -> String {
        let mut s = String::with_capacity(self.out.len() + self.origins.len() * 8);
        let mut prev: Option<(usize, u32)> = None;
        for (i, line) in self.out.split_inclusive('\n').enumerate() {
            let Some(&(file, no)) = self.origins.get(i) else {
                s.push_str(line);
                continue;
            };
            let follows = prev.is_some_and(|(f, l)| f == file && l + 1 == no);
            if !follows {
                s.push_str(&format!("# from {}:{no}\n", self.files[file].display()));
            }
            prev = Some((file, no));
            s.push_str(line);
        }
        s
    }

    fn more_versions(&self) -> bool {
        self.options.version != KamailioVersion::V5_6
    }

    fn error(&mut self, message: impl Into<String>, fatal: bool) {
        let (file, line) = self.stack.last().map_or((0, 1), |b| (b.file, b.line));
        self.errors.push(ExpandError {
            file: self.files.get(file).cloned().unwrap_or_default(),
            line,
            message: message.into(),
            fatal,
        });
        if fatal {
            self.fatal = true;
        }
    }

    fn run(&mut self, path: PathBuf, text: String) {
        self.files.push(path);
        if self.fatal {
            return;
        }
        self.stack.push(Buffer {
            file: 0,
            text,
            pos: 0,
            line: 1,
        });
        while !self.fatal {
            let Some(buf) = self.stack.last() else { break };
            if buf.pos >= buf.text.len() {
                // <<EOF>>: back to the including file, the lexer state unchanged
                self.stack.pop();
                continue;
            }
            self.step();
        }
    }

    /// Print `len` bytes at the current position and advance.
    fn print(&mut self, len: usize) {
        let buf = self.stack.last_mut().expect("a buffer");
        let s = &buf.text[buf.pos..buf.pos + len];
        let (file, mut line) = (buf.file, buf.line);
        for piece in s.split_inclusive('\n') {
            if self.out.is_empty() || self.out.ends_with('\n') {
                self.origins.push((file, line));
            }
            self.out.push_str(piece);
            if piece.ends_with('\n') {
                line += 1;
            }
        }
        Self::advance(buf, len);
    }

    /// Advance without printing.
    fn eat(&mut self, len: usize) {
        let buf = self.stack.last_mut().expect("a buffer");
        Self::advance(buf, len);
    }

    fn advance(buf: &mut Buffer, len: usize) {
        let s = &buf.text.as_bytes()[buf.pos..buf.pos + len];
        buf.line += s.iter().filter(|&&b| b == b'\n').count() as u32;
        buf.pos += len;
    }

    fn rest(&self) -> &[u8] {
        let buf = self.stack.last().expect("a buffer");
        &buf.text.as_bytes()[buf.pos..]
    }

    /// Length of one "character" for flex's `.`/default rule: a whole UTF-8
    /// sequence, so the output stays valid text.
    fn char_len(&self) -> usize {
        let buf = self.stack.last().expect("a buffer");
        buf.text[buf.pos..].chars().next().map_or(1, char::len_utf8)
    }

    /// `#!`/`!!` + one of `words` + (`EAT_ABLE+` when `ws_plus`): the
    /// longest such match.
    fn prep(rest: &[u8], words: &[&str], ws_plus: bool) -> Option<usize> {
        if !(rest.starts_with(b"#!") || rest.starts_with(b"!!")) {
            return None;
        }
        let after = &rest[2..];
        words
            .iter()
            .filter(|w| after.starts_with(w.as_bytes()))
            .filter_map(|w| {
                let n = 2 + w.len();
                let ws = rest[n..].iter().take_while(|&&b| is_eat(b)).count();
                if ws_plus && ws == 0 {
                    None
                } else {
                    Some(if ws_plus { n + ws } else { n })
                }
            })
            .max()
    }

    /// `#!else`/`#!endif` + `EAT_ABLE*` + newline.
    fn prep_line(rest: &[u8], word: &str) -> Option<usize> {
        let n = Self::prep(rest, &[word], false)?;
        let ws = rest[n..].iter().take_while(|&&b| is_eat(b)).count();
        (rest.get(n + ws) == Some(&b'\n')).then_some(n + ws + 1)
    }

    fn ifdef_words(&self) -> &'static [&'static str] {
        if self.more_versions() {
            &["ifdef", "ifndef", "ifexp"]
        } else {
            &["ifdef", "ifndef"]
        }
    }

    /// An `#!ifdef`/`#!ifndef`/`#!ifexp` at the start of `rest`: (length,
    /// keyword).
    fn if_directive(&self, rest: &[u8]) -> Option<(usize, &'static str)> {
        let n = Self::prep(rest, self.ifdef_words(), true)?;
        let word = if rest[2..].starts_with(b"ifndef") {
            "ifndef"
        } else if rest[2..].starts_with(b"ifexp") {
            "ifexp"
        } else {
            "ifdef"
        };
        Some((n, word))
    }

    fn start_if(&mut self, len: usize, word: &str) {
        self.eat(len);
        // pp_ifdef_type: `#!ifdef` starts as 1, `#!ifndef` as 0; the name flips it
        self.ifs.push(word != "ifndef");
        if word == "ifexp" {
            self.state = State::IfexpExpr;
        } else {
            self.state = State::IfdefId;
        }
    }

    fn update_state(&mut self) {
        self.state = if self.ifs.iter().all(|&t| t) {
            State::Print
        } else {
            State::Skip
        };
    }

    fn else_(&mut self, len: usize) {
        self.eat(len);
        match self.ifs.last_mut() {
            Some(t) => *t = !*t,
            None => {
                self.error(
                    "`#!else` without `#!ifdef` (Kamailio warns and ignores it)",
                    false,
                );
            }
        }
        self.update_state();
    }

    fn endif(&mut self, len: usize) {
        self.eat(len);
        if self.ifs.pop().is_none() {
            self.error(
                "`#!endif` without `#!ifdef` (Kamailio warns and ignores it)",
                false,
            );
        }
        self.update_state();
    }

    fn step(&mut self) {
        let rest = self.rest();
        let b = rest[0];
        match self.state {
            State::Print => self.step_print(),
            State::Skip => {
                if let Some((n, w)) = self.if_directive(rest) {
                    self.start_if(n, w);
                } else if let Some(n) = Self::prep_line(rest, "else") {
                    self.else_(n);
                } else if let Some(n) = Self::prep_line(rest, "endif") {
                    self.endif(n);
                } else {
                    let n = self.char_len();
                    self.eat(n);
                }
            }
            State::Comment(nest) => {
                if rest.starts_with(b"/*") {
                    self.print(2);
                    self.state = State::Comment(nest + 1);
                } else if rest.starts_with(b"*/") {
                    self.print(2);
                    self.state = if nest <= 1 {
                        State::Print
                    } else {
                        State::Comment(nest - 1)
                    };
                } else {
                    let n = self.char_len();
                    self.print(n);
                }
            }
            State::LineComment => {
                // `.*{CR}`; at the end of a file without a newline, flex's
                // default rule prints the rest and the state stays
                match rest.iter().position(|&c| c == b'\n') {
                    Some(i) => {
                        self.print(i + 1);
                        self.state = State::Print;
                    }
                    None => {
                        let n = rest.len();
                        self.print(n);
                    }
                }
            }
            State::DefineId(kind) => {
                if is_letter_(b) {
                    let n = rest.iter().take_while(|&&c| is_alnum_(c)).count();
                    if rest.get(n) == Some(&b'-') {
                        self.print(n + 1);
                        self.error("'-' not allowed in a define name", true);
                        return;
                    }
                    let name = String::from_utf8_lossy(&rest[..n]).into_owned();
                    self.print(n);
                    // a `#!define` of a defined name makes the lexer return an
                    // error token in the state it is in: the parser recovers
                    // and the next name read is taken as the define's name
                    if self.define(kind, name) {
                        self.state = State::DefineEol;
                    }
                } else {
                    let n = self.char_len();
                    self.print(n);
                }
            }
            State::DefineEol => {
                if is_eat(b) {
                    self.print(1);
                } else if b == b'\n' {
                    self.print(1);
                    self.state = State::Print;
                } else {
                    let n = self.char_len();
                    self.print(n);
                    self.state = State::DefineData;
                }
            }
            State::DefineData => {
                if rest.starts_with(b"\\\n") {
                    self.print(2);
                } else if b == b'\n' {
                    self.print(1);
                    self.state = State::Print;
                } else {
                    let n = self.char_len();
                    self.print(n);
                }
            }
            State::IfdefId => {
                if is_letter_(b) {
                    let n = rest.iter().take_while(|&&c| is_alnum_(c)).count();
                    if rest.get(n) == Some(&b'-') {
                        self.eat(n + 1);
                        self.error("'-' not allowed in a define name", true);
                        return;
                    }
                    let name = String::from_utf8_lossy(&rest[..n]).into_owned();
                    self.eat(n);
                    if !self.defines.contains(&name) {
                        if let Some(t) = self.ifs.last_mut() {
                            *t = !*t;
                        }
                    }
                    self.state = State::IfdefEol;
                } else {
                    let n = self.char_len();
                    self.print(n);
                }
            }
            State::IfdefEol => {
                let ws = rest.iter().take_while(|&&c| is_eat(c)).count();
                if rest.get(ws) == Some(&b'\n') {
                    self.eat(ws + 1);
                    self.update_state();
                } else {
                    let n = self.char_len();
                    self.print(n);
                }
            }
            State::IfexpExpr => {
                let n = rest
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(rest.len(), |i| i + 1);
                self.eat(n);
                self.error(
                    "`#!ifexp` is not evaluated by kcfg; its arm is taken as false",
                    false,
                );
                if let Some(t) = self.ifs.last_mut() {
                    *t = false;
                }
                self.update_state();
            }
            State::IncludeName(import) => {
                if b == b' ' || b == b'\t' {
                    self.eat(1);
                } else if b == b'\n' || b == b'\r' {
                    self.print(1);
                } else {
                    let n = rest
                        .iter()
                        .take_while(|&&c| !matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
                        .count();
                    let name = String::from_utf8_lossy(&rest[..n]).into_owned();
                    self.eat(n);
                    self.state = State::Print;
                    self.include(&name, import);
                }
            }
            State::LoadModule => {
                // `[ \t]*` is printed; a newline matches no rule (flex's default
                // rule prints it) and the state stays
                if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                    self.print(1);
                } else {
                    let n = rest
                        .iter()
                        .take_while(|&&c| !matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
                        .count();
                    let arg = String::from_utf8_lossy(&rest[..n]).into_owned();
                    self.print(n);
                    self.define_module(&arg);
                    self.state = State::Print;
                }
            }
            State::EnvId(try_) => {
                // `[ \t]*` is printed; a newline matches no rule (flex's default
                // rule prints it) and the state stays
                if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                    self.print(1);
                } else {
                    let n = rest
                        .iter()
                        .take_while(|&&c| !matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
                        .count();
                    let spec = String::from_utf8_lossy(&rest[..n]).into_owned();
                    self.print(n);
                    self.define_env(&spec, try_);
                    self.state = State::Print;
                }
            }
        }
    }

    fn step_print(&mut self) {
        let rest = self.rest();
        // the longest match among the rules of CFGPRINTMODE
        let mut best: Option<(usize, u8)> = None;
        let mut consider = |n: Option<usize>, rule: u8| {
            if let Some(n) = n {
                if best.is_none_or(|(bn, _)| n > bn) {
                    best = Some((n, rule));
                }
            }
        };
        let starts = |w: &str| rest.starts_with(w.as_bytes()).then_some(w.len());
        consider(starts("include_file"), 1);
        consider(Self::prep(rest, &["include_file"], false), 1);
        consider(starts("import_file"), 2);
        consider(Self::prep(rest, &["import_file"], false), 2);
        consider(starts("/*"), 3);
        consider(Self::prep(rest, &["define", "def"], true), 4);
        consider(Self::prep(rest, &["trydefine", "trydef"], true), 5);
        consider(Self::prep(rest, &["redefine", "redef"], true), 6);
        if self.more_versions() {
            // `#!defexp`/`#!defexps`: a define whose value is an expression
            consider(Self::prep(rest, &["defexp", "defexps"], true), 4);
        }
        consider(self.if_directive(rest).map(|(n, _)| n), 7);
        consider(Self::prep_line(rest, "else"), 8);
        consider(Self::prep_line(rest, "endif"), 9);
        consider(starts("#").or(starts("//")), 10);
        consider(Self::prep(rest, &["defenv", "defenvs"], false), 11);
        consider(Self::prep(rest, &["trydefenv", "trydefenvs"], false), 12);
        consider(starts("loadmodule"), 13);
        let Some((n, rule)) = best else {
            let n = self.char_len();
            self.print(n);
            return;
        };
        match rule {
            1 | 2 => {
                self.eat(n);
                self.state = State::IncludeName(rule == 2);
            }
            3 => {
                self.print(n);
                self.state = State::Comment(1);
            }
            4..=6 => {
                self.print(n);
                let kind = match rule {
                    4 => DefineKind::Define,
                    5 => DefineKind::TryDef,
                    _ => DefineKind::Redefine,
                };
                self.state = State::DefineId(kind);
            }
            7 => {
                let (n, w) = self.if_directive(rest).expect("matched above");
                self.start_if(n, w);
            }
            8 => self.else_(n),
            9 => self.endif(n),
            10 => {
                self.print(n);
                self.state = State::LineComment;
            }
            11 | 12 => {
                self.print(n);
                self.state = State::EnvId(rule == 12);
            }
            _ => {
                self.print(n);
                self.state = State::LoadModule;
            }
        }
    }

    /// Whether the define was accepted (a `#!define` of a defined name is
    /// not).
    fn define(&mut self, kind: DefineKind, name: String) -> bool {
        if self.defines.contains(&name) {
            if kind == DefineKind::Define {
                self.error(format!("already defined: {name}"), false);
                return false;
            }
            return true;
        }
        self.defines.insert(name);
        true
    }

    /// `#!defenv NAME=VAR` or `#!defenv VAR`: the name is defined when the
    /// environment variable is set (kcfg reads the environment of its own
    /// process, as Kamailio reads its own); `#!defenv` of an unset variable
    /// stops Kamailio, `#!trydefenv` does not.
    fn define_env(&mut self, spec: &str, try_: bool) {
        let (name, var) = spec.split_once('=').unwrap_or((spec, spec));
        if std::env::var_os(var).is_some() {
            self.defines.insert(name.to_string());
        } else if !try_ {
            self.error(
                format!("environment variable `{var}` is not set (`#!defenv`)"),
                true,
            );
        }
    }

    /// `ksr_cfg_print_define_module`: `MOD_name` for `loadmodule "…/name.so"`.
    fn define_module(&mut self, arg: &str) {
        if arg.len() <= 2 {
            return;
        }
        let mut m = arg;
        let b = m.as_bytes();
        if (b[0] == b'\'' && b[b.len() - 1] == b'\'') || (b[0] == b'"' && b[b.len() - 1] == b'"') {
            m = &m[1..m.len() - 1];
        }
        if m.len() > 3 && m.ends_with(".so") {
            m = &m[..m.len() - 3];
        }
        if arg.contains('/') {
            m = m.rsplit('/').next().unwrap_or(m);
        }
        if m.len() >= 60 {
            self.out
                .push_str(&format!("\n# ***** ERROR: too long module name: {arg}\n"));
            return;
        }
        let name = format!("MOD_{m}");
        if !self.defines.insert(name) {
            self.out.push_str(&format!(
                "\n# ***** ERROR: unable to set cfg define for module: {arg}\n"
            ));
        }
    }

    /// `sr_push_yy_state`.
    fn include(&mut self, written: &str, import: bool) {
        if self.stack.len() > MAX_INCLUDE_DEPTH {
            self.error("too many includes", true);
            return;
        }
        if written.len() >= MAX_INCLUDE_FNAME {
            self.error(format!("included file name too long: {written}"), true);
            return;
        }
        let quoted = written.len() >= 2 && written.starts_with('"') && written.ends_with('"');
        if !quoted {
            self.error(
                format!("included file name must be between quotes: {written}"),
                true,
            );
            return;
        }
        let mut name = String::new();
        let mut chars = written[1..written.len() - 1].chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                name.push(c);
                continue;
            }
            match chars.next() {
                Some('t') => name.push('\t'),
                Some('n') => name.push('\n'),
                Some('r') => name.push('\r'),
                Some(o) => name.push(o),
                None => {
                    self.error(
                        format!("invalid escape in included file name: {written}"),
                        true,
                    );
                    return;
                }
            }
        }
        if name.is_empty() {
            self.error(format!("invalid included file name: {written}"), true);
            return;
        }
        let p = PathBuf::from(&name);
        let mut candidates = vec![match (&self.options.cwd, p.is_absolute()) {
            (Some(c), false) => c.join(&p),
            _ => p.clone(),
        }];
        if !p.is_absolute() {
            let cur = self.stack.last().map_or(0, |b| b.file);
            // Kamailio: the including file's name up to its last `/`
            let cur_path = self.files[cur].to_string_lossy().into_owned();
            if let Some(i) = cur_path.rfind('/') {
                let c = PathBuf::from(format!("{}/{}", &cur_path[..i], name));
                if !candidates.contains(&c) {
                    candidates.push(c);
                }
            }
        }
        for c in &candidates {
            match self.loader.read(c) {
                Ok(text) => {
                    self.files.push(c.clone());
                    let file = self.files.len() - 1;
                    self.stack.push(Buffer {
                        file,
                        text,
                        pos: 0,
                        line: 1,
                    });
                    return;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    self.error(format!("cannot read `{}`: {e}", c.display()), true);
                    return;
                }
            }
        }
        if import {
            return;
        }
        let tried = candidates
            .iter()
            .map(|c| format!("`{}`", c.display()))
            .collect::<Vec<_>>()
            .join(" and ");
        self.error(
            format!("cannot open included file {written} (tried {tried})"),
            true,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryLoader;

    fn ex(text: &str, defines: &[&str]) -> Expansion {
        let opts = ExpandOptions {
            version: KamailioVersion::V5_6,
            defines: defines.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        expand("k.cfg", text, &MemoryLoader::new(), &opts)
    }

    #[test]
    fn arms_and_directives() {
        let t = "#!define A 1\n#!ifdef A\na\n#!else\nb\n#!endif\n#!ifndef B\nc\n#!endif\n";
        assert_eq!(ex(t, &[]).text, "#!define A 1\na\nc\n");
        assert_eq!(ex("#!ifdef B\nx\n#!endif\n", &["B=2"]).text, "x\n");
        // nested, the inner arm inside a skipped one stays skipped
        let t = "#!ifdef X\n#!ifdef Y\n1\n#!else\n2\n#!endif\n#!else\n3\n#!endif\n";
        assert_eq!(ex(t, &[]).text, "3\n");
        assert_eq!(ex(t, &["X"]).text, "2\n");
    }

    #[test]
    fn defining_a_defined_name_stops() {
        let e = ex("x\n", &["KAMAILIO_5_6"]);
        assert_eq!(e.text, "");
        assert!(!e.is_complete());
        assert!(ex("x\n", &["A", "A=1"]).errors[0].fatal);
    }

    #[test]
    fn predefined_version_and_modules() {
        let t = "#!ifdef KAMAILIO_5_6\nv\n#!endif\nloadmodule \"/x/tm.so\"\n#!ifdef MOD_tm\nm\n#!endif\n";
        assert_eq!(ex(t, &[]).text, "v\nloadmodule \"/x/tm.so\"\nm\n");
    }

    #[test]
    fn comments_hide_directives() {
        let t = "/* #!ifdef X\n*/\n// #!ifdef Y\nz\n";
        assert_eq!(ex(t, &[]).text, t);
        // a directive with a trailing comment is no directive: a comment line
        assert_eq!(ex("#!endif // x\n", &[]).text, "#!endif // x\n");
    }

    #[test]
    fn duplicate_define_stops() {
        // the lexer stays in its define-name state: `x` is defined next
        let e = ex("#!define A\n#!define A\nx\n#!ifdef x\ny\n#!endif\n", &[]);
        assert_eq!(e.text, "#!define A\n#!define A\nx\ny\n");
        assert_eq!(e.errors[0].message, "already defined: A");
        assert!(e.is_complete());
    }

    #[test]
    fn includes_and_markers() {
        let mut files = MemoryLoader::new();
        files.insert("dir/a.cfg", "a1\n#!ifdef Q\nq\n#!endif\na2\n");
        let opts = ExpandOptions {
            source_markers: true,
            ..Default::default()
        };
        let t = "x\ninclude_file \"a.cfg\"\ny\n";
        let e = expand("dir/k.cfg", t, &files, &opts);
        assert_eq!(
            e.text,
            "# from dir/k.cfg:1\nx\n# from dir/a.cfg:1\na1\n# from dir/a.cfg:5\na2\n# from dir/k.cfg:2\n\ny\n"
        );
        let e = expand("dir/k.cfg", "include_file \"nope.cfg\"\nz\n", &files, &opts);
        assert!(!e.is_complete());
        assert!(e.errors[0].message.contains("nope.cfg"));
        // import_file of a missing file is silently skipped
        let e = expand("dir/k.cfg", "import_file \"nope.cfg\"\nz\n", &files, &opts);
        assert!(e.is_complete());
    }

    #[test]
    fn include_cycle_is_bounded() {
        let mut files = MemoryLoader::new();
        files.insert("a.cfg", "include_file \"a.cfg\"\n");
        let e = expand(
            "a.cfg",
            "include_file \"a.cfg\"\n",
            &files,
            &ExpandOptions::default(),
        );
        assert!(e.errors.iter().any(|e| e.message == "too many includes"));
    }
}
