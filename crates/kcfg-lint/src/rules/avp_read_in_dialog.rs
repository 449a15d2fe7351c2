//! KC208 `avp-read-in-dialog`.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use kcfg_sema::FileIdx;
use kcfg_syntax::ast::RouteKind;
use kcfg_syntax::SyntaxKind::*;
use kcfg_syntax::{SyntaxNode, TextRange};

use crate::ctx::{call_args, call_name, first_arg_range, pv_parts, statements};
use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC208",
    name: "avp-read-in-dialog",
    category: Category::Gotcha,
    severity: Severity::Warning,
    summary: "`$avp` set while handling the initial request and read when in-dialog requests arrive: it is empty then",
    what: "Finds `$avp(name)` read in code that handles only in-dialog requests (the body of `if (has_totag())`, what follows `if (!has_totag()) { ... }` when that branch ends the route, and sub-routes called only from there) when the same AVP is assigned only in code that handles only initial requests (the other side of the same tests, what follows a `route(X)` whose route ends in-dialog requests with `exit`, and sub-routes called only from there). To keep false positives low, an AVP that the in-dialog code writes itself (assignment, or named in a function argument, where a module may load it), or that a `modparam` names (modules fill such AVPs), is not reported, nor is an AVP read only as a function argument.",
    why: "An AVP lives as long as the transaction of the request that set it (tm keeps it for the replies and failure routes of that request). The BYE or re-INVITE of the call is a new transaction: the AVP set for the INVITE is not there, the read gives `$null` (an empty string in a string context, 0 as a number). Call data that later requests need belongs to the dialog: `$dlg_var(name)` with the dialog module tracking the call (`dlg_manage()`), or an htable keyed by the Call-ID.",
    example: "loadmodule \"tm.so\"\nloadmodule \"sl.so\"\nloadmodule \"rr.so\"\nloadmodule \"pv.so\"\nloadmodule \"siputils.so\"\nloadmodule \"textops.so\"\nloadmodule \"xlog.so\"\nrequest_route {\n\tif (has_totag()) {\n\t\tif (loose_route()) {\n\t\t\txlog(\"L_INFO\", \"in-dialog $rm\\n\");\n\t\t\tif ($avp(caller) != $null) {\n\t\t\t\tappend_hf(\"X-Caller: $fU\\r\\n\");\n\t\t\t}\n\t\t\tt_relay();\n\t\t}\n\t\texit;\n\t}\n\t$avp(caller) = $fU;\n\trecord_route();\n\tt_relay();\n\texit;\n}\n",
    fix: "Store call-level data in the dialog: load `dialog`, call `dlg_manage()` for the initial INVITE and use `$dlg_var(name)` for both the write and the read.",
    fixed_example: "loadmodule \"tm.so\"\nloadmodule \"sl.so\"\nloadmodule \"rr.so\"\nloadmodule \"pv.so\"\nloadmodule \"siputils.so\"\nloadmodule \"textops.so\"\nloadmodule \"xlog.so\"\nloadmodule \"dialog.so\"\nrequest_route {\n\tif (has_totag()) {\n\t\tif (loose_route()) {\n\t\t\txlog(\"L_INFO\", \"in-dialog $rm\\n\");\n\t\t\tif ($dlg_var(caller) != $null) {\n\t\t\t\tappend_hf(\"X-Caller: $fU\\r\\n\");\n\t\t\t}\n\t\t\tt_relay();\n\t\t}\n\t\texit;\n\t}\n\tdlg_manage();\n\t$dlg_var(caller) = $fU;\n\trecord_route();\n\tt_relay();\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

/// `Some(true)` for a condition that holds only for in-dialog requests
/// (`has_totag()`, also inside `&&`), `Some(false)` for one that holds only
/// for initial requests (`!has_totag()`).
fn totag_test(e: &SyntaxNode) -> Option<bool> {
    match e.kind() {
        PAREN_EXPR => e.children().next().as_ref().and_then(totag_test),
        CALL => (call_name(e).as_deref() == Some("has_totag") && call_args(e).is_empty())
            .then_some(true),
        PREFIX_EXPR => {
            let not = e
                .children_with_tokens()
                .filter_map(|x| x.into_token())
                .any(|t| matches!(t.kind(), BANG | NOT_KW));
            let inner = e.children().next()?;
            match (not, totag_test(&inner)) {
                // only a plain negation of `has_totag()` is initial-only
                (true, Some(true)) if inner_is_plain(&inner) => Some(false),
                _ => None,
            }
        }
        BIN_EXPR => {
            let op = crate::ctx::bin_op(e)?;
            if !matches!(op.kind(), AMP2 | AND_KW) {
                return None;
            }
            let (a, b) = crate::ctx::bin_operands(e);
            let pos = |x: &Option<SyntaxNode>| x.as_ref().and_then(totag_test) == Some(true);
            (pos(&a) || pos(&b)).then_some(true)
        }
        _ => None,
    }
}

fn inner_is_plain(e: &SyntaxNode) -> bool {
    match e.kind() {
        PAREN_EXPR => e.children().next().is_some_and(|c| inner_is_plain(&c)),
        CALL => true,
        _ => false,
    }
}

/// Whether a statement (or block) always ends the script (`exit`/`drop`,
/// or `return` when `ret` is set) as its last statement.
fn ends(stmt: &SyntaxNode, ret: bool) -> bool {
    match stmt.kind() {
        EXIT_STMT | DROP_STMT => true,
        RETURN_STMT => ret,
        BLOCK => statements(stmt).last().is_some_and(|s| ends(s, ret)),
        _ => false,
    }
}

/// The range from the end of `stmt` to the end of its enclosing block.
fn rest_of_block(stmt: &SyntaxNode) -> Option<TextRange> {
    let parent = stmt.parent()?;
    if !matches!(parent.kind(), BLOCK | CASE_CLAUSE) {
        return None;
    }
    Some(TextRange::new(
        stmt.text_range().end(),
        parent.text_range().end(),
    ))
}

#[derive(Default)]
struct Regions {
    in_dialog: List,
    initial: List,
}

/// Ranges of the files, with the range that covers them in each file: a
/// range outside that one is in none of them without a look at each.
#[derive(Default)]
struct List {
    items: Vec<(FileIdx, TextRange)>,
    /// per file index, the cover of its items
    hull: Vec<Option<TextRange>>,
}

impl List {
    fn push(&mut self, (file, r): (FileIdx, TextRange)) {
        self.items.push((file, r));
        if self.hull.len() <= file.0 {
            self.hull.resize(file.0 + 1, None);
        }
        let h = &mut self.hull[file.0];
        *h = Some(h.map_or(r, |h| h.cover(r)));
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether one of the ranges of `file` contains `r`.
    fn within(&self, file: FileIdx, r: TextRange) -> bool {
        self.hull
            .get(file.0)
            .copied()
            .flatten()
            .is_some_and(|h| h.contains_range(r))
            && self
                .items
                .iter()
                .any(|(f, x)| *f == file && x.contains_range(r))
    }
}

/// Where a word occurs in the text of each file: whether a range holds
/// it is a binary search (as `text[range].contains(word)`, for a word that
/// cannot overlap itself, so that the non-overlapping matches are all).
struct Mentions {
    /// per file, the start offsets of the matches
    at: Vec<Vec<usize>>,
    len: usize,
}

impl Mentions {
    fn new(ctx: &Ctx<'_>, word: &str) -> Mentions {
        let finder = memchr::memmem::Finder::new(word);
        Mentions {
            at: ctx
                .model
                .files
                .iter()
                .map(|f| finder.find_iter(f.text.as_bytes()).collect())
                .collect(),
            len: word.len(),
        }
    }

    fn within(&self, file: FileIdx, r: TextRange) -> bool {
        let (start, end) = (usize::from(r.start()), usize::from(r.end()));
        let at = &self.at[file.0];
        let i = at.partition_point(|&p| p < start);
        at.get(i).is_some_and(|&p| p + self.len <= end)
    }
}

/// The avp name of a PV token's text (`$avp(s:x)` and `$(avp(x)[0])` give `x`).
fn avp_name(text: &str) -> Option<String> {
    let (class, inner, _) = pv_parts(text)?;
    if class != "avp" {
        return None;
    }
    let inner = inner?;
    let inner = inner.strip_prefix("s:").unwrap_or(&inner);
    Some(inner.to_string())
}

/// `s.trim_matches('"')`, on bytes.
fn unquote(s: &str) -> &str {
    let b = s.as_bytes();
    let (mut i, mut j) = (0, b.len());
    while i < j && b[i] == b'"' {
        i += 1;
    }
    while j > i && b[j - 1] == b'"' {
        j -= 1;
    }
    &s[i..j]
}

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if !ctx.mentions("has_totag") || !ctx.mentions("avp(") {
        return;
    }
    // the AVPs first (cheap): is any AVP assigned somewhere and read in a
    // request route? Most configs stop here.
    struct Use {
        name: String,
        file: FileIdx,
        range: TextRange,
        lhs: bool,
        arg: bool,
        in_request: bool,
    }
    let mut uses: Vec<Use> = Vec::new();
    for (file, pv) in ctx.nodes(PV_EXPR) {
        let r = pv.text_range();
        let text = &ctx.model.file(file).text[r];
        if !(text.starts_with("$avp(") || text.starts_with("$(avp(")) {
            continue;
        }
        let Some(name) = avp_name(text) else {
            continue;
        };
        let holder = pv
            .ancestors()
            .take_while(|a| a.kind() == PV_EXPR || a.kind() == PAREN_EXPR)
            .last()
            .unwrap_or(pv.clone());
        let parent = holder.parent();
        let lhs = parent.as_ref().is_some_and(|p| {
            p.kind() == ASSIGN_STMT && p.children().next().as_ref() == Some(&holder)
        });
        let arg = parent.as_ref().is_some_and(|p| p.kind() == ARG_LIST);
        let in_request = ctx
            .route_of(file, pv)
            .is_some_and(|r| matches!(r.kind, RouteKind::Request | RouteKind::Route));
        uses.push(Use {
            name,
            file,
            range: r,
            lhs,
            arg,
            in_request,
        });
    }
    let assigned: HashSet<&str> = uses
        .iter()
        .filter(|u| u.lhs)
        .map(|u| u.name.as_str())
        .collect();
    let maybe = uses
        .iter()
        .any(|u| !u.lhs && !u.arg && assigned.contains(u.name.as_str()) && u.in_request);
    if !maybe {
        return;
    }
    let mut reg = Regions::default();
    // routes that end in-dialog requests with exit (the stock WITHINDLG)
    // (a few names: a list, looked up for every `route(X)` call)
    let mut ending_in_dialog_routes: Vec<&str> = Vec::new();
    let mut with_region: Vec<&crate::ctx::RouteInfo> = Vec::new();
    // where each file's text says `has_totag`: a statement whose text does
    // not hold one of them has no condition that does
    let totags = Mentions::new(ctx, "has_totag");
    for (file, n) in ctx.nodes(IF_STMT) {
        if !totags.within(file, n.text_range()) {
            continue;
        }
        let mut ch = n.children();
        let (Some(cond), Some(then)) = (ch.next(), ch.next()) else {
            continue;
        };
        // only a `has_totag()` call makes a region (cheap text test first)
        if !ctx.text(file, &cond).contains("has_totag") {
            continue;
        }
        let Some(test) = totag_test(&cond) else {
            continue;
        };
        let Some(r) = ctx.route_of(file, n) else {
            continue;
        };
        if !matches!(r.kind, RouteKind::Request | RouteKind::Route) {
            continue;
        }
        let ret_ends = r.kind == RouteKind::Request;
        let els = n
            .children()
            .filter(|c| c.kind() == ELSE_BRANCH)
            .collect::<Vec<_>>();
        // a plain `else` (not `else if`) is the only other branch
        let plain_else = (els.len() == 1)
            .then(|| els[0].children().collect::<Vec<_>>())
            .filter(|c| c.len() == 1)
            .map(|c| c[0].clone());
        let (this, other) = if test {
            (&mut reg.in_dialog, &mut reg.initial)
        } else {
            (&mut reg.initial, &mut reg.in_dialog)
        };
        this.push((file, then.text_range()));
        if let Some(e) = &plain_else {
            other.push((file, e.text_range()));
        } else if els.is_empty() && ends(&then, ret_ends || !test) {
            // `if (!has_totag()) return;` also in a sub-route
            if let Some(rest) = rest_of_block(n) {
                other.push((file, rest));
            }
        }
        if r.kind == RouteKind::Route && !with_region.iter().any(|x| x.block == r.block) {
            with_region.push(r);
        }
    }
    for r in with_region {
        let Some(body) = r.block.body() else { continue };
        let body = kcfg_syntax::ast::AstNode::syntax(&body).clone();
        let last_ends = statements(&body).last().is_some_and(|s| ends(s, false));
        if let (true, Some(name)) = (last_ends, &r.name) {
            if !ending_in_dialog_routes.contains(&name.as_str()) {
                ending_in_dialog_routes.push(name);
            }
        }
    }
    // the `route(X)` calls with the text of their first argument (unquoted)
    let route_calls: Vec<(FileIdx, &SyntaxNode, &str)> = ctx
        .calls()
        .iter()
        .filter(|(_, _, name)| name == "route")
        .filter_map(|(file, call, _)| {
            let arg = first_arg_range(call)?;
            let text: &str = &ctx.model.file(*file).text;
            let arg = text.get(std::ops::Range::<usize>::from(arg)).unwrap_or("");
            Some((*file, call, unquote(arg)))
        })
        .collect();
    // what follows `route(WITHINDLG);` in request_route handles initial requests only
    for &(file, call, arg) in &route_calls {
        let file = &file;
        if !ending_in_dialog_routes.contains(&arg) {
            continue;
        }
        let in_request = ctx
            .route_of(*file, call)
            .is_some_and(|r| r.kind == RouteKind::Request);
        let Some(stmt) = call.parent().filter(|p| p.kind() == EXPR_STMT) else {
            continue;
        };
        if in_request {
            if let Some(rest) = rest_of_block(&stmt) {
                reg.initial.push((*file, rest));
            }
        }
    }
    if reg.in_dialog.is_empty() {
        return;
    }
    // sub-routes called only from one kind of region belong to it: the
    // call sites of each name, as lists linked through `sites` (the head
    // of each name's list in `heads`, no vector per name)
    let mut sites: Vec<(FileIdx, TextRange, usize)> = Vec::with_capacity(route_calls.len());
    let mut heads: HashMap<&str, usize> =
        HashMap::with_capacity_and_hasher(route_calls.len(), Default::default());
    for &(file, call, arg) in &route_calls {
        let next = heads.insert(arg, sites.len()).unwrap_or(usize::MAX);
        sites.push((file, call.text_range(), next));
    }
    let all_within = |list: &List, mut at: usize| {
        while let Some(&(f, s, next)) = sites.get(at) {
            if !list.within(f, s) {
                return false;
            }
            at = next;
        }
        true
    };
    // the routes with call sites (in order) and the head of their sites
    let called: Vec<(&crate::ctx::RouteInfo, usize)> = ctx
        .routes()
        .iter()
        .filter(|r| r.kind == RouteKind::Route)
        .filter_map(|r| Some((r, *heads.get(r.name.as_deref()?)?)))
        .collect();
    for _ in 0..4 {
        let mut changed = false;
        for &(r, head) in &called {
            let whole = (
                r.file,
                kcfg_syntax::ast::AstNode::syntax(&r.block).text_range(),
            );
            for list in [&mut reg.in_dialog, &mut reg.initial] {
                if all_within(list, head) && !list.within(whole.0, whole.1) {
                    list.push(whole);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    // AVPs named by modparams are filled by modules
    let mut module_avps: HashSet<String> = HashSet::default();
    for mp in ctx.modparams() {
        let mut rest = ctx.text(mp.file, &mp.node);
        while let Some(i) = rest.find("$avp(") {
            let s = &rest[i..];
            if let Some(end) = s.find(')') {
                if let Some(n) = avp_name(&s[..=end]) {
                    module_avps.insert(n);
                }
            }
            rest = &s[5..];
        }
    }
    // writes and reads
    let mut initial_writes: HashMap<String, (FileIdx, TextRange)> = HashMap::default();
    let mut dialog_touched: HashSet<String> = HashSet::default();
    let mut reads: Vec<(String, FileIdx, TextRange)> = Vec::new();
    // an AVP named in a function argument in in-dialog code may be loaded there
    let avps = Mentions::new(ctx, "$avp(");
    for (file, lit) in ctx.nodes(STRING_LIT) {
        let r = lit.text_range();
        if !reg.in_dialog.within(file, r) || !avps.within(file, r) {
            continue;
        }
        let mut rest = &ctx.model.file(file).text[r];
        while let Some(i) = rest.find("$avp(") {
            let s = &rest[i..];
            if let Some(end) = s.find(')') {
                if let Some(n) = avp_name(&s[..=end]) {
                    dialog_touched.insert(n);
                }
            }
            rest = &s[5..];
        }
    }
    for u in uses {
        let (file, r) = (u.file, u.range);
        if reg.in_dialog.within(file, r) {
            if u.lhs || u.arg {
                dialog_touched.insert(u.name);
            } else {
                reads.push((u.name, file, r));
            }
        } else if u.lhs && reg.initial.within(file, r) {
            initial_writes.entry(u.name).or_insert((file, r));
        }
    }
    for (name, file, r) in reads {
        if dialog_touched.contains(&name) || module_avps.contains(&name) {
            continue;
        }
        let Some((wf, wr)) = initial_writes.get(&name) else {
            continue;
        };
        let mut f = Finding::new(
            file,
            r,
            format!("`$avp({name})` is read for an in-dialog request, but it is set only while handling the initial request: AVPs end with their transaction"),
        )
        .help(format!("keep call data in the dialog: `$dlg_var({name})` (dialog module, `dlg_manage()`)"));
        if *wf == file {
            f = f.label(*wr, "set here, for the initial request only");
        }
        out.push(f);
    }
}
