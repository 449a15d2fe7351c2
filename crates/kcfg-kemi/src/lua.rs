//! Lua scripts (app_lua), read with `full_moon`.

use full_moon::ast::{Call, Expression, FunctionArgs, FunctionCall, Index, Prefix, Suffix};
use full_moon::node::Node;
use full_moon::tokenizer::TokenReference;
use full_moon::visitors::Visitor;

use crate::{KemiCall, ScriptFacts};

/// The calls and function definitions of a Lua script.
pub(crate) fn facts(text: &str) -> ScriptFacts {
    let mut facts = ScriptFacts::default();
    let ast = match full_moon::parse(text) {
        Ok(ast) => ast,
        Err(errors) => {
            // the first error; the parser's recovery makes the others follow-ups
            for e in errors.into_iter().take(1) {
                let (start, end) = e.range();
                facts.syntax_errors.push((
                    start.bytes()..end.bytes().max(start.bytes()),
                    e.error_message().into_owned(),
                ));
            }
            return facts;
        }
    };
    let mut v = Collector { facts: &mut facts };
    v.visit_ast(&ast);
    facts
}

struct Collector<'a> {
    facts: &'a mut ScriptFacts,
}

fn name(t: &TokenReference) -> String {
    t.token().to_string()
}

impl Visitor for Collector<'_> {
    fn visit_function_call(&mut self, node: &FunctionCall) {
        let Prefix::Name(p) = node.prefix() else {
            return;
        };
        if name(p) != "KSR" {
            return;
        }
        let mut path = Vec::new();
        for s in node.suffixes() {
            match s {
                Suffix::Index(Index::Dot { name: n, .. }) => path.push(name(n)),
                Suffix::Call(Call::AnonymousCall(args)) => {
                    let (nargs, first) = match args.as_ref() {
                        FunctionArgs::Parentheses { arguments, .. } => {
                            let vararg = arguments.iter().last().is_some_and(
                                |e| matches!(e, Expression::Symbol(t) if name(t) == "..."),
                            );
                            // a trailing call expands to all its results in Lua
                            let open_ended = arguments
                                .iter()
                                .last()
                                .is_some_and(|e| matches!(e, Expression::FunctionCall(_)));
                            let first = arguments.iter().next().and_then(|e| match e {
                                Expression::String(t) => Some(unquote(&name(t))),
                                _ => None,
                            });
                            ((!vararg && !open_ended).then(|| arguments.len()), first)
                        }
                        FunctionArgs::String(t) => (Some(1), Some(unquote(&name(t)))),
                        _ => (Some(1), None),
                    };
                    let (Some(start), Some(end)) = (node.start_position(), s.end_position()) else {
                        return;
                    };
                    if !path.is_empty() {
                        self.facts.calls.push(KemiCall {
                            path,
                            nargs,
                            range: start.bytes()..end.bytes(),
                            first_string_arg: first,
                        });
                    }
                    return;
                }
                _ => return,
            }
        }
    }

    fn visit_if(&mut self, node: &full_moon::ast::If) {
        let mut conds = vec![node.condition().to_string()];
        if let Some(elifs) = node.else_if() {
            conds.extend(elifs.iter().map(|e| e.condition().to_string()));
        }
        if conds.iter().any(|c| crate::is_runtime_guard(c)) {
            if let (Some(a), Some(b)) = (node.start_position(), node.end_position()) {
                self.facts.guarded.push(a.bytes()..b.bytes());
            }
        }
    }

    fn visit_function_declaration(&mut self, node: &full_moon::ast::FunctionDeclaration) {
        let names = node.name().names();
        if let Some(last) = names.iter().last() {
            let n = node.name().method_name().map_or_else(|| name(last), name);
            self.facts.functions.push(n);
        }
    }

    fn visit_local_function(&mut self, node: &full_moon::ast::LocalFunction) {
        self.facts.functions.push(name(node.name()));
    }

    fn visit_assignment(&mut self, node: &full_moon::ast::Assignment) {
        // `ksr_request_route = function() ... end`
        for (var, expr) in node.variables().iter().zip(node.expressions().iter()) {
            if let (full_moon::ast::Var::Name(n), Expression::Function(_)) = (var, expr) {
                self.facts.functions.push(name(n));
            }
        }
    }
}

/// `"x"`, `'x'`, `[[x]]` → `x` (escapes kept).
fn unquote(s: &str) -> String {
    let t = s.trim();
    if t.len() >= 2 && (t.starts_with('"') || t.starts_with('\'')) {
        return t[1..t.len() - 1].to_string();
    }
    if let (Some(open), Some(close)) = (t.find('['), t.rfind(']')) {
        let inner = &t[open..=close];
        let level = inner[1..].find('[').unwrap_or(0);
        if inner.len() >= 2 * (level + 2) {
            return inner[level + 2..inner.len() - level - 2].to_string();
        }
    }
    t.to_string()
}
