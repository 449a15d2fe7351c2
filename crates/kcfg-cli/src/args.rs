//! The command line (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// A checker for Kamailio's `kamailio.cfg`.
///
/// kcfg parses Kamailio configuration files without running Kamailio and
/// reports the problems it finds, with the source line and a fix hint.
#[derive(Debug, Parser)]
#[command(name = "kcfg", version, propagate_version = true)]
#[command(after_help = "Run `kcfg help <COMMAND>` for the options of a command.")]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check configuration files and report problems.
    ///
    /// Each PATH is a file, a directory (searched recursively for `*.cfg`
    /// files, skipping hidden directories and `target/`), or `-` for
    /// standard input. Files named explicitly are checked whatever their
    /// name. Problems go to standard output; in the human format a summary
    /// follows on standard error.
    #[command(after_help = "Exit status:\n  \
        0  no problems found\n  \
        1  problems found (errors or warnings)\n  \
        2  a path could not be checked (missing, unreadable, too large, no `.cfg` files), or bad arguments\n\n\
        kcfg.toml (in the file's directory or above):\n  \
        kamailio-version = \"5.6\"\n  \
        [check]\n  \
        define-sets = [[\"WITH_MYSQL\", \"WITH_AUTH\"], [\"WITH_NAT\"]]   # each set is checked\n\n\
        Examples:\n  \
        kcfg check /etc/kamailio\n  \
        kcfg check --all-defines kamailio.cfg\n  \
        kcfg check --format concise kamailio.cfg\n  \
        cat kamailio.cfg | kcfg check -")]
    Check(CheckArgs),
    /// Format configuration files (in place, atomically).
    ///
    /// Each PATH is a file, a directory (every `*.cfg` below it), or `-` to
    /// read standard input and write the result to standard output. Only
    /// whitespace changes: the result is parsed again and must have the same
    /// tokens, comments and errors, or the file is left as it is. Top-level
    /// items with a syntax error are kept byte for byte.
    #[command(after_help = "Exit status:\n  \
        0  formatted (or, with --check/--diff, nothing to change)\n  \
        1  with --check/--diff: some files would change\n  \
        2  a file could not be read, written or formatted, or bad arguments\n\n\
        kcfg.toml (in the file's directory or above):\n  \
        [format]\n  \
        indent-style = \"tab\"      # or \"space\"\n  \
        indent-width = 4          # with \"space\"\n  \
        max-blank-lines = 2\n\n\
        Examples:\n  \
        kcfg fmt /etc/kamailio\n  \
        kcfg fmt --check --diff kamailio.cfg\n  \
        kcfg fmt - < kamailio.cfg\n  \
        kcfg fmt --range 10:20 - < kamailio.cfg")]
    Fmt(FmtArgs),
    /// Print the concrete syntax tree of a file (for debugging kcfg).
    ///
    /// Prints the tree, then the syntax errors of the file, one per line.
    /// The format may change at any time. The exit status is 0 even when
    /// the file has syntax errors.
    SyntaxTree(SyntaxTreeArgs),
}

/// `kcfg check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to check, `-` for standard input [default: .]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,

    /// When to colour the human output (`auto`: on a terminal, unless `NO_COLOR` is set).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// The name to show for standard input.
    #[arg(long, value_name = "NAME", default_value = "<stdin>")]
    pub stdin_filename: String,

    /// The Kamailio version to check against: 5.6, 6.0 or master [default:
    /// `kamailio-version` in kcfg.toml, else 6.0].
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    pub kamailio_version: Option<kcfg_modules::KamailioVersion>,

    /// Define NAME (or NAME=VALUE) before the file is read, like `kamailio -D`/`-A`.
    #[arg(
        short = 'D',
        visible_short_alias = 'A',
        long = "define",
        value_name = "NAME[=VALUE]"
    )]
    pub defines: Vec<String>,

    /// Check every `#!ifdef` combination the config uses: all combinations
    /// of up to 8 tested names, else each name alone, all and none (plus
    /// the `define-sets` of kcfg.toml). Each finding says with which
    /// defines it appears.
    #[arg(long)]
    pub all_defines: bool,
}

fn parse_version(s: &str) -> Result<kcfg_modules::KamailioVersion, String> {
    kcfg_modules::KamailioVersion::parse(s)
        .ok_or_else(|| format!("unknown Kamailio version `{s}` (use 5.6, 6.0 or master)"))
}

/// `kcfg fmt`.
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Files or directories to format, `-` for standard input [default: .]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Write nothing; list the files that would change and exit with 1 if any.
    #[arg(long)]
    pub check: bool,

    /// Write nothing; print a unified diff of the changes (exit 1 if any).
    #[arg(long)]
    pub diff: bool,

    /// Format only lines START to END (1-based, inclusive) of a single file.
    #[arg(long, value_name = "START:END")]
    pub range: Option<String>,

    /// The name to show for standard input.
    #[arg(long, value_name = "NAME", default_value = "<stdin>")]
    pub stdin_filename: String,
}

/// `kcfg syntax-tree`.
#[derive(Debug, Args)]
pub struct SyntaxTreeArgs {
    /// The file to parse, `-` for standard input.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Source snippets with the problem marked, and a summary on stderr.
    Human,
    /// One `path:line:col: severity[code] message` line per problem.
    Concise,
    /// A JSON array of problems.
    Json,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn check_defaults() {
        let cli = Cli::try_parse_from(["kcfg", "check"]).unwrap();
        let Command::Check(a) = cli.command else {
            panic!()
        };
        assert!(a.paths.is_empty());
        assert_eq!(
            (a.format, a.color),
            (OutputFormat::Human, ColorChoice::Auto)
        );
        assert_eq!(a.stdin_filename, "<stdin>");
    }

    #[test]
    fn bad_format_is_a_usage_error() {
        let e = Cli::try_parse_from(["kcfg", "check", "--format", "xml"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }
}
