//! Asking a person before something that is hard to undo: one prompt for
//! every command (`cfp patch`'s go-ahead, `cfp task create` on a fleet).

use std::io::{BufRead, IsTerminal as _, Write};

/// A person can answer: stdin and stderr are both terminals. Without one
/// (a pipeline, CI), commands do not ask.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Writes `question` and ` [y/N] ` on stderr (shielded) and reads one line
/// of stdin: true only for y or yes (any case). End of input, an error or
/// anything else is a no.
pub fn confirm(question: &str) -> bool {
    {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{} [y/N] ", crate::shield::for_terminal(question));
        let _ = err.flush();
    }
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    is_yes(&line)
}

/// y or yes, in any case, spaces around ignored.
pub fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_y_or_yes_is_a_yes() {
        for yes in ["y", "Y", "yes", "YES", " Yes \r\n"] {
            assert!(is_yes(yes), "{yes:?}");
        }
        for no in ["", "\n", "n", "no", "yess", "y y", "ok"] {
            assert!(!is_yes(no), "{no:?}");
        }
    }
}
