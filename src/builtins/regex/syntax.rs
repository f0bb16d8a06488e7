//! Parsing POSIX extended regular expressions the way libstdc++ reads them,
//! and writing them out in `regex` crate syntax.

use std::fmt::Write as _;

use spindle_fiber::{ensure_sufficient_stack, StackExhausted};

/// Why a pattern is not a valid POSIX extended regular expression.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadPattern;

/// A set of bytes.
pub(crate) type ByteSet = [bool; 256];

/// A parsed pattern.
#[derive(Debug)]
pub(crate) enum Node {
    /// Matches the empty string (an empty branch or group).
    Empty,
    /// One byte out of a set (a literal, `.` or a bracket expression).
    Set(Box<ByteSet>),
    /// `^`.
    Bol,
    /// `$`.
    Eol,
    /// A capturing group, numbered from 1 in order of its `(`.
    Group(u32, Box<Node>),
    Concat(Vec<Node>),
    /// Alternatives, tried left to right.
    Alt(Vec<Node>),
    Repeat(Box<Node>, Quant),
}

/// A quantifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Quant {
    /// `*`
    Star,
    /// `+`
    Plus,
    /// `?`
    Opt,
    /// `{n}`, `{n,}` and `{n,m}`.
    Range(u32, Option<u32>),
}

/// A pattern with the number of its capturing groups.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub root: Node,
    pub groups: u32,
}

/// Characters a backslash may escape outside brackets; escaping anything
/// else is an error, as in libstdc++.
const ESCAPABLE: &[u8] = b"^$\\.*+?()[{|";

/// How deeply groups and stacked quantifiers may nest.
const MAX_DEPTH: u32 = 500;

/// Bounds above this cannot fit in libstdc++'s state limit anyway; they are
/// clamped so that the size check rejects them.
const MAX_BOUND: u32 = 1_000_000;

/// One item of a branch, with how deeply nested it is.
struct Item {
    node: Node,
    depth: u32,
    /// Whether a quantifier may follow (not after `^` or `$`).
    repeatable: bool,
}

/// An open group (or the whole pattern) while parsing.
#[derive(Default)]
struct Frame {
    group: Option<u32>,
    branches: Vec<(Node, u32)>,
    items: Vec<Item>,
}

impl Frame {
    fn end_branch(&mut self) {
        let items = std::mem::take(&mut self.items);
        let depth = items.iter().map(|i| i.depth).max().unwrap_or(0);
        let mut nodes: Vec<Node> = items.into_iter().map(|i| i.node).collect();
        let node = match nodes.len() {
            0 => Node::Empty,
            1 => nodes.pop().expect("one node"),
            _ => Node::Concat(nodes),
        };
        self.branches.push((node, depth));
    }

    /// Closes the frame into one node and its depth.
    fn finish(mut self) -> (Node, u32) {
        self.end_branch();
        let depth = self.branches.iter().map(|b| b.1).max().unwrap_or(0);
        let mut nodes: Vec<Node> = self.branches.into_iter().map(|b| b.0).collect();
        let node = if nodes.len() == 1 {
            nodes.pop().expect("one branch")
        } else {
            Node::Alt(nodes)
        };
        (node, depth)
    }
}

/// Parses a POSIX extended regular expression.
pub(crate) fn parse(pattern: &[u8]) -> Result<Parsed, BadPattern> {
    // Open groups live on an explicit stack, so nesting costs no native stack.
    let mut stack: Vec<Frame> = vec![Frame::default()];
    let mut groups = 0u32;
    let mut i = 0;
    while i < pattern.len() {
        let c = pattern[i];
        i += 1;
        let frame = stack.last_mut().expect("the outer frame stays");
        match c {
            b'(' => {
                groups += 1;
                stack.push(Frame {
                    group: Some(groups),
                    ..Frame::default()
                });
            }
            b')' => {
                if stack.len() == 1 {
                    return Err(BadPattern);
                }
                let done = stack.pop().expect("an open group");
                let group = done.group.expect("inner frames are groups");
                let (body, depth) = done.finish();
                push_item(
                    &mut stack,
                    Node::Group(group, Box::new(body)),
                    depth + 1,
                    true,
                )?;
            }
            b'|' => frame.end_branch(),
            b'^' => push_item(&mut stack, Node::Bol, 0, false)?,
            b'$' => push_item(&mut stack, Node::Eol, 0, false)?,
            b'*' | b'+' | b'?' | b'{' => {
                let quant = match c {
                    b'*' => Quant::Star,
                    b'+' => Quant::Plus,
                    b'?' => Quant::Opt,
                    _ => {
                        let (q, used) = bound(&pattern[i..])?;
                        i += used;
                        q
                    }
                };
                let item = frame.items.last_mut().ok_or(BadPattern)?;
                if !item.repeatable {
                    return Err(BadPattern);
                }
                let inner = std::mem::replace(&mut item.node, Node::Empty);
                item.node = Node::Repeat(Box::new(inner), quant);
                item.depth += 1;
                if item.depth > MAX_DEPTH {
                    return Err(BadPattern);
                }
            }
            b'.' => {
                let mut set = [true; 256];
                // POSIX `.` matches any character but NUL.
                set[0] = false;
                push_item(&mut stack, Node::Set(Box::new(set)), 0, true)?;
            }
            b'[' => {
                let (set, used) = bracket(&pattern[i..])?;
                i += used;
                push_item(&mut stack, Node::Set(Box::new(set)), 0, true)?;
            }
            b'\\' => {
                let escaped = *pattern.get(i).ok_or(BadPattern)?;
                if !ESCAPABLE.contains(&escaped) {
                    return Err(BadPattern);
                }
                i += 1;
                push_item(&mut stack, literal(escaped), 0, true)?;
            }
            _ => push_item(&mut stack, literal(c), 0, true)?,
        }
    }
    if stack.len() != 1 {
        return Err(BadPattern);
    }
    let (root, _) = stack.pop().expect("the outer frame").finish();
    Ok(Parsed { root, groups })
}

fn push_item(
    stack: &mut [Frame],
    node: Node,
    depth: u32,
    repeatable: bool,
) -> Result<(), BadPattern> {
    if depth > MAX_DEPTH {
        return Err(BadPattern);
    }
    let frame = stack.last_mut().expect("the outer frame stays");
    frame.items.push(Item {
        node,
        depth,
        repeatable,
    });
    Ok(())
}

fn literal(c: u8) -> Node {
    let mut set = [false; 256];
    set[c as usize] = true;
    Node::Set(Box::new(set))
}

/// Parses the rest of an interval `{n}`, `{n,}` or `{n,m}` (after the `{`),
/// returning it and how many bytes it used.
fn bound(rest: &[u8]) -> Result<(Quant, usize), BadPattern> {
    let close = rest.iter().position(|&b| b == b'}').ok_or(BadPattern)?;
    let body = &rest[..close];
    let number = |s: &[u8]| -> Result<u32, BadPattern> {
        if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
            return Err(BadPattern);
        }
        let mut n: u32 = 0;
        for d in s {
            n = n.saturating_mul(10).saturating_add(u32::from(d - b'0'));
        }
        Ok(n.min(MAX_BOUND))
    };
    let quant = match body.iter().position(|&b| b == b',') {
        None => {
            let n = number(body)?;
            Quant::Range(n, Some(n))
        }
        Some(comma) if comma + 1 == body.len() => Quant::Range(number(&body[..comma])?, None),
        Some(comma) => {
            let low = number(&body[..comma])?;
            let high = number(&body[comma + 1..])?;
            if low > high {
                return Err(BadPattern);
            }
            Quant::Range(low, Some(high))
        }
    };
    Ok((quant, close + 1))
}

/// The previous element of a bracket expression, which decides what a
/// following `-` means.
#[derive(Clone, Copy)]
enum Prev {
    Nothing,
    Char(u8),
    Class,
}

/// Parses a bracket expression after its `[`, returning the bytes it matches
/// and how many pattern bytes it used.
fn bracket(rest: &[u8]) -> Result<(ByteSet, usize), BadPattern> {
    let mut set = [false; 256];
    let mut i = 0;
    let negated = rest.first() == Some(&b'^');
    if negated {
        i += 1;
    }
    // A `]` or `-` right at the start is an ordinary character.
    let mut prev = match rest.get(i) {
        Some(&c @ (b']' | b'-')) => {
            i += 1;
            Prev::Char(c)
        }
        _ => Prev::Nothing,
    };
    loop {
        let c = *rest.get(i).ok_or(BadPattern)?;
        match c {
            b']' => {
                flush(&mut set, prev);
                i += 1;
                break;
            }
            b'-' => {
                i += 1;
                if rest.get(i) == Some(&b']') {
                    flush(&mut set, prev);
                    set[b'-' as usize] = true;
                    i += 1;
                    break;
                }
                let Prev::Char(low) = prev else {
                    return Err(BadPattern);
                };
                let high = range_end(&rest[i..])?;
                i += 1;
                add_range(&mut set, low, high)?;
                prev = Prev::Nothing;
            }
            b'[' if matches!(rest.get(i + 1), Some(b':' | b'.' | b'=')) => {
                let kind = rest[i + 1];
                let (name, used) = bracket_name(&rest[i + 2..], kind)?;
                i += 2 + used;
                flush(&mut set, prev);
                prev = match kind {
                    b':' => {
                        add_named_class(&mut set, name)?;
                        Prev::Class
                    }
                    b'.' => Prev::Char(collating_element(name)?),
                    _ => {
                        set[collating_element(name)? as usize] = true;
                        Prev::Class
                    }
                };
            }
            _ => {
                flush(&mut set, prev);
                prev = Prev::Char(c);
                i += 1;
            }
        }
    }
    if negated {
        for b in set.iter_mut() {
            *b = !*b;
        }
    }
    Ok((set, i))
}

/// Adds a pending single character to the set.
fn flush(set: &mut ByteSet, prev: Prev) {
    if let Prev::Char(c) = prev {
        set[c as usize] = true;
    }
}

/// The end of a range after its `-`: a plain character (a `-` included).
fn range_end(rest: &[u8]) -> Result<u8, BadPattern> {
    match rest.first() {
        None | Some(b']') => Err(BadPattern),
        Some(b'[') if matches!(rest.get(1), Some(b':' | b'.' | b'=')) => Err(BadPattern),
        Some(&c) => Ok(c),
    }
}

/// Adds `low-high`. libstdc++ compares `char`s, which are signed, so bytes
/// from 0x80 sort before ASCII.
fn add_range(set: &mut ByteSet, low: u8, high: u8) -> Result<(), BadPattern> {
    let (low, high) = (low as i8, high as i8);
    if low > high {
        return Err(BadPattern);
    }
    for c in low..=high {
        set[c as u8 as usize] = true;
    }
    Ok(())
}

/// Reads the name of `[:name:]`, `[.name.]` or `[=name=]` up to its closing
/// delimiter, returning it and the bytes used (closing `x]` included).
fn bracket_name(rest: &[u8], kind: u8) -> Result<(&[u8], usize), BadPattern> {
    let end = rest
        .windows(2)
        .position(|w| w[0] == kind && w[1] == b']')
        .ok_or(BadPattern)?;
    Ok((&rest[..end], end + 2))
}

/// Adds a character class by name (`alpha`, …; also libstdc++'s `d`, `w`,
/// `s`), with the C locale's ASCII meaning.
fn add_named_class(set: &mut ByteSet, name: &[u8]) -> Result<(), BadPattern> {
    let name = name.to_ascii_lowercase();
    let test: fn(u8) -> bool = match name.as_slice() {
        b"alnum" => |c| c.is_ascii_alphanumeric(),
        b"alpha" => |c| c.is_ascii_alphabetic(),
        b"blank" => |c| c == b' ' || c == b'\t',
        b"cntrl" => |c| c.is_ascii_control(),
        b"digit" | b"d" => |c| c.is_ascii_digit(),
        b"graph" => |c| c.is_ascii_graphic(),
        b"lower" => |c| c.is_ascii_lowercase(),
        b"print" => |c| c.is_ascii_graphic() || c == b' ',
        b"punct" => |c| c.is_ascii_punctuation(),
        b"space" | b"s" => |c| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'),
        b"upper" => |c| c.is_ascii_uppercase(),
        b"xdigit" => |c| c.is_ascii_hexdigit(),
        b"w" => |c| c.is_ascii_alphanumeric() || c == b'_',
        _ => return Err(BadPattern),
    };
    for c in 0..=127u8 {
        if test(c) {
            set[c as usize] = true;
        }
    }
    Ok(())
}

/// The character a collating-element name stands for. Only the POSIX names
/// of the ASCII characters are known (single letters name themselves, but
/// `-` must be written `hyphen`), as in libstdc++.
fn collating_element(name: &[u8]) -> Result<u8, BadPattern> {
    COLLATING_NAMES
        .iter()
        .position(|n| n.as_bytes() == name)
        .map(|i| i as u8)
        .ok_or(BadPattern)
}

/// The POSIX names of the characters 0 to 127, by code.
#[rustfmt::skip]
const COLLATING_NAMES: [&str; 128] = [
    "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "alert", "backspace", "tab",
    "newline", "vertical-tab", "form-feed", "carriage-return", "SO", "SI", "DLE",
    "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC",
    "IS4", "IS3", "IS2", "IS1", "space", "exclamation-mark", "quotation-mark",
    "number-sign", "dollar-sign", "percent-sign", "ampersand", "apostrophe",
    "left-parenthesis", "right-parenthesis", "asterisk", "plus-sign", "comma",
    "hyphen", "period", "slash", "zero", "one", "two", "three", "four", "five",
    "six", "seven", "eight", "nine", "colon", "semicolon", "less-than-sign",
    "equals-sign", "greater-than-sign", "question-mark", "commercial-at",
    "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O",
    "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z",
    "left-square-bracket", "backslash", "right-square-bracket", "circumflex",
    "underscore", "grave-accent",
    "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o",
    "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z",
    "left-curly-bracket", "vertical-line", "right-curly-bracket", "tilde", "DEL",
];

// ---- writing `regex` syntax ---------------------------------------------------

/// Writes `node` in `regex` crate syntax, for use with `(?s-u)` on bytes.
/// Groups keep their numbers; every other grouping is non-capturing.
pub(crate) fn to_regex_syntax(node: &Node) -> Result<String, StackExhausted> {
    let mut out = String::new();
    write_node(&mut out, node)?;
    Ok(out)
}

fn write_node(out: &mut String, node: &Node) -> Result<(), StackExhausted> {
    ensure_sufficient_stack(|| {
        match node {
            Node::Empty => out.push_str("(?:)"),
            Node::Set(set) => write_class(out, set),
            Node::Bol => out.push('^'),
            Node::Eol => out.push('$'),
            Node::Group(_, body) => {
                out.push('(');
                write_node(out, body)?;
                out.push(')');
            }
            Node::Concat(items) => {
                for item in items {
                    write_node(out, item)?;
                }
            }
            Node::Alt(branches) => {
                out.push_str("(?:");
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        out.push('|');
                    }
                    write_node(out, b)?;
                }
                out.push(')');
            }
            Node::Repeat(body, quant) => {
                out.push_str("(?:");
                write_node(out, body)?;
                out.push(')');
                let _ = match quant {
                    Quant::Star => write!(out, "*"),
                    Quant::Plus => write!(out, "+"),
                    Quant::Opt => write!(out, "?"),
                    Quant::Range(n, None) => write!(out, "{{{n},}}"),
                    Quant::Range(n, Some(m)) => write!(out, "{{{n},{m}}}"),
                };
            }
        }
        Ok(())
    })
}

/// Writes a byte set as a `regex` class.
fn write_class(out: &mut String, set: &ByteSet) {
    if !set.iter().any(|&b| b) {
        // An empty class matches nothing.
        out.push_str("[a&&b]");
        return;
    }
    out.push('[');
    let mut b = 0usize;
    while b < 256 {
        if !set[b] {
            b += 1;
            continue;
        }
        let first = b;
        while b + 1 < 256 && set[b + 1] {
            b += 1;
        }
        let _ = write!(out, "\\x{first:02X}");
        if b > first {
            let _ = write!(out, "-\\x{b:02X}");
        }
        b += 1;
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(p: &str) -> bool {
        parse(p.as_bytes()).is_ok()
    }

    #[test]
    fn escapes() {
        assert!(ok("a\\.b"));
        assert!(ok("\\{"));
        assert!(!ok("\\n"));
        assert!(!ok("\\}"));
        assert!(!ok("a\\"));
    }

    #[test]
    fn quantifiers_need_an_atom() {
        for bad in [
            "*a", "(*a)", "a|*b", "^*", "$*", "{", "a{1", "a{,2}", "a{2,1}", "a{1 }",
        ] {
            assert!(!ok(bad), "{bad}");
        }
        for good in ["a**", "a+?", "a{1}{2}", "()*", "a|", "|a", "()", "a}", "]"] {
            assert!(ok(good), "{good}");
        }
    }

    #[test]
    fn groups_balance() {
        assert!(!ok("(a"));
        assert!(!ok("a)"));
        assert_eq!(parse(b"(a)(b(c))").unwrap().groups, 3);
    }

    #[test]
    fn brackets() {
        for good in [
            "[]a]",
            "[^]a]",
            "[--0]",
            "[%--]",
            "[]-a]",
            "[a-]",
            "[[.hyphen.]]",
            "[[=a=]]",
            "[[:ALPHA:]]",
            "[[a]",
        ] {
            assert!(ok(good), "{good}");
        }
        for bad in [
            "[a-z-0]",
            "[[:alpha]]",
            "[[.-.]]",
            "[z-a]",
            "[]",
            "[^]",
            "[a",
            "[[:foo:]]",
            "[a-[.c.]]",
            "[[:alpha:]-z]",
        ] {
            assert!(!ok(bad), "{bad}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = "(".repeat(600) + &")".repeat(600);
        assert!(!ok(&deep));
        assert!(!ok(&format!("a{}", "*".repeat(600))));
    }
}
