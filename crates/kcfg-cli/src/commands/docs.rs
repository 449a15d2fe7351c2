//! `kcfg docs`: a thin wrapper over [`crate::docs::lookup`].

use std::io;

use crate::args::DocsArgs;
use crate::{emit, Env, Status};

/// Print the knowledge-base entries for a name; when there are none, say
/// so on stderr with "did you mean" suggestions ([`Status::Findings`]).
pub fn run(args: &DocsArgs, env: &mut Env<'_>) -> io::Result<Status> {
    let version = args.kamailio_version.unwrap_or_default();
    match crate::docs::lookup(version, &args.name) {
        Ok(text) => {
            emit(env.stdout, &text)?;
            Ok(Status::Clean)
        }
        Err(suggestions) => {
            let mut msg = format!(
                "kcfg: `{}` is not known to Kamailio {}",
                args.name,
                version.full()
            );
            if !suggestions.is_empty() {
                msg.push_str(&format!("; did you mean `{}`?", suggestions.join("`, `")));
            }
            let others: Vec<&str> = kcfg_modules::KamailioVersion::ALL
                .iter()
                .filter(|v| **v != version && crate::docs::lookup(**v, &args.name).is_ok())
                .map(|v| v.full())
                .collect();
            if !others.is_empty() {
                msg.push_str(&format!(" (it exists in {})", others.join(", ")));
            }
            msg.push('\n');
            emit(env.stderr, &msg)?;
            Ok(Status::Findings)
        }
    }
}
