//! Results taller or wider than the terminal go through a pager, as in psql; output to a pipe or
//! a file never does.

use std::io::{IsTerminal, Write};
use std::process::{Command, Stdio};

use unicode_width::UnicodeWidthStr;

/// When results go through the pager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PagerMode {
    /// When a result does not fit the terminal.
    #[default]
    Auto,
    /// Always, on a terminal.
    On,
    Off,
}

impl PagerMode {
    pub fn parse(text: &str) -> Option<PagerMode> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(PagerMode::Auto),
            "on" => Some(PagerMode::On),
            "off" => Some(PagerMode::Off),
            _ => None,
        }
    }
}

/// Returns whether text of `lines` lines, the widest `width` columns, needs the pager on a
/// terminal of `columns` × `rows`.
pub fn needs_pager(lines: usize, width: usize, columns: usize, rows: usize) -> bool {
    // One line stays for the prompt that follows.
    lines + 1 > rows || width > columns
}

/// Writes `text` to standard output, through the pager when `mode` and the terminal call for
/// it. A pager that cannot start leaves the text to standard output.
pub fn show(text: &[u8], mode: PagerMode) -> std::io::Result<()> {
    let terminal = std::io::stdout().is_terminal();
    let page = match mode {
        PagerMode::Off => false,
        _ if !terminal => false,
        PagerMode::On => true,
        PagerMode::Auto => {
            let Some((terminal_size::Width(columns), terminal_size::Height(rows))) =
                terminal_size::terminal_size()
            else {
                return write_out(text);
            };
            let text = String::from_utf8_lossy(text);
            let lines = text.lines().count();
            let width = text.lines().map(UnicodeWidthStr::width).max().unwrap_or(0);
            needs_pager(lines, width, usize::from(columns), usize::from(rows))
        }
    };
    if !page || spawn_pager(text).is_err() {
        return write_out(text);
    }
    Ok(())
}

fn write_out(text: &[u8]) -> std::io::Result<()> {
    let mut out = crate::failure::Stdout;
    out.write_all(text)?;
    out.flush()
}

/// Runs `$PAGER`, or `less` that keeps wide lines whole (`-S`), shows colours (`-R`), quits
/// when the text fits one screen (`-F`) and leaves it on the screen (`-X`).
fn spawn_pager(text: &[u8]) -> std::io::Result<()> {
    let configured = std::env::var("PAGER")
        .ok()
        .filter(|pager| !pager.trim().is_empty());
    let (program, args): (String, Vec<String>) = match configured {
        Some(pager) => {
            let mut words = pager.split_whitespace().map(str::to_owned);
            let program = words.next().unwrap_or_default();
            (program, words.collect())
        }
        None => (
            "less".to_owned(),
            ["-S", "-R", "-F", "-X"].map(str::to_owned).to_vec(),
        ),
    };
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        // The reader may quit before reading everything; that is not an error.
        let _ = stdin.write_all(text);
    }
    child.wait()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pager_for_tall_or_wide_text() {
        assert!(!needs_pager(10, 80, 80, 24));
        assert!(needs_pager(24, 80, 80, 24));
        assert!(needs_pager(3, 81, 80, 24));
        assert_eq!(PagerMode::parse("ON"), Some(PagerMode::On));
        assert_eq!(PagerMode::parse("sometimes"), None);
    }
}
