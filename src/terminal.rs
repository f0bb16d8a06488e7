//! Text written to standard error as Nix writes it.
//!
//! Nix passes every message it logs (errors, traces, warnings) through one
//! filter: escape sequences are dropped, except colours when the stream is
//! a terminal; tabs become spaces up to the next multiple of eight columns;
//! carriage returns go. Messages made by Nix code (the module system colours
//! its errors) are then the same plain text in a log or a pipe, and tests
//! that match error text see what Nix users see.

use std::io::IsTerminal;

/// `text` as Nix would write it to standard error.
pub fn for_stderr(text: &str) -> String {
    filter(text, std::io::stderr().is_terminal())
}

/// Drops escape sequences (keeping colour changes, `ESC [ … m`, when
/// `keep_colours`), expands tabs and drops carriage returns. Columns count
/// bytes from the start of the text, across lines, as Nix counts them.
pub fn filter(text: &str, keep_colours: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut column = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            0x1b => {
                let end = escape_end(bytes, i);
                if keep_colours && end > i + 2 && bytes[i + 1] == b'[' && bytes[end - 1] == b'm' {
                    out.extend_from_slice(&bytes[i..end]);
                }
                i = end;
            }
            b'\t' => {
                out.push(b' ');
                column += 1;
                while !column.is_multiple_of(8) {
                    out.push(b' ');
                    column += 1;
                }
                i += 1;
            }
            b'\r' => i += 1,
            byte => {
                out.push(byte);
                column += 1;
                i += 1;
            }
        }
    }
    // Only whole ASCII escape sequences were removed, so the bytes left
    // are still UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Where the escape sequence starting at `start` (an ESC) ends: a control
/// sequence is `ESC [`, parameter bytes, intermediate bytes and a final
/// byte; any other is ESC and one byte from `@` to `_`.
fn escape_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    let take = |i: &mut usize, range: std::ops::RangeInclusive<u8>| {
        while *i < bytes.len() && range.contains(&bytes[*i]) {
            *i += 1;
        }
    };
    if bytes.get(i) == Some(&b'[') {
        i += 1;
        take(&mut i, 0x30..=0x3f);
        take(&mut i, 0x20..=0x2f);
        if bytes.get(i).is_some_and(|b| (0x40..=0x7e).contains(b)) {
            i += 1;
        }
    } else if bytes.get(i).is_some_and(|b| (0x40..=0x5f).contains(b)) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::filter;

    #[test]
    fn escapes_are_dropped_or_kept_as_colours() {
        // `ESC ]` is a sequence of two bytes; `ESC [ 2 K` is not a colour.
        let text = "a\x1b[1;35mb\x1b[0mc\x1b]d\x1b[2Ke";
        assert_eq!(filter(text, false), "abcde");
        assert_eq!(filter(text, true), "a\x1b[1;35mb\x1b[0mcde");
    }

    #[test]
    fn tabs_reach_the_next_multiple_of_eight_counting_across_lines() {
        // "error: ab\n       cd" is 19 bytes: the tab pads to 24.
        assert_eq!(
            filter("error: ab\n       cd\te", false),
            "error: ab\n       cd     e"
        );
        assert_eq!(filter("\tx\r\n", false), "        x\n");
    }

    #[test]
    fn text_after_a_cut_escape_is_kept() {
        assert_eq!(filter("é\x1b", false), "é");
        assert_eq!(filter("\x1b[", false), "");
    }
}
