//! `kcfg test`: TOML scenarios through the reference runtime, files in
//! parallel (rayon), text or JUnit output.

use std::io;

use rayon::prelude::*;

use kcfg_runtime::scenario::{discover, junit, render_failure, run_file, FileResult};

use crate::args::{TestArgs, TestFormat};
use crate::commands::report_error;
use crate::{emit, Env, Status};

pub fn run(args: &TestArgs, env: &mut Env<'_>) -> io::Result<Status> {
    if !args.dir.exists() {
        report_error(env, format_args!("`{}` does not exist", args.dir.display()))?;
        return Ok(Status::Error);
    }
    let files = discover(&args.dir);
    if files.is_empty() {
        report_error(
            env,
            format_args!("no scenario files (*.toml) under `{}`", args.dir.display()),
        )?;
        return Ok(Status::Error);
    }
    let results: Vec<FileResult> = files.par_iter().map(|f| run_file(f)).collect();
    let (mut steps, mut failed, mut errors) = (0, 0, 0);
    for r in &results {
        steps += r.steps.len();
        failed += r.steps.iter().filter(|s| !s.failures.is_empty()).count();
        errors += usize::from(r.error.is_some());
    }
    match args.format {
        TestFormat::Junit => emit(env.stdout, &junit(&results))?,
        TestFormat::Text => {
            let mut out = String::new();
            for r in &results {
                let p = r.path.display();
                if let Some(e) = &r.error {
                    out.push_str(&format!("ERROR {p}: {e}\n"));
                    continue;
                }
                for s in &r.steps {
                    if s.failures.is_empty() {
                        out.push_str(&format!("ok    {p} :: {} ({} checks)\n", s.name, s.checks));
                    } else {
                        out.push_str(&format!(
                            "FAIL  {p} :: {} ({} of {} checks failed)\n",
                            s.name,
                            s.failures.len(),
                            s.checks
                        ));
                        for f in &s.failures {
                            out.push_str(&render_failure(f));
                        }
                    }
                }
            }
            out.push_str(&format!(
                "\n{} files, {steps} steps: {} passed, {failed} failed, {errors} files not run\n",
                results.len(),
                steps - failed
            ));
            emit(env.stdout, &out)?;
        }
    }
    Ok(if errors > 0 {
        Status::Error
    } else if failed > 0 {
        Status::Findings
    } else {
        Status::Clean
    })
}
