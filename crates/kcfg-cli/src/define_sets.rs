//! Checking one config for several define sets: `kcfg check --all-defines`
//! and `[check] define-sets` in `kcfg.toml`.
//!
//! Each set is checked as if its names were given with `-D` (after the
//! command line's own `-D`s); the findings are merged: a finding reported
//! for several sets is shown once, with a note naming the sets
//! (`with defines: WITH_MYSQL, WITH_AUTH`), and without a note when every
//! set has it.
//!
//! `--all-defines` toggles the names the config tests with
//! `#!ifdef`/`#!ifndef` (in the main file and what it includes), except
//! names the config defines itself with `#!define`/`#!substdef` (giving
//! them with `-D` too would be Kamailio's "already defined" error) or
//! defines unconditionally, and except names whose `#!ifdef` blocks hold
//! text that is not config at all (the stock config's `ACCDB_COMMENT` fences
//! off SQL: its block fails to parse from its first line). Up to
//! [`MAX_EXHAUSTIVE`] names, every combination is checked; beyond that
//! each name alone, all of them and none.

use std::collections::{BTreeSet, HashMap};

use kcfg_diagnostics::{Diagnostic, FileId, Files};
use kcfg_syntax::ast::AstNode;
use kcfg_syntax::pp::Directive;
use kcfg_syntax::{SyntaxKind, SyntaxNode, TextRange};

use crate::check::{self, CheckOptions};

/// Up to this many names, `--all-defines` checks all 2^n combinations.
pub const MAX_EXHAUSTIVE: usize = 8;

/// The names added to the command-line defines for one check.
pub type DefineSet = Vec<String>;

/// What the `#!ifdef`/`#!ifndef` names of a config are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IfdefNames {
    /// Toggled by `--all-defines`, in name order.
    pub free: Vec<String>,
    /// Defined by the config itself (or on the command line): not toggled.
    pub defined: Vec<String>,
    /// Only fence off text that is not config (a comment): not toggled.
    pub comments: Vec<String>,
}

/// The define sets to check and how they were chosen (one sentence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub sets: Vec<DefineSet>,
    pub summary: String,
}

fn keyword(node: &SyntaxNode) -> Option<Directive> {
    node.children_with_tokens()
        .filter_map(|e| e.into_token())
        .find(|t| t.kind() == SyntaxKind::PP_KEYWORD)
        .map(|t| Directive::from_keyword(t.text()))
}

fn pp_name(node: &SyntaxNode) -> Option<String> {
    node.children_with_tokens()
        .filter_map(|e| e.into_token())
        .find(|t| t.kind() == SyntaxKind::PP_NAME)
        .map(|t| t.text().to_string())
}

/// Whether an `#!ifdef` arm is not config text: a syntax error on the line
/// of its first token.
fn arm_is_not_config(text: &str, arm: &SyntaxNode, errors: &[TextRange]) -> bool {
    let Some(first) = arm
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !t.kind().is_trivia())
        .find(|t| {
            t.parent()
                .is_none_or(|p| p.kind() != SyntaxKind::PP_DIRECTIVE)
        })
    else {
        return false;
    };
    let start = usize::from(first.text_range().start());
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    errors.iter().any(|e| {
        let s = usize::from(e.start());
        s >= start && s <= line_end && e.end() <= arm.text_range().end()
    })
}

/// The `#!ifdef`/`#!ifndef` names of a model's files, sorted into what
/// `--all-defines` toggles and what it leaves alone. `base` are the
/// command-line defines.
pub fn ifdef_names(model: &kcfg_sema::Model, base: &[String]) -> IfdefNames {
    let mut tested = BTreeSet::new();
    let mut defined: BTreeSet<String> = base
        .iter()
        .map(|d| d.split_once('=').map_or(d.as_str(), |(n, _)| n).to_string())
        .collect();
    // per name: (arms that turn it on, of which are not config)
    let mut on_arms: HashMap<String, (usize, usize)> = HashMap::new();
    for f in &model.files {
        let root = f.parse.syntax_node();
        let errors: Vec<TextRange> = f
            .parse
            .errors()
            .iter()
            .chain(f.parse.inactive_errors())
            .map(|e| e.unexpected.unwrap_or(e.range))
            .collect();
        for node in root.descendants() {
            match node.kind() {
                SyntaxKind::PP_DIRECTIVE => {
                    if matches!(keyword(&node), Some(Directive::IfDef | Directive::IfNDef)) {
                        if let Some(n) = pp_name(&node) {
                            tested.insert(n);
                        }
                    }
                }
                SyntaxKind::PP_DEFINE => {
                    let Some(n) = pp_name(&node) else { continue };
                    let conditional = node.ancestors().any(|a| a.kind() == SyntaxKind::PP_ARM);
                    // `#!trydef` inside an arm does not collide with `-D`
                    if !conditional || keyword(&node) != Some(Directive::TryDef) {
                        defined.insert(n);
                    }
                }
                SyntaxKind::PP_SUBST => {
                    if let Some(s) = kcfg_syntax::ast::PpSubst::cast(node.clone()) {
                        if let Some((n, _)) = s.defined_name_value() {
                            defined.insert(n);
                        }
                    }
                }
                SyntaxKind::PP_DEFENV
                    if node.ancestors().all(|a| a.kind() != SyntaxKind::PP_ARM) =>
                {
                    if let Some(t) = node
                        .children_with_tokens()
                        .filter_map(|e| e.into_token())
                        .find(|t| t.kind() == SyntaxKind::PP_BODY)
                    {
                        let body = t.text().trim();
                        let n = body.split_once('=').map_or(body, |(n, _)| n).trim();
                        defined.insert(n.to_string());
                    }
                }
                SyntaxKind::PP_IF => {
                    // the arm each `#!ifdef X` / `#!ifndef X ... #!else` turns on
                    let arms: Vec<SyntaxNode> = node
                        .children()
                        .filter(|a| a.kind() == SyntaxKind::PP_ARM)
                        .collect();
                    let Some(head) = arms
                        .first()
                        .and_then(|a| a.children().find(|c| c.kind() == SyntaxKind::PP_DIRECTIVE))
                    else {
                        continue;
                    };
                    let Some(name) = pp_name(&head) else { continue };
                    let on = match keyword(&head) {
                        Some(Directive::IfDef) => arms.first(),
                        Some(Directive::IfNDef) => arms.get(1),
                        _ => None,
                    };
                    let entry = on_arms.entry(name).or_default();
                    entry.0 += 1;
                    if on.is_some_and(|a| arm_is_not_config(&f.text, a, &errors)) {
                        entry.1 += 1;
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = IfdefNames::default();
    for n in tested {
        if defined.contains(&n) {
            out.defined.push(n);
        } else if on_arms
            .get(&n)
            .is_some_and(|(all, bad)| *all > 0 && all == bad)
        {
            out.comments.push(n);
        } else {
            out.free.push(n);
        }
    }
    out
}

fn list(names: &[String]) -> String {
    names.join(", ")
}

/// The sets `--all-defines` checks for these names.
pub fn all_defines_plan(names: &IfdefNames) -> Plan {
    let free = &names.free;
    let n = free.len();
    let mut sets: Vec<DefineSet> = Vec::new();
    let mut summary = if n == 0 {
        sets.push(Vec::new());
        "the config tests no define with #!ifdef/#!ifndef that could be toggled: checked once"
            .to_string()
    } else if n <= MAX_EXHAUSTIVE {
        for mask in 0u32..(1 << n) {
            sets.push(
                (0..n)
                    .filter(|i| mask & (1 << i) != 0)
                    .map(|i| free[i].clone())
                    .collect(),
            );
        }
        format!(
            "checked all {} combinations of {n} define{}: {}",
            sets.len(),
            if n == 1 { "" } else { "s" },
            list(free)
        )
    } else {
        sets.push(Vec::new());
        sets.extend(free.iter().map(|f| vec![f.clone()]));
        sets.push(free.clone());
        format!(
            "checked {} define sets: none, each of {n} defines alone, and all of them \
             (more than {MAX_EXHAUSTIVE} defines: not every combination; list the ones you \
             deploy in kcfg.toml `[check] define-sets`): {}",
            sets.len(),
            list(free)
        )
    };
    if !names.comments.is_empty() {
        summary.push_str(&format!(
            "; not toggled: {} (its #!ifdef block is not config text)",
            list(&names.comments)
        ));
    }
    Plan { sets, summary }
}

/// How a set is named in notes: its names, `(none)` for the empty set,
/// and `all of NAME, ...` (the first three) for a set of more than five.
pub fn set_label(set: &[String]) -> String {
    match set.len() {
        0 => "(none)".to_string(),
        1..=5 => set.join(", "),
        n => format!("all {n} of {}, …", set[..3].join(", ")),
    }
}

/// The note for a finding reported with `sets` (of `total` sets checked);
/// `None` when every set has it.
pub fn note_for(sets: &[&DefineSet], total: usize) -> Option<String> {
    if sets.len() >= total {
        return None;
    }
    const SHOWN: usize = 5;
    let mut labels: Vec<String> = sets.iter().take(SHOWN).map(|s| set_label(s)).collect();
    if sets.len() > SHOWN {
        labels.push(format!("… and {} more define sets", sets.len() - SHOWN));
    }
    Some(format!("with defines: {}", labels.join(" | ")))
}

/// The file in `files` with this path and text, added when missing.
fn same_file(files: &mut Files, path: &str, text: &str) -> FileId {
    let found = files
        .iter()
        .find(|(_, f)| f.path() == path && f.text() == text)
        .map(|(id, _)| id);
    found.unwrap_or_else(|| files.add(path, text))
}

/// Check the file `file` (already in `files`) once per define set and merge
/// the findings (see the module docs). Included files with findings are
/// added to `files` once.
pub fn check_sets(
    files: &mut Files,
    file: FileId,
    options: &CheckOptions,
    sets: &[DefineSet],
) -> Vec<Diagnostic> {
    let path = files.get(file).path().to_string();
    let text = files.get(file).text().to_string();
    let run = |set: &DefineSet| -> (Files, FileId, Vec<Diagnostic>) {
        let mut scratch = Files::new();
        let id = scratch.add(path.clone(), text.clone());
        let mut opts = options.clone();
        for d in set {
            if !opts.defines.contains(d) {
                opts.defines.push(d.clone());
            }
        }
        let diags = check::check_source(&mut scratch, id, &opts);
        (scratch, id, diags)
    };
    // the sets are independent: check them on all cores
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(sets.len())
        .max(1);
    let results: Vec<(Files, FileId, Vec<Diagnostic>)> = if workers == 1 {
        sets.iter().map(run).collect()
    } else {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut slots: Vec<Option<(Files, FileId, Vec<Diagnostic>)>> =
            (0..sets.len()).map(|_| None).collect();
        let done = std::sync::Mutex::new(&mut slots);
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(set) = sets.get(i) else { break };
                    let r = run(set);
                    done.lock().expect("no panic while holding the lock")[i] = Some(r);
                });
            }
        });
        slots
            .into_iter()
            .map(|r| r.expect("every set checked"))
            .collect()
    };
    // merge, in the order of first appearance
    let mut merged: Vec<(Diagnostic, Vec<usize>)> = Vec::new();
    let mut index: HashMap<Diagnostic, usize> = HashMap::new();
    for (set_idx, (scratch, main, diags)) in results.into_iter().enumerate() {
        let mut ids: HashMap<FileId, FileId> = HashMap::new();
        ids.insert(main, file);
        for mut d in diags {
            let target = *ids.entry(d.file).or_insert_with(|| {
                let f = scratch.get(d.file);
                same_file(files, f.path(), f.text())
            });
            d.file = target;
            match index.get(&d) {
                Some(&i) => merged[i].1.push(set_idx),
                None => {
                    index.insert(d.clone(), merged.len());
                    merged.push((d, vec![set_idx]));
                }
            }
        }
    }
    merged
        .into_iter()
        .map(|(d, in_sets)| {
            let shown: Vec<&DefineSet> = in_sets.iter().map(|&i| &sets[i]).collect();
            match note_for(&shown, sets.len()) {
                Some(n) => d.with_note(n),
                None => d,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(free: &[&str]) -> IfdefNames {
        IfdefNames {
            free: free.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn exhaustive_up_to_eight() {
        let p = all_defines_plan(&names(&["A", "B"]));
        assert_eq!(
            p.sets,
            vec![
                vec![],
                vec!["A".to_string()],
                vec!["B".to_string()],
                vec!["A".to_string(), "B".to_string()]
            ]
        );
        assert!(p
            .summary
            .starts_with("checked all 4 combinations of 2 defines"));
        let eight: Vec<String> = (0..8).map(|i| format!("W{i}")).collect();
        let p = all_defines_plan(&IfdefNames {
            free: eight,
            ..Default::default()
        });
        assert_eq!(p.sets.len(), 256);
    }

    #[test]
    fn each_alone_beyond_eight() {
        let nine: Vec<String> = (0..9).map(|i| format!("W{i}")).collect();
        let p = all_defines_plan(&IfdefNames {
            free: nine.clone(),
            comments: vec!["X_COMMENT".into()],
            ..Default::default()
        });
        assert_eq!(p.sets.len(), 11);
        assert_eq!(p.sets[0], Vec::<String>::new());
        assert_eq!(p.sets[1], vec!["W0".to_string()]);
        assert_eq!(p.sets[10], nine);
        assert!(p.summary.contains("not every combination"), "{}", p.summary);
        assert!(
            p.summary.contains("not toggled: X_COMMENT"),
            "{}",
            p.summary
        );
        let p = all_defines_plan(&names(&[]));
        assert_eq!(p.sets, vec![Vec::<String>::new()]);
    }

    #[test]
    fn notes() {
        let a = vec!["A".to_string(), "B".to_string()];
        let none: DefineSet = vec![];
        assert_eq!(note_for(&[&a], 1), None);
        assert_eq!(note_for(&[&a, &none], 2), None);
        assert_eq!(note_for(&[&a], 2).unwrap(), "with defines: A, B");
        assert_eq!(
            note_for(&[&a, &none], 3).unwrap(),
            "with defines: A, B | (none)"
        );
        let many: Vec<DefineSet> = (0..7).map(|i| vec![format!("W{i}")]).collect();
        let refs: Vec<&DefineSet> = many.iter().collect();
        assert!(note_for(&refs, 10)
            .unwrap()
            .ends_with("… and 2 more define sets"));
    }

    fn model(text: &str) -> kcfg_sema::Model {
        kcfg_sema::Model::build(
            "k.cfg",
            text,
            &kcfg_sema::MemoryLoader::new(),
            &kcfg_sema::SemaOptions::default(),
        )
    }

    #[test]
    fn names_the_config_defines_are_not_toggled() {
        let m = model(
            "#!define FLT_ACC 1\n#!ifdef WITH_A\n#!define DBURL \"x\"\n#!trydef WITH_H\n#!endif\n\
             #!ifdef DBURL\n#!endif\n#!ifndef WITH_H\n#!endif\n#!ifdef FLT_ACC\n#!endif\n\
             #!ifdef X_COMMENT\n  ALTER TABLE acc ADD COLUMN x;\n#!endif\n\
             #!ifdef WITH_CLI\n#!endif\nrequest_route {\n\tdrop;\n}\n",
        );
        let n = ifdef_names(&m, &["WITH_CLI".to_string()]);
        assert_eq!(n.free, vec!["WITH_A", "WITH_H"]);
        assert_eq!(n.defined, vec!["DBURL", "FLT_ACC", "WITH_CLI"]);
        assert_eq!(n.comments, vec!["X_COMMENT"]);
    }

    #[test]
    fn a_broken_config_arm_is_still_toggled() {
        // the first line is config: the block is checked (and its error found)
        let m = model(
            "#!ifdef WITH_X\nloadmodule \"sl.so\"\nrequest_route { drop }\n#!endif\nrequest_route {\n\tdrop;\n}\n",
        );
        let n = ifdef_names(&m, &[]);
        assert_eq!(n.free, vec!["WITH_X"]);
    }
}
