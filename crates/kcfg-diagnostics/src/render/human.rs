use std::fmt::Write as _;
use std::ops::Range;

use ariadne::{CharSet, Color, Config, IndexType, LabelAttach, Report, ReportKind, Source};

use crate::render::concise::one_line;
use crate::render::sorted;
use crate::{Diagnostic, FileId, Files, Severity, SourceFile, TextRange};

/// Options of the [`human`] renderer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HumanOptions {
    /// Emit ANSI colour codes. The caller decides (kcfg's CLI: only on a
    /// terminal, and only when `NO_COLOR` is unset).
    pub color: bool,
}

/// Source snippets, for people:
///
/// ```text
/// error[KC001]: missing `;` (found `exit`)
///    ╭─[ kamailio.cfg:2:14 ]
///    │
///  2 │     xlog("a")
///    │              ┬
///    │              ╰── add `;` at the end of the statement
/// ───╯
/// ```
///
/// The header names the severity, the code and the message; the snippet
/// (drawn by ariadne) starts with `path:line:col` and marks the primary
/// range with the help text (or, without help, the message), then the
/// secondary labels, then the notes.
/// Diagnostics are separated by an empty line. Without colour, lines carry
/// no trailing whitespace.
pub fn human(files: &Files, diagnostics: &[Diagnostic], options: &HumanOptions) -> String {
    let mut out = String::new();
    // ariadne's line table of the file of the previous diagnostic: the
    // diagnostics are sorted by file, so each table is built once
    let mut source: Option<(FileId, Source<&str>)> = None;
    for (i, d) in sorted(files, diagnostics).into_iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let file = files.get(d.file);
        if source.as_ref().map(|(id, _)| *id) != Some(d.file) {
            source = Some((d.file, Source::from(file.text())));
        }
        let (_, src) = source.as_ref().expect("set above");
        render_one(&mut out, file, src, d, options.color);
    }
    out
}

fn render_one(
    out: &mut String,
    file: &SourceFile,
    source: &Source<&str>,
    d: &Diagnostic,
    color: bool,
) {
    header(out, d, color);
    let path = file.path().to_string();
    let text = file.text();
    let primary = display_span(text, d.range);
    let config = Config::default()
        .with_color(color)
        .with_char_set(CharSet::Unicode)
        .with_index_type(IndexType::Byte)
        .with_label_attach(LabelAttach::Start)
        .with_compact(false);
    // ariadne's own header line ("Error: ") is replaced by `header`
    let mut report =
        Report::build(ReportKind::Error, (path.clone(), primary.clone())).with_config(config);
    // ariadne only underlines labels that have a message: the primary one
    // says how to fix the problem, or else repeats what it is
    let primary_message = one_line(d.help.as_deref().unwrap_or(&d.message));
    let mut primary_label = ariadne::Label::new((path.clone(), primary))
        .with_message(primary_message)
        .with_order(0)
        .with_priority(10);
    if color {
        primary_label = primary_label.with_color(severity_color(d.severity));
    }
    report.add_label(primary_label);
    for (i, l) in d.labels.iter().enumerate() {
        let mut label = ariadne::Label::new((path.clone(), display_span(text, l.range)))
            .with_message(one_line(&l.message))
            .with_order(i as i32 + 1);
        if color {
            label = label.with_color(Color::Blue);
        }
        report.add_label(label);
    }
    for note in &d.notes {
        report.add_note(note);
    }
    let mut buf = Vec::new();
    report
        .finish()
        .write_for_stdout((path, source), &mut buf)
        .expect("writing to a Vec cannot fail");
    let body = String::from_utf8_lossy(&buf);
    let body = body.split_once('\n').map_or("", |(_, rest)| rest);
    for line in body.lines() {
        if color {
            out.push_str(line);
        } else {
            out.push_str(line.trim_end());
        }
        out.push('\n');
    }
}

fn header(out: &mut String, d: &Diagnostic, color: bool) {
    let message = one_line(&d.message);
    if color {
        let c = match d.severity {
            Severity::Error => "31",
            Severity::Warning => "33",
            Severity::Info => "34",
            Severity::Hint => "36",
        };
        let _ = writeln!(
            out,
            "\x1b[1;{c}m{}[{}]\x1b[0m\x1b[1m: {message}\x1b[0m",
            d.severity, d.code
        );
    } else {
        let _ = writeln!(out, "{}[{}]: {message}", d.severity, d.code);
    }
}

fn severity_color(s: Severity) -> Color {
    match s {
        Severity::Error => Color::Red,
        Severity::Warning => Color::Yellow,
        Severity::Info => Color::Blue,
        Severity::Hint => Color::Cyan,
    }
}

/// The byte span ariadne draws for a range: the range itself, clamped to the
/// text and to character boundaries. An empty range is drawn as a caret on
/// the character at its offset, or right after the end of the line.
fn display_span(text: &str, range: TextRange) -> Range<usize> {
    let len = text.len();
    let mut start = usize::from(range.start()).min(len);
    let mut end = usize::from(range.end()).clamp(start, len);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    if start == end {
        if let Some(c) = text[start..].chars().next() {
            end = start + c.len_utf8();
        }
    }
    start..end
}
