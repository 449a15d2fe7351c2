//! `kcfg explain`: the documentation of a code or lint rule.

use std::io;

use crate::args::ExplainArgs;
use crate::commands::report_error;
use crate::{emit, Env, Status};

/// The codes of `kcfg-diagnostics` that are no lint rule and no semantic
/// check: `(code, name, summary)`.
pub const CORE_CODES: &[(&str, &str, &str)] = &[
    (
        "KC001",
        "syntax-error",
        "a syntax error: Kamailio's grammar rejects the text (`kamailio -c` fails)",
    ),
    (
        "KC002",
        "not-utf8",
        "the file is not valid UTF-8; the rest of the file is not checked",
    ),
    (
        "KC003",
        "skipped-character",
        "a character Kamailio's lexer does not know and silently skips",
    ),
];

/// `(code, name, summary)` of a KC0xx code.
pub fn core_code(code: &str) -> Option<(&'static str, &'static str, &'static str)> {
    CORE_CODES
        .iter()
        .copied()
        .find(|(c, n, _)| c.eq_ignore_ascii_case(code) || *n == code)
}

/// Print the docs of `args.code`, or the list of every code.
pub fn run(args: &ExplainArgs, env: &mut Env<'_>) -> io::Result<Status> {
    let Some(code) = args.code.as_deref() else {
        let mut out = String::new();
        for (c, n, s) in CORE_CODES {
            out.push_str(&format!("{c}  {n:<32} {s}\n"));
        }
        for (c, n, _, s) in kcfg_sema::codes::ALL {
            out.push_str(&format!("{c}  {n:<32} {s}\n"));
        }
        for (c, n, _, s) in kcfg_kemi::codes::ALL {
            out.push_str(&format!("{c}  {n:<32} {s}\n"));
        }
        for r in kcfg_lint::RULES {
            out.push_str(&format!(
                "{}  {:<32} {}\n",
                r.meta.code, r.meta.name, r.meta.summary
            ));
        }
        emit(env.stdout, &out)?;
        return Ok(Status::Clean);
    };
    if let Some(r) = kcfg_lint::by_code_or_name(code) {
        emit(env.stdout, &kcfg_lint::docs::markdown(r.meta))?;
        return Ok(Status::Clean);
    }
    let sema = kcfg_sema::codes::ALL
        .iter()
        .find(|(c, n, ..)| c.eq_ignore_ascii_case(code) || *n == code);
    if let Some((c, n, sev, summary)) = sema {
        emit(
            env.stdout,
            &format!(
                "# {c} `{n}`\n\n{summary}.\n\n- Category: semantic check (KC1xx, `kcfg-sema`): what Kamailio itself rejects when it reads the config or starts, or an error it never reports\n- Severity: {}\n\nSuppress one finding with `# kcfg: ignore[{c}] -- reason` on its line or the line before.\n",
                sev.as_str()
            ),
        )?;
        return Ok(Status::Clean);
    }
    let kemi = kcfg_kemi::codes::ALL
        .iter()
        .find(|(c, n, ..)| c.eq_ignore_ascii_case(code) || *n == code);
    if let Some((c, n, sev, summary)) = kemi {
        emit(
            env.stdout,
            &format!(
                "# {c} `{n}`\n\n{summary}.\n\n- Category: KEMI script check (KC6xx, `kcfg-kemi`): `kcfg check` on `.lua`, `.py` and `.js` scripts run by app_lua, app_python3/app_python3s/app_python and app_jsdt\n- Severity: {sev}\n"
            ),
        )?;
        return Ok(Status::Clean);
    }
    if let Some((c, n, summary)) = core_code(code) {
        emit(
            env.stdout,
            &format!("# {c} `{n}`\n\n{summary}.\n\n- Category: syntax and input (KC0xx)\n- Severity: {}\n", if c == "KC003" { "warning" } else { "error" }),
        )?;
        return Ok(Status::Clean);
    }
    report_error(
        env,
        format_args!("unknown code or rule `{code}` (`kcfg explain` lists them)"),
    )?;
    Ok(Status::Error)
}
