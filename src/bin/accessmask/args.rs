//! The command line: options, the policy argument, and queries as words.

use std::path::Path;

use crate::Failure;

/// Where the document comes from.
#[derive(Debug)]
pub(crate) enum Source {
    Default,
    File(String),
    Stdin,
}

/// What a check file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CheckKind {
    /// `--expect`: an expectations document.
    Expect,
    /// `--golden`: a Markdown matrix.
    Golden,
}

/// Which matrix `--print` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Which {
    Roles,
    Levels,
}

#[derive(Debug, Default)]
pub(crate) struct Options {
    pub(crate) help: bool,
    pub(crate) markdown: bool,
    pub(crate) verbose: bool,
    /// `--matrices` (true) or `--no-matrices` (false); by default the matrices
    /// are printed unless checking.
    pub(crate) matrices: Option<bool>,
    pub(crate) print: Option<Which>,
    pub(crate) policy: Option<Source>,
    /// Each query as its words.
    pub(crate) queries: Vec<Vec<String>>,
    /// The check files, in the order given.
    pub(crate) checks: Vec<(CheckKind, String)>,
}

/// Whether `arg` names a file: it contains a path separator or ends in `.json`
/// or `.toml`. Such an argument is never a query word.
pub(crate) fn names_a_file(arg: &str) -> bool {
    arg.contains('/')
        || arg.contains(std::path::MAIN_SEPARATOR)
        || Path::new(arg)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json") || e.eq_ignore_ascii_case("toml"))
}

/// Whether `arg` is a whole query: it has whitespace outside a quoted id (one
/// that opens with `:"`, as the library reads it), so `repo:"acme web"` alone is
/// one word of a query.
pub(crate) fn is_whole_query(arg: &str) -> bool {
    let mut quoted = false;
    let mut prev = None;
    let mut chars = arg.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted => quoted = false,
            '"' if prev == Some(':') => quoted = true,
            '\\' if quoted => {
                chars.next();
            }
            c if c.is_whitespace() && !quoted => return true,
            _ => {}
        }
        prev = Some(c);
    }
    false
}

/// Whether `arg` is a query's `KIND:ID` word (`repo:acme/web`): a `:` after at
/// least two characters and before any path separator. Such a word is never a
/// file (a Windows drive, `C:`, has one character before its `:`).
pub(crate) fn is_resource_word(arg: &str) -> bool {
    arg.split_once(':').is_some_and(|(kind, _)| {
        kind.chars().count() >= 2 && !kind.contains(['/', std::path::MAIN_SEPARATOR])
    })
}

pub(crate) fn is_policy_arg(arg: &str) -> bool {
    arg == "-" || names_a_file(arg) || Path::new(arg).is_file()
}

/// The value of option `name`: after `=` in the same argument, or the next
/// argument (which may not look like an option).
pub(crate) fn option_value<'a>(
    name: &str,
    inline: Option<&'a str>,
    rest: &mut impl Iterator<Item = &'a String>,
    what: &str,
) -> Result<&'a str, Failure> {
    match inline.or_else(|| rest.next().map(String::as_str)) {
        Some(v) if !v.is_empty() && (inline.is_some() || !v.starts_with('-')) => Ok(v),
        _ => Err(Failure::usage(format!("`{name}` needs {what}"))),
    }
}

pub(crate) fn parse_args(args: &[String]) -> Result<Options, Failure> {
    let mut p = Parser::default();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if p.option_with_value(arg, &mut rest)? {
            continue;
        }
        if is_whole_query(arg) {
            // A whole query in one argument, kept as written (a quoted id keeps
            // its spaces).
            p.end_query();
            p.o.queries.push(vec![arg.to_string()]);
            p.seen_positional = true;
            continue;
        }
        p.word(arg)?;
    }
    p.end_query();
    p.finish()
}

/// The command line read so far.
#[derive(Debug, Default)]
struct Parser {
    o: Options,
    /// The words of the query being read.
    words: Vec<String>,
    /// Whether a query word or the policy has been seen.
    seen_positional: bool,
}

impl Parser {
    /// Reads an option that takes a value (`--expect`, `--golden`, `--print`),
    /// from `arg=value` or the next argument. False if `arg` is not one.
    fn option_with_value<'a>(
        &mut self,
        arg: &'a str,
        rest: &mut impl Iterator<Item = &'a String>,
    ) -> Result<bool, Failure> {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v)),
            _ => (arg, None),
        };
        match name {
            "--expect" | "--golden" => {
                let (kind, what) = if name == "--expect" {
                    (CheckKind::Expect, "an expectations file (FILE.json)")
                } else {
                    (CheckKind::Golden, "a golden matrix file (FILE.md)")
                };
                let file = option_value(name, inline, rest, what)?;
                self.o.checks.push((kind, file.to_string()));
            }
            "--print" => {
                let which = option_value(name, inline, rest, "`roles` or `levels`")?;
                self.o.print = Some(match which {
                    "roles" => Which::Roles,
                    "levels" => Which::Levels,
                    other => {
                        return Err(Failure::usage(format!(
                            "`--print {other}`: expected `roles` or `levels`"
                        )))
                    }
                });
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Ends the query being read, if it has words.
    fn end_query(&mut self) {
        if !self.words.is_empty() {
            self.o.queries.push(std::mem::take(&mut self.words));
        }
    }

    /// Reads a flag, the policy, or a query word.
    fn word(&mut self, arg: &str) -> Result<(), Failure> {
        let o = &mut self.o;
        match arg {
            "--" => self.end_query(),
            "-h" | "--help" => o.help = true,
            "--markdown" => o.markdown = true,
            "--verbose" => o.verbose = true,
            "--embedded" => {
                if o.policy.is_some() {
                    return Err(Failure::usage(
                        "`--embedded` and a POLICY contradict each other",
                    ));
                }
                o.policy = Some(Source::Default);
            }
            "--matrices" | "--no-matrices" => {
                let want = arg == "--matrices";
                if o.matrices == Some(!want) {
                    return Err(Failure::usage(
                        "`--matrices` and `--no-matrices` contradict each other",
                    ));
                }
                o.matrices = Some(want);
            }
            a if a.starts_with('-') && a != "-" => {
                return Err(Failure::usage(format!("unknown option `{a}`")));
            }
            a if o.policy.is_none() && !self.seen_positional && is_policy_arg(a) => {
                self.seen_positional = true;
                o.policy = Some(if a == "-" {
                    Source::Stdin
                } else {
                    Source::File(a.to_string())
                });
            }
            a if names_a_file(a) && !is_resource_word(a) => {
                // A second file, or a file after a query: never a query word.
                if !Path::new(a).exists() {
                    return Err(Failure::invalid(format!("{a}: no such file")));
                }
                return Err(Failure::usage(format!(
                    "`{a}`: only one POLICY, before the queries"
                )));
            }
            a => {
                self.seen_positional = true;
                self.words.push(a.to_string());
            }
        }
        Ok(())
    }

    /// The options, once the combination is checked.
    fn finish(self) -> Result<Options, Failure> {
        let o = self.o;
        if o.print.is_some()
            && (!o.queries.is_empty() || !o.checks.is_empty() || o.matrices.is_some())
        {
            return Err(Failure::usage(
                "`--print` prints one matrix and nothing else: give it no queries, \
                 checks, `--matrices` or `--no-matrices`",
            ));
        }
        let asking = !o.queries.is_empty() || !o.checks.is_empty() || o.print.is_some();
        if asking && o.policy.is_none() && !o.help {
            return Err(Failure::usage(
                "no policy: give POLICY (a .json or .toml file, or `-`) before the queries \
                 and checks, or `--embedded` for the embedded Magnews policy",
            ));
        }
        Ok(o)
    }
}
