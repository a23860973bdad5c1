//! The settings file: command-line options kept for every run, one argument a line.
//!
//! The file is `$CRMSQL_CONFIG`, or `crmsql/config` in the user's configuration folder
//! (`~/.config/crmsql/config` on Linux). Its arguments go before those typed, so an option typed
//! on the command line wins over the same option in the file. Blank lines and lines starting
//! with `#` are skipped, and so is a `#` after a space or a tab to the end of its line; the rest
//! are trimmed. An option and its value may share a line, with `=` or a space between them. A
//! value in double or single quotes loses them, as a shell would remove them.
//!
//! ```text
//! # crmsql settings
//! --memory-limit=2G
//! --warehouse=/data/crm
//! --lang
//! en
//! ```

use std::ffi::OsString;
use std::path::PathBuf;

/// The arguments read from the settings file.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub args: Vec<OsString>,
    /// The line of the file, from 1, that each argument of `args` came from.
    pub lines: Vec<usize>,
}

/// An error reading the settings file.
#[derive(Debug)]
pub struct ConfigError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Reads the settings file. A file named by `CRMSQL_CONFIG` must exist, and an empty
/// `CRMSQL_CONFIG` turns the file off; the default file may be missing.
pub fn load() -> Result<Option<Config>, ConfigError> {
    let (path, required) = match std::env::var_os("CRMSQL_CONFIG") {
        Some(path) if path.is_empty() => return Ok(None),
        Some(path) => (PathBuf::from(path), true),
        None => match dirs::config_dir() {
            Some(folder) => (folder.join("crmsql").join("config"), false),
            None => return Ok(None),
        },
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if !required && error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(None);
        }
        Err(source) => return Err(ConfigError { path, source }),
    };
    // Editors on Windows may start the file with a byte order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let (lines, args) = parse_numbered(text).into_iter().unzip();
    Ok(Some(Config { path, args, lines }))
}

/// Returns the arguments of the file's text without their line numbers.
#[cfg(test)]
fn parse(text: &str) -> Vec<OsString> {
    parse_numbered(text)
        .into_iter()
        .map(|(_, arg)| arg)
        .collect()
}

/// Returns the arguments of the file's text, each with its line number: one a line, without
/// blank lines and comments. A line such as `--cluster df://10.0.0.5:50050`, an option and its
/// value as typed in a shell, reads as `--cluster=df://10.0.0.5:50050`.
fn parse_numbered(text: &str) -> Vec<(usize, OsString)> {
    text.lines()
        .enumerate()
        .map(|(index, line)| (index + 1, without_comment(line).trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(|(number, line)| {
            let option = line.starts_with("--") && !line.contains('=');
            let arg = match line.split_once(char::is_whitespace) {
                Some((name, value)) if option => format!("{name}={}", unquote(value.trim())).into(),
                _ => match line.split_once('=') {
                    Some((name, value)) if line.starts_with("--") => {
                        format!("{name}={}", unquote(value)).into()
                    }
                    _ => OsString::from(unquote(line)),
                },
            };
            (number, arg)
        })
        .collect()
}

/// Returns `line` up to a `#` that follows a space or a tab outside quotes, which starts a
/// comment as in a shell.
fn without_comment(line: &str) -> &str {
    let mut quote = None;
    let mut after_space = false;
    for (at, c) in line.char_indices() {
        match (quote, c) {
            (Some(open), _) if c == open => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '#') if after_space => return &line[..at],
            _ => {}
        }
        after_space = c == ' ' || c == '\t';
    }
    line
}

/// Returns `value` without the double or single quotes around it, if it has them.
fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

/// Removes the file's options whose variable is set in the environment, because a variable
/// such as `CRMSQL_MEMORY_LIMIT` is meant to win over the file. `set` lists the long names of the
/// options whose variable is set, each with whether it takes a value.
/// Returns the positions in `args` of the arguments kept.
pub fn without_options(args: &[OsString], set: &[(String, bool)]) -> Vec<usize> {
    let mut kept_positions = Vec::with_capacity(args.len());
    let mut skip_value = false;
    for (index, arg) in args.iter().enumerate() {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        let text = arg.to_string_lossy();
        let Some(name) = text.strip_prefix("--") else {
            kept_positions.push(index);
            continue;
        };
        let (name, inline) = match name.split_once('=') {
            Some((name, _)) => (name, true),
            None => (name, false),
        };
        match set.iter().find(|(long, _)| long == name) {
            Some((_, takes_value)) => skip_value = *takes_value && !inline,
            None => kept_positions.push(index),
        }
    }
    kept_positions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_argument_a_line() {
        let text = "# limits\n--memory-limit=2G\n\n  --lang  \r\nen\n#--pager=off\n";
        assert_eq!(parse(text), ["--memory-limit=2G", "--lang", "en"]);
    }

    #[test]
    fn config_option_and_value_one_line() {
        let text = "--cluster df://10.0.0.5:50050
--warehouse  /data/crm sales
--lang=en
";
        assert_eq!(
            parse(text),
            [
                "--cluster=df://10.0.0.5:50050",
                "--warehouse=/data/crm sales",
                "--lang=en"
            ]
        );
        let quoted =
            "--warehouse=\"/data/crm sales\"\n--cluster 'df://h:1'\n--lang\n\"en\"\n--init=\"x\n";
        assert_eq!(
            parse(quoted),
            [
                "--warehouse=/data/crm sales",
                "--cluster=df://h:1",
                "--lang",
                "en",
                "--init=\"x"
            ]
        );
    }

    #[test]
    fn variables_win_over_the_file() {
        let args = parse("--memory-limit\n2G\n--lang=en\n--warehouse=/w\n--pager=off");
        let set = [
            ("memory-limit".to_owned(), true),
            ("warehouse".to_owned(), true),
        ];
        let remaining: Vec<&OsString> = without_options(&args, &set)
            .into_iter()
            .map(|index| &args[index])
            .collect();
        assert_eq!(remaining, ["--lang=en", "--pager=off"]);
    }

    #[test]
    fn comment_after_a_space_is_dropped() {
        let text = "--memory-limit=2G  # the server\n--warehouse=/data/crm#2\n\
                    --warehouse \"/data/crm #3\" # quoted\n--lang\ten\t# tab\n";
        assert_eq!(
            parse(text),
            [
                "--memory-limit=2G",
                "--warehouse=/data/crm#2",
                "--warehouse=/data/crm #3",
                "--lang=en"
            ]
        );
    }

    #[test]
    fn arguments_keep_their_line_numbers() {
        let text = "# limits\n\n--memory-limit\n  2G\n--lang=en\n";
        assert_eq!(
            parse_numbered(text),
            [
                (3, OsString::from("--memory-limit")),
                (4, OsString::from("2G")),
                (5, OsString::from("--lang=en"))
            ]
        );
    }
}
