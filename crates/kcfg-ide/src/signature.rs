//! Signature help for module functions: the variants of the function whose
//! argument list the cursor is in, and the argument it is at.

use std::path::Path;

use kcfg_syntax::ast::AstNode;
use kcfg_syntax::{SyntaxKind::*, TextSize};

use crate::db::{Db, IdeDb};
use crate::util;

/// One signature: its label, the byte ranges of its parameters in the
/// label, and a one-line description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub label: String,
    pub parameters: Vec<(u32, u32)>,
    pub documentation: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHelp {
    pub signatures: Vec<Signature>,
    pub active_signature: usize,
    pub active_parameter: usize,
}

pub(crate) fn signature_help(db: &IdeDb, path: &Path, offset: TextSize) -> Option<SignatureHelp> {
    let file = util::file(db, path)?;
    let version = db.workspace().settings(db).version;
    let kdb = kcfg_modules::db(version);
    let root = crate::db::parse(db, file).syntax_node();
    // the innermost call whose argument list holds the offset
    let t = root
        .token_at_offset(offset)
        .left_biased()
        .or_else(|| root.token_at_offset(offset).right_biased())?;
    let call = t
        .parent_ancestors()
        .filter_map(kcfg_syntax::ast::Call::cast)
        .find(|c| util::active_arg(c, offset).is_some())?;
    let name = call.name()?;
    if name.kind() != IDENT {
        return None;
    }
    let active = util::active_arg(&call, offset)?;
    let variants = kdb.functions(name.text());
    if variants.is_empty() {
        return None;
    }
    let mut signatures = Vec::new();
    for v in variants {
        let n = if v.var_params {
            active as u8 + 1
        } else {
            v.nparams.unwrap_or(0)
        };
        let mut label = format!("{}(", v.name);
        let mut parameters = Vec::new();
        for i in 1..=n {
            if i > 1 {
                label.push_str(", ");
            }
            let start = label.len() as u32;
            label.push_str(&format!("p{i}"));
            parameters.push((start, label.len() as u32));
        }
        if v.var_params {
            label.push_str(", ...");
        }
        label.push(')');
        signatures.push(Signature {
            label,
            parameters,
            documentation: format!(
                "module `{}`; allowed in: {} — {}#{}.f.{}",
                v.module,
                util::allowed_in(v),
                util::module_doc_url(version, v.module),
                v.module,
                v.name
            ),
        });
    }
    // the first variant that has enough parameters
    let active_signature = signatures
        .iter()
        .position(|s| s.parameters.len() > active)
        .unwrap_or(0);
    Some(SignatureHelp {
        signatures,
        active_signature,
        active_parameter: active,
    })
}
