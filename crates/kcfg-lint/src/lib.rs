//! # kcfg-lint — the mistakes Kamailio accepts
//!
//! Lint rules run on the resolved model of `kcfg-sema` ([`kcfg_sema::Model`]) and
//! its concrete syntax trees. Each rule is one file in `src/rules/` with its
//! documentation as structured constants ([`RuleMeta`]) and a `check` function;
//! [`registry::RULES`] is the one table of all of them (code → rule).
//!
//! Codes (never reused, never renamed; a renamed rule keeps its code):
//!
//! | range | category |
//! | --- | --- |
//! | KC2xx | script-language and module gotchas |
//! | KC3xx | call flow |
//! | KC4xx | preprocessor |
//! | KC5xx | hygiene (suppression comments, duplicates) |
//!
//! KC0xx (syntax, `kcfg-diagnostics`) and KC1xx (semantic checks, `kcfg-sema`)
//! are not lint rules; selection ([`Settings`]) applies to lint rules only,
//! suppression comments to every code.
//!
//! Severity follows `kcfg-sema`'s rule: **error** only where real Kamailio
//! refuses the config (`kamailio -c` or its start-up fails, measured for each
//! such rule), **warning** where Kamailio accepts it but it does not do what
//! it says, **info** for likely mistakes that can be deliberate.
//!
//! ```
//! use kcfg_sema::{MemoryLoader, Model, SemaOptions};
//! let text = "loadmodule \"sl.so\"\nrequest_route {\n\tsl_send_reply(\"404\", \"x\");\n\tsl_send_reply(\"200\", \"y\");\n}\n";
//! let model = Model::build("k.cfg", text, &MemoryLoader::new(), &SemaOptions::default());
//! let out = kcfg_lint::lint(&model, &kcfg_lint::Settings::default());
//! assert_eq!(out.findings[0].code, "KC301");
//! ```

mod cache;
mod ctx;
pub mod docs;
pub mod fix;
pub mod registry;
mod rule;
pub mod rules;
pub mod settings;
pub mod suppress;
mod words;

pub use cache::LintCache;
pub use ctx::{inactive_ranges, Ctx, ModParamInfo, Nodes};
pub use fix::{apply_fixes, Applicability, Edit, Fix};
pub use registry::{by_code_or_name, RULES};
pub use rule::{Category, FixAvailability, KamailioVerdict, Rule, RuleMeta};
pub use settings::{Selector, Settings};

use kcfg_diagnostics::Severity;
use kcfg_sema::{FileIdx, Model};
use kcfg_syntax::TextRange;

/// One finding of a lint rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule's code (`KC201`).
    pub code: &'static str,
    /// The rule's default severity.
    pub severity: Severity,
    /// The file of the model the range is in.
    pub file: FileIdx,
    /// What the finding points at.
    pub range: TextRange,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Secondary places in the same file.
    pub labels: Vec<(TextRange, String)>,
    /// An automatic fix, when the rule has one.
    pub fix: Option<Fix>,
}

/// What [`lint`] returns.
#[derive(Debug, Clone, Default)]
pub struct LintResult {
    /// The findings of the selected rules that no suppression comment
    /// silenced, plus the findings about suppression comments themselves
    /// (KC501/KC502), in file and offset order.
    pub findings: Vec<Finding>,
    /// For each of `model.diagnostics` (the KC1xx checks of `kcfg-sema`):
    /// whether a suppression comment silences it.
    pub sema_suppressed: Vec<bool>,
}

/// Run the rules selected by `settings` on `model` (main file path for the
/// per-file settings is `model.files[0].path`). No memo is read or kept
/// (a single check); [`lint_cached`] keeps them for the next lint of the
/// same config.
pub fn lint(model: &Model, settings: &Settings) -> LintResult {
    suppress(model, settings, rules(&Ctx::new(model), settings))
}

/// [`lint`] with the rules' memos of the last lint with `cache` (of an
/// earlier version of the same config), keeping this one's there: the
/// same result, less work when an edit left most route blocks' trees as
/// they were (see [`LintCache`]).
pub fn lint_cached(model: &Model, settings: &Settings, cache: &LintCache) -> LintResult {
    let ctx = Ctx::with_nodes(model, Nodes::collect(&ctx::trees(model)), Some(cache));
    suppress(model, settings, rules(&ctx, settings))
}

/// What the rules found in a model, before suppression comments are
/// applied ([`suppress()`] applies them).
pub struct RuleFindings(Vec<Finding>);

/// The rules of [`lint`] on `model`, with the nodes of its trees collected
/// before (see [`Nodes`]): `deliver` gets the findings before the nodes
/// are freed (a caller on another thread can go on with them meanwhile).
/// The model's `diagnostics` are not read (only [`suppress()`] reads them).
/// Nodes of other trees than the model's are not used (they are collected
/// again). The rules' memos are read from and kept in `cache` (as
/// [`lint_cached`]); none without one (as [`lint`]).
pub fn lint_rules_with_nodes(
    model: &Model,
    settings: &Settings,
    nodes: Nodes,
    cache: Option<&LintCache>,
    deliver: impl FnOnce(RuleFindings),
) {
    let nodes = if nodes.of(model) {
        nodes
    } else {
        Nodes::collect(&ctx::trees(model))
    };
    let ctx = Ctx::with_nodes(model, nodes, cache);
    deliver(rules(&ctx, settings));
}

fn rules(ctx: &Ctx<'_>, settings: &Settings) -> RuleFindings {
    let model = ctx.model;
    let mut findings = Vec::new();
    let broken: Vec<bool> = model
        .files
        .iter()
        .map(|f| {
            f.parse
                .errors()
                .iter()
                .any(|e| !e.message.contains("concatenation"))
        })
        .collect();
    // code in `#!ifdef` arms not taken with these defines is not linted
    // (`kcfg check --all-defines` checks the other define sets)
    // (computed only for files with findings)
    let mut inactive: Vec<Option<Vec<TextRange>>> = vec![None; model.files.len()];
    for rule in RULES {
        let meta = rule.meta;
        if meta.code == rules::unused_suppression::META.code
            || meta.code == rules::unknown_suppression::META.code
        {
            continue;
        }
        // a rule deselected for every file is not run
        if !model.files.iter().any(|f| settings.enabled(meta, &f.path)) {
            continue;
        }
        let mut out = Vec::new();
        (rule.check)(ctx, &mut out);
        for mut f in out {
            // a file Kamailio rejects for its syntax is linted only for the
            // `.` operator (KC201): the rest of its tree is error recovery
            if meta.code != rules::string_concat_with_dot::META.code && broken[f.file.0] {
                continue;
            }
            let ranges =
                inactive[f.file.0].get_or_insert_with(|| ctx::inactive_ranges(model, f.file));
            if ctx::inside(ranges, f.range) {
                continue;
            }
            let path = &model.file(f.file).path;
            if !settings.enabled(meta, path) {
                continue;
            }
            f.code = meta.code;
            f.severity = meta.severity;
            findings.push(f);
        }
    }
    RuleFindings(findings)
}

/// The lint result of the rules' findings in `model` (as [`lint`] returns
/// it): the suppression comments of the model's files applied to the
/// findings and to the model's diagnostics, and the findings about the
/// comments themselves. `found` must be the findings of the same files
/// (a model that differs only in its `diagnostics` is the same).
pub fn suppress(model: &Model, settings: &Settings, found: RuleFindings) -> LintResult {
    let mut findings = found.0;
    let mut suppressions = suppress::Suppressions::collect(model);
    findings.retain(|f| !suppressions.take(f.file, f.range, f.code, model));
    let sema_suppressed = model
        .diagnostics
        .iter()
        .map(|d| suppressions.take(d.file, d.range, d.code, model))
        .collect();
    findings.extend(suppressions.problems(model, settings));
    findings
        .sort_by(|a, b| (a.file, a.range.start(), a.code).cmp(&(b.file, b.range.start(), b.code)));
    findings.dedup_by(|a, b| a.file == b.file && a.range == b.range && a.code == b.code);
    LintResult {
        findings,
        sema_suppressed,
    }
}

impl Finding {
    /// A finding for the rule running it (code and severity are set by [`lint`]).
    pub fn new(file: FileIdx, range: TextRange, message: impl Into<String>) -> Finding {
        Finding {
            code: "",
            severity: Severity::Warning,
            file,
            range,
            message: message.into(),
            help: None,
            labels: Vec::new(),
            fix: None,
        }
    }
    /// Set the help text.
    pub fn help(mut self, h: impl Into<String>) -> Finding {
        self.help = Some(h.into());
        self
    }
    /// Add a secondary label.
    pub fn label(mut self, r: TextRange, m: impl Into<String>) -> Finding {
        self.labels.push((r, m.into()));
        self
    }
    /// Attach a fix.
    pub fn fix(mut self, f: Fix) -> Finding {
        self.fix = Some(f);
        self
    }
}

/// The diagnostic of a finding, in `file` of a [`kcfg_diagnostics::Files`]
/// map; the fix, when there is one, is named in a note.
pub fn to_diagnostic(f: &Finding, file: kcfg_diagnostics::FileId) -> kcfg_diagnostics::Diagnostic {
    let mut d =
        kcfg_diagnostics::Diagnostic::new(f.code, f.severity, file, f.range, f.message.clone());
    if let Some(h) = &f.help {
        d = d.with_help(h.clone());
    }
    for (r, m) in &f.labels {
        d = d.with_label(*r, m.clone());
    }
    if let Some(fix) = &f.fix {
        let how = match fix.applicability {
            Applicability::Safe => "`kcfg check --fix`",
            Applicability::Unsafe => "`kcfg check --fix --unsafe-fixes`",
        };
        d = d.with_note(format!("fix available with {how}: {}", fix.message));
    }
    d
}
