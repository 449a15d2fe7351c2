//! Inlay hints: after the name of a route, the route types it is reached as
//! (from kcfg-sema's call graph), e.g. `route[RELAY]` ⟨request, failure⟩.

use std::path::Path;

use kcfg_syntax::TextRange;

use crate::db::IdeDb;
use crate::util;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlayHint {
    /// Where the hint is shown (after this offset).
    pub offset: kcfg_syntax::TextSize,
    pub label: String,
}

pub(crate) fn inlay_hints(db: &IdeDb, path: &Path, range: TextRange) -> Vec<InlayHint> {
    let Some(file) = util::file(db, path) else {
        return Vec::new();
    };
    let (c, idx) = util::check_for(db, file);
    let g = c.model.call_graph();
    let mut out = Vec::new();
    for (i, r) in c.model.routes.iter().enumerate() {
        if r.file.0 != idx || r.table != kcfg_sema::RouteTable::Request || r.name.is_none() {
            continue;
        }
        if range.intersect(r.head_range).is_none() {
            continue;
        }
        let kinds = g.reached_as(i);
        let label = if kinds.is_empty() {
            "not reached".to_string()
        } else {
            let ks: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
            format!("reached as {}", ks.join(", "))
        };
        out.push(InlayHint {
            offset: r.head_range.end(),
            label,
        });
    }
    out
}
