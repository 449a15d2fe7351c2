//! What every rule declares about itself.

use kcfg_diagnostics::Severity;

/// The category of a rule; it decides the hundreds of its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// KC2xx: script-language and module gotchas.
    Gotcha,
    /// KC3xx: call flow.
    CallFlow,
    /// KC4xx: preprocessor.
    Preprocessor,
    /// KC5xx: hygiene.
    Hygiene,
}

impl Category {
    /// The code prefix of the category (`KC2`).
    pub fn prefix(self) -> &'static str {
        match self {
            Category::Gotcha => "KC2",
            Category::CallFlow => "KC3",
            Category::Preprocessor => "KC4",
            Category::Hygiene => "KC5",
        }
    }
    /// A human name.
    pub fn title(self) -> &'static str {
        match self {
            Category::Gotcha => "Gotchas",
            Category::CallFlow => "Call flow",
            Category::Preprocessor => "Preprocessor",
            Category::Hygiene => "Hygiene",
        }
    }
}

/// Whether and how a rule fixes what it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixAvailability {
    /// No automatic fix.
    None,
    /// Fixes that keep the meaning (`kcfg check --fix`).
    Safe,
    /// Fixes that may change behaviour (`--fix --unsafe-fixes`).
    Unsafe,
}

/// What real Kamailio 5.6.3 says about the rule's `err` fixture; the
/// `lint_fixtures_vs_kamailio` test in `tests/` checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KamailioVerdict {
    /// `kamailio -c` accepts it: the rule finds what Kamailio never reports.
    Accepts,
    /// `kamailio -c` accepts it, but Kamailio fails when it starts.
    FailsAtStartup,
    /// `kamailio -c` rejects it too (the rule exists for its fix or a
    /// clearer message).
    Rejects,
}

/// A rule's identity and documentation.
#[derive(Debug, Clone, Copy)]
pub struct RuleMeta {
    /// Stable code (`KC201`).
    pub code: &'static str,
    /// Kebab-case name after the bad pattern (`string-concat-with-dot`).
    pub name: &'static str,
    /// Category.
    pub category: Category,
    /// Default severity.
    pub severity: Severity,
    /// One line.
    pub summary: &'static str,
    /// *What it does*.
    pub what: &'static str,
    /// *Why is this bad* (with what was measured on Kamailio 5.6.3).
    pub why: &'static str,
    /// *Example*: config text that the rule reports.
    pub example: &'static str,
    /// *Fix*: how to write it instead (prose and/or config text).
    pub fix: &'static str,
    /// A corrected version of [`RuleMeta::example`] the rule does not report.
    pub fixed_example: &'static str,
    /// Automatic fixes.
    pub fix_availability: FixAvailability,
    /// What Kamailio 5.6.3 does with the `err` fixture.
    pub kamailio: KamailioVerdict,
}

/// A rule: its metadata and its check.
#[derive(Clone, Copy)]
pub struct Rule {
    /// Identity and docs.
    pub meta: &'static RuleMeta,
    /// Adds the rule's findings (code and severity are filled in by the engine).
    pub check: fn(&crate::Ctx<'_>, &mut Vec<crate::Finding>),
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule")
            .field("code", &self.meta.code)
            .finish()
    }
}
