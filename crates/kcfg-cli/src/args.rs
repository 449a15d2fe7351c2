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
    /// files, skipping hidden directories, `target/` and files that start
    /// with an INI section such as the tls module's `tls.cfg`), or `-` for
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
    /// Explain a diagnostic code or lint rule (`kcfg explain KC301`, `kcfg explain reply-without-exit`).
    ///
    /// Without an argument, lists every code.
    Explain(ExplainArgs),
    /// Format configuration files (in place, atomically).
    /// Each PATH is a file, a directory (every `*.cfg` below it, as `kcfg
    /// check` finds them), or `-` to
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
    /// Run a config on SIP messages from a capture or a text file (reference runtime).
    ///
    /// Every message addressed to one of the config's `listen` addresses
    /// (all messages of a `.sip` text file) goes through the config's
    /// routes; the timeline shows the routes taken, the actions, log lines,
    /// replies sent and requests forwarded with the headers the config
    /// changed. Functions the runtime does not simulate are listed and the
    /// run is marked incomplete.
    #[command(after_help = "Exit status:\n  \
        0  the run is complete (every function reached was simulated)\n  \
        1  the run is incomplete (unsupported functions, script errors)\n  \
        2  the config or the trace could not be read, or bad arguments\n\n\
        Examples:\n  \
        kcfg run kamailio.cfg --trace calls.pcap\n  \
        kcfg run kamailio.cfg --trace msgs.sip -D WITH_AUTH --format jsonl\n  \
        kcfg run new.cfg --trace production.pcap --compare\n  \
        kcfg run new.cfg --trace c.pcap --compare --kamailio-addr 10.0.0.5:5060 --ignore-header X-Trace\n\n\
        With --compare: exit 0 when every message is the same (or not simulated), 1 on differences.\n\
        kcfg.toml:  [compare]  ignore-headers = [\"X-Trace\"]")]
    Run(RunArgs),
    /// Run test scenarios (TOML files) through the reference runtime.
    ///
    /// Each `*.toml` file under DIR names a config, gives subscribers,
    /// dispatcher lists and next-hop answers, sends messages (inline or
    /// from a capture) and asserts on replies, forwarded requests, header
    /// values, log lines and PV values. Files run in parallel.
    #[command(after_help = "Exit status:\n  \
        0  every scenario passed\n  \
        1  a check failed\n  \
        2  a scenario could not be read or run, or bad arguments\n\n\
        Examples:\n  \
        kcfg test tests/sip\n  \
        kcfg test --format junit tests/sip > junit.xml")]
    Test(TestArgs),
    /// Print the config as Kamailio reads it: includes inlined, inactive
    /// `#!ifdef` arms and `#!if`/`#!else`/`#!endif` lines removed (what
    /// `kamailio --cfg-print` prints).
    #[command(after_help = "Exit status:\n  \
        0  expanded\n  \
        1  Kamailio would stop while reading (missing include, '-' in a define name); the text up to there is printed\n  \
        2  the file cannot be read")]
    Expand(ExpandArgs),
    /// Draw the route call graph: entry routes, `route()`, `t_on_*` arms,
    /// async resumes, event routes; routes nothing reaches are marked.
    Graph(GraphArgs),
    /// Print what the knowledge base knows about a function, pseudo-variable,
    /// modparam (`module.param`), transformation (`{s.len}`), core parameter
    /// or KEMI function (`KSR.tm.t_relay`).
    Docs(DocsArgs),
    /// Run the language server over standard input/output (LSP).
    ///
    /// Editors start it as `kcfg lsp`. Settings come from `kcfg.toml` in
    /// the workspace folder (`kamailio-version`, `[lsp] defines`) and from
    /// the client's initializationOptions, which win:
    /// `{ "kamailioVersion": "6.0", "defines": ["WITH_AUTH"] }`.
    Lsp(LspArgs),
}

/// `kcfg run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The config to run.
    #[arg(value_name = "CONFIG")]
    pub config: PathBuf,
    /// A pcap/pcapng capture or a text file of SIP messages (`---` between messages).
    #[arg(long, value_name = "FILE")]
    pub trace: PathBuf,
    /// Define NAME (or NAME=VALUE) before the config is read, like `kamailio -A`.
    #[arg(short = 'D', long = "define", value_name = "NAME[=VALUE]")]
    pub defines: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RunFormat::Text)]
    pub format: RunFormat,
    /// Show every function call in the timeline, not only routes, logs and messages sent
    /// (with `--compare`: list the messages that are the same too).
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Trace regression: compare what the config sends with what the capture
    /// shows Kamailio sent (exit 1 on differences).
    #[arg(long)]
    pub compare: bool,
    /// Kamailio's address in the capture (default: the config's `listen` lines); repeatable.
    #[arg(long, value_name = "IP:PORT")]
    pub kamailio_addr: Vec<std::net::SocketAddr>,
    /// A header not compared (besides Content-Length and kcfg.toml's `[compare] ignore-headers`); repeatable.
    #[arg(long, value_name = "NAME", requires = "compare")]
    pub ignore_header: Vec<String>,
}

/// `kcfg test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// A scenario file or a directory of them (`*.toml`, recursively).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TestFormat::Text)]
    pub format: TestFormat,
}

/// `kcfg test --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// One line per step, failures with expected and actual values.
    Text,
    /// JUnit XML (one testsuite per file, one testcase per step).
    Junit,
}

/// `kcfg run --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunFormat {
    /// A readable timeline and a summary.
    Text,
    /// One JSON object per message, then a summary object.
    Jsonl,
    /// One JSON document (with `--compare`: the comparison).
    Json,
}

/// `kcfg lsp`.
#[derive(Debug, Args)]
pub struct LspArgs {
    /// Accepted for clients that pass it; standard input/output is the only transport.
    #[arg(long)]
    pub stdio: bool,
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

    /// For KEMI scripts (`.lua`, `.py`, `.js`): the kamailio.cfg that loads them
    /// [default: a `*.cfg` next to the script whose app module `load`s it].
    #[arg(long, value_name = "FILE")]
    pub cfg: Option<PathBuf>,
    /// Run only these lint rules: code prefixes (`KC2`, `KC301`) or rule
    /// names, comma-separated or repeated; replaces `select` of kcfg.toml.
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Do not run these lint rules (added to `ignore` of kcfg.toml).
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// Apply the safe fixes of lint rules to the files (standard input:
    /// print the fixed text instead of the report).
    #[arg(long)]
    pub fix: bool,

    /// With `--fix` or `--diff`: also apply fixes that may change behaviour.
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Show the fixes as a unified diff instead of applying them.
    #[arg(long)]
    pub diff: bool,

    /// Print the number of findings per code instead of the findings.
    #[arg(long)]
    pub statistics: bool,

    /// Check up to N files at once [default: the number of CPUs]. The
    /// report is the same whatever N is; `--fix` and `--diff` take one file
    /// at a time.
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
}

/// `kcfg explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A code (`KC301`) or a lint rule name (`reply-without-exit`).
    #[arg(value_name = "CODE")]
    pub code: Option<String>,
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

/// `kcfg expand`.
#[derive(Debug, Args)]
pub struct ExpandArgs {
    /// The main config file, `-` for standard input.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Define NAME (or NAME=VALUE) before the file is read, like `kamailio -D`/`-A`.
    #[arg(
        short = 'D',
        visible_short_alias = 'A',
        long = "define",
        value_name = "NAME[=VALUE]"
    )]
    pub defines: Vec<String>,

    /// Add a `# from FILE:LINE` comment wherever the source of the next line
    /// is not the line after the previous one.
    #[arg(long)]
    pub source_markers: bool,

    /// The Kamailio version (its predefined `KAMAILIO_*` names, `#!ifexp`) [default: 6.0].
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    pub kamailio_version: Option<kcfg_modules::KamailioVersion>,
}

/// `kcfg graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The main config file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,

    /// Define NAME (or NAME=VALUE) before the file is read, like `kamailio -D`/`-A`.
    #[arg(
        short = 'D',
        visible_short_alias = 'A',
        long = "define",
        value_name = "NAME[=VALUE]"
    )]
    pub defines: Vec<String>,

    /// The Kamailio version [default: `kamailio-version` in kcfg.toml, else 6.0].
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    pub kamailio_version: Option<kcfg_modules::KamailioVersion>,

    /// Colour routes by the coverage of a `kcfg run`/`kcfg test` report.
    /// Not available yet: kcfg has no runtime to record coverage; the
    /// option is refused with an explanation.
    #[arg(long, value_name = "REPORT")]
    pub coverage: Option<PathBuf>,
}

/// `kcfg graph --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// A Mermaid flowchart (renders in GitHub/GitLab Markdown).
    Mermaid,
    /// SVG, laid out by kcfg itself (no Graphviz needed).
    Svg,
}

/// `kcfg docs`.
#[derive(Debug, Args)]
pub struct DocsArgs {
    /// What to look up: `t_relay`, `$ru`, `tm.fr_timer` (or `tm:fr_timer`),
    /// `{s.len}` / `s.len`, `children`, `KSR.tm.t_relay`.
    #[arg(value_name = "NAME")]
    pub name: String,

    /// The Kamailio version [default: 6.0].
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    pub kamailio_version: Option<kcfg_modules::KamailioVersion>,
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
    /// SARIF 2.1.0 (GitHub code scanning and other tools).
    Sarif,
    /// GitHub Actions workflow annotations (`::warning file=...`).
    Github,
    /// JUnit XML, one test case per file.
    Junit,
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
