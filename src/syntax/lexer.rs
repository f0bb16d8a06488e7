//! The tokenizer: Nix 2.8's tokens, with rnix's `SyntaxKind`s and token
//! boundaries, in time linear in the input.
//!
//! Whether a run of path characters (`a.b-c+1`) starts a path (`a.b/c`), a
//! URI (`a:b`) or ordinary tokens depends on what follows the whole run.
//! Looking that up afresh at every token inside a long run (`a.a.a.…`,
//! `1+1+1…`) is quadratic; the lexer remembers where the current run ends
//! instead, so each byte is looked at a bounded number of times.
//!
//! Tokens are produced on demand, so a parser that stops early (at the
//! nesting limit) never lexes the rest of the input.

use rnix::SyntaxKind::{self, *};

/// A token: its kind and where it lies in the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: SyntaxKind,
    pub start: usize,
    pub end: usize,
    /// Why a `TOKEN_ERROR` is one.
    pub problem: Problem,
}

/// What is wrong with an error token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    None,
    /// A character no token starts with.
    Unexpected,
    /// `/*` without `*/`.
    UnterminatedComment,
    /// A path ending in `/` (Nix 2.8 refuses those).
    TrailingSlash,
}

/// Characters of paths (besides `/`), as in Nix's `PATH_CHAR`.
fn is_path_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+')
}

/// Characters of a URI after its scheme.
fn is_uri_char(b: u8) -> bool {
    is_path_char(b)
        || matches!(
            b,
            b'%' | b'/'
                | b'?'
                | b':'
                | b'@'
                | b'&'
                | b'='
                | b'$'
                | b','
                | b'!'
                | b'~'
                | b'*'
                | b'\''
        )
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'\'' | b'-')
}

/// What the lexer is in the middle of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Inside `${ … }`: counts the braces opened since, to know which `}`
    /// ends it.
    Interpolation { braces: u32 },
    /// Inside a string (`"…"`, or `''…''` when `indented`).
    String { indented: bool },
    /// Between the parts of a path with interpolations (`./a/${x}/b`);
    /// every part has the kind of the first.
    Path(SyntaxKind),
}

/// The run of path characters (without `/`) the lexer is in, found once
/// for the whole run.
#[derive(Default)]
struct Run {
    start: usize,
    end: usize,
    /// The last `_` in the run, if any: a URI's scheme has none.
    last_underscore: Option<usize>,
}

pub struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    modes: Vec<Mode>,
    run: Run,
    /// The furthest a search path's scan has looked (`<a/b` without `>`
    /// is `<` and what follows).
    scanned: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(source: &'a str) -> Lexer<'a> {
        Lexer {
            src: source.as_bytes(),
            pos: 0,
            modes: Vec::new(),
            run: Run::default(),
            scanned: 0,
        }
    }

    /// How far into the source the lexer has looked: the tokens made so
    /// far, and the run of path characters it measured ahead of them.
    pub fn examined(&self) -> usize {
        self.pos.max(self.run.end).max(self.scanned)
    }

    fn at(&self, i: usize) -> u8 {
        self.src.get(i).copied().unwrap_or(0)
    }

    fn rest_starts_with(&self, s: &[u8]) -> bool {
        self.src[self.pos..].starts_with(s)
    }

    /// Advances while `f` holds; returns how far.
    fn eat_while(&mut self, f: impl Fn(u8) -> bool) -> usize {
        let start = self.pos;
        while self.pos < self.src.len() && f(self.src[self.pos]) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// The next token, or `None` at the end of the input.
    pub fn next_token(&mut self) -> Option<Token> {
        let start = self.pos;
        let (kind, problem) = self.lex()?;
        Some(Token {
            kind,
            start,
            end: self.pos,
            problem,
        })
    }

    fn lex(&mut self) -> Option<(SyntaxKind, Problem)> {
        match self.modes.last().copied() {
            Some(Mode::String { indented }) => return self.lex_string(indented),
            Some(Mode::Path(kind)) => {
                if self.rest_starts_with(b"${") {
                    return Some(self.interpolation_start());
                }
                if is_path_char(self.at(self.pos)) || self.at(self.pos) == b'/' {
                    self.modes.pop();
                    return Some(self.path_rest(kind));
                }
                self.modes.pop();
            }
            _ => {}
        }
        if self.pos >= self.src.len() {
            return None;
        }
        Some(self.lex_normal())
    }

    fn interpolation_start(&mut self) -> (SyntaxKind, Problem) {
        self.pos += 2;
        self.modes.push(Mode::Interpolation { braces: 0 });
        (TOKEN_INTERPOL_START, Problem::None)
    }

    fn lex_normal(&mut self) -> (SyntaxKind, Problem) {
        let c = self.at(self.pos);
        let ok = |kind| (kind, Problem::None);
        if matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
            self.eat_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
            return ok(TOKEN_WHITESPACE);
        }
        if c == b'#' {
            // Nix ends a line comment at a carriage return too.
            self.eat_while(|b| b != b'\n' && b != b'\r');
            return ok(TOKEN_COMMENT);
        }
        if self.rest_starts_with(b"/*") {
            return match find(&self.src[self.pos + 2..], b"*/") {
                Some(i) => {
                    self.pos += 2 + i + 2;
                    ok(TOKEN_COMMENT)
                }
                None => {
                    self.pos = self.src.len();
                    (TOKEN_ERROR, Problem::UnterminatedComment)
                }
            };
        }
        if self.rest_starts_with(b"...") {
            self.pos += 3;
            return ok(TOKEN_ELLIPSIS);
        }
        if let Some(token) = self.lex_path_like(c) {
            return token;
        }
        if c.is_ascii_digit() || (c == b'.' && self.at(self.pos + 1).is_ascii_digit()) {
            return ok(self.lex_number());
        }
        if is_ident_start(c) {
            let start = self.pos;
            self.eat_while(is_ident_char);
            return ok(keyword(&self.src[start..self.pos]).unwrap_or(TOKEN_IDENT));
        }
        self.lex_punctuation(c)
    }

    /// Paths, search paths and URIs, decided from the run of path
    /// characters at the current position and what follows it.
    fn lex_path_like(&mut self, c: u8) -> Option<(SyntaxKind, Problem)> {
        let next = self.at(self.pos + 1);
        match c {
            b'/' if next == b'/' => None,
            b'/' if is_path_char(next) || self.src[self.pos + 1..].starts_with(b"${") => {
                self.pos += 1;
                Some(self.path_rest(TOKEN_PATH_ABS))
            }
            b'~' if next == b'/' => {
                self.pos += 2;
                Some(self.path_rest(TOKEN_PATH_HOME))
            }
            b'<' => {
                let inner = self.pos + 1;
                let mut end = inner;
                while end < self.src.len() && (is_path_char(self.src[end]) || self.src[end] == b'/')
                {
                    end += 1;
                }
                self.scanned = self.scanned.max(end);
                if end > inner && self.at(end) == b'>' {
                    self.pos = end + 1;
                    Some((TOKEN_PATH_SEARCH, Problem::None))
                } else {
                    None
                }
            }
            c if is_path_char(c) => {
                let (end, underscore) = self.run_from(self.pos);
                let (after, after2) = (self.at(end), self.at(end + 1));
                if after == b'/' && (is_path_char(after2) || self.src[end + 1..].starts_with(b"${"))
                {
                    self.pos = end + 1;
                    Some(self.path_rest(TOKEN_PATH_REL))
                } else if after == b':'
                    && is_uri_char(after2)
                    && c.is_ascii_alphabetic()
                    && !underscore
                {
                    self.pos = end + 1;
                    self.eat_while(is_uri_char);
                    Some((TOKEN_URI, Problem::None))
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// Where the run of path characters containing `at` ends, and whether
    /// it has a `_` at or after `at`. Each run is scanned once.
    fn run_from(&mut self, at: usize) -> (usize, bool) {
        if !(self.run.start <= at && at < self.run.end) {
            let mut end = at;
            let mut last_underscore = None;
            while end < self.src.len() && is_path_char(self.src[end]) {
                if self.src[end] == b'_' {
                    last_underscore = Some(end);
                }
                end += 1;
            }
            self.run = Run {
                start: at,
                end,
                last_underscore,
            };
        }
        let underscore = self.run.last_underscore.is_some_and(|u| u >= at);
        (self.run.end, underscore)
    }

    /// The rest of a path token: path characters and single slashes, up to
    /// an interpolation (which makes the path continue in `Mode::Path`).
    fn path_rest(&mut self, kind: SyntaxKind) -> (SyntaxKind, Problem) {
        loop {
            self.eat_while(is_path_char);
            if self.at(self.pos) == b'/' && self.at(self.pos + 1) != b'/' {
                self.pos += 1;
            } else {
                break;
            }
        }
        if self.rest_starts_with(b"//") {
            // Nix 2.8 refuses `./a//b` rather than read `./a // b`.
            return (TOKEN_ERROR, Problem::Unexpected);
        }
        if self.rest_starts_with(b"${") {
            self.modes.push(Mode::Path(kind));
        } else if self.src[self.pos - 1] == b'/' {
            return (TOKEN_ERROR, Problem::TrailingSlash);
        }
        (kind, Problem::None)
    }

    /// Integers and floats as Nix reads them: `[0-9]+`, or
    /// `([1-9][0-9]*\.[0-9]*|0?\.[0-9]+)([Ee][+-]?[0-9]+)?`.
    fn lex_number(&mut self) -> SyntaxKind {
        let start = self.pos;
        let digits = self.eat_while(|b| b.is_ascii_digit());
        let is_float = if self.at(self.pos) != b'.' {
            false
        } else if digits > 0 && self.src[start] != b'0' {
            true
        } else {
            // `.5` and `0.5`; not `0.` nor `00.5`.
            digits <= 1 && self.at(self.pos + 1).is_ascii_digit()
        };
        if !is_float {
            return TOKEN_INTEGER;
        }
        self.pos += 1;
        self.eat_while(|b| b.is_ascii_digit());
        if matches!(self.at(self.pos), b'e' | b'E') {
            let sign = usize::from(matches!(self.at(self.pos + 1), b'+' | b'-'));
            if self.at(self.pos + 1 + sign).is_ascii_digit() {
                self.pos += 1 + sign;
                self.eat_while(|b| b.is_ascii_digit());
            }
        }
        TOKEN_FLOAT
    }

    fn lex_punctuation(&mut self, c: u8) -> (SyntaxKind, Problem) {
        let next = self.at(self.pos + 1);
        let (kind, len) = match (c, next) {
            (b'$', b'{') => return self.interpolation_start(),
            (b'"', _) => {
                self.pos += 1;
                self.modes.push(Mode::String { indented: false });
                return (TOKEN_STRING_START, Problem::None);
            }
            (b'\'', b'\'') => {
                self.pos += 2;
                self.modes.push(Mode::String { indented: true });
                return (TOKEN_STRING_START, Problem::None);
            }
            (b'{', _) => {
                if let Some(Mode::Interpolation { braces }) = self.modes.last_mut() {
                    *braces += 1;
                }
                (TOKEN_L_BRACE, 1)
            }
            (b'}', _) => match self.modes.last_mut() {
                Some(Mode::Interpolation { braces: 0 }) => {
                    self.modes.pop();
                    (TOKEN_INTERPOL_END, 1)
                }
                Some(Mode::Interpolation { braces }) => {
                    *braces -= 1;
                    (TOKEN_R_BRACE, 1)
                }
                _ => (TOKEN_R_BRACE, 1),
            },
            (b'=', b'=') => (TOKEN_EQUAL, 2),
            (b'!', b'=') => (TOKEN_NOT_EQUAL, 2),
            (b'+', b'+') => (TOKEN_CONCAT, 2),
            (b'-', b'>') => (TOKEN_IMPLICATION, 2),
            (b'/', b'/') => (TOKEN_UPDATE, 2),
            (b'&', b'&') => (TOKEN_AND_AND, 2),
            (b'|', b'|') => (TOKEN_OR_OR, 2),
            (b'<', b'=') => (TOKEN_LESS_OR_EQ, 2),
            (b'>', b'=') => (TOKEN_MORE_OR_EQ, 2),
            (b'!', _) => (TOKEN_INVERT, 1),
            (b'[', _) => (TOKEN_L_BRACK, 1),
            (b']', _) => (TOKEN_R_BRACK, 1),
            (b'(', _) => (TOKEN_L_PAREN, 1),
            (b')', _) => (TOKEN_R_PAREN, 1),
            (b'@', _) => (TOKEN_AT, 1),
            (b':', _) => (TOKEN_COLON, 1),
            (b',', _) => (TOKEN_COMMA, 1),
            (b'.', _) => (TOKEN_DOT, 1),
            (b'=', _) => (TOKEN_ASSIGN, 1),
            (b'?', _) => (TOKEN_QUESTION, 1),
            (b';', _) => (TOKEN_SEMICOLON, 1),
            (b'+', _) => (TOKEN_ADD, 1),
            (b'-', _) => (TOKEN_SUB, 1),
            (b'*', _) => (TOKEN_MUL, 1),
            (b'/', _) => (TOKEN_DIV, 1),
            (b'<', _) => (TOKEN_LESS, 1),
            (b'>', _) => (TOKEN_MORE, 1),
            _ => {
                // One whole character, so that the token is valid UTF-8.
                self.pos += utf8_len(c);
                return (TOKEN_ERROR, Problem::Unexpected);
            }
        };
        self.pos += len;
        (kind, Problem::None)
    }

    /// Inside a string: its text up to the end or an interpolation, then
    /// those. At the end of the input the string just stops; the parser
    /// reports the missing end.
    fn lex_string(&mut self, indented: bool) -> Option<(SyntaxKind, Problem)> {
        let start = self.pos;
        loop {
            let Some(&c) = self.src.get(self.pos) else {
                return (self.pos > start).then_some((TOKEN_STRING_CONTENT, Problem::None));
            };
            let next = self.at(self.pos + 1);
            let end = if indented {
                c == b'\''
                    && next == b'\''
                    && !matches!(self.at(self.pos + 2), b'\'' | b'$' | b'\\')
            } else {
                c == b'"'
            };
            if end || (c == b'$' && next == b'{') {
                if self.pos > start {
                    return Some((TOKEN_STRING_CONTENT, Problem::None));
                }
                if end {
                    self.pos += if indented { 2 } else { 1 };
                    self.modes.pop();
                    return Some((TOKEN_STRING_END, Problem::None));
                }
                return Some(self.interpolation_start());
            }
            self.pos += match (c, next) {
                (b'$', b'$') => 2,
                (b'\\', _) if !indented => 1 + usize::from(self.pos + 1 < self.src.len()),
                (b'\'', b'\'') if indented => {
                    // An escape: `'''`, `''$` or `''\` and the character after.
                    match self.at(self.pos + 2) {
                        b'\\' => 3 + usize::from(self.pos + 3 < self.src.len()),
                        _ => 3,
                    }
                }
                _ => 1,
            };
            self.pos = self.pos.min(self.src.len());
            // Stay on character boundaries: a continuation byte is never
            // one of the bytes above.
            while self.pos < self.src.len() && (self.src[self.pos] & 0xC0) == 0x80 {
                self.pos += 1;
            }
        }
    }
}

fn keyword(word: &[u8]) -> Option<SyntaxKind> {
    Some(match word {
        b"assert" => TOKEN_ASSERT,
        b"else" => TOKEN_ELSE,
        b"if" => TOKEN_IF,
        b"in" => TOKEN_IN,
        b"inherit" => TOKEN_INHERIT,
        b"let" => TOKEN_LET,
        b"or" => TOKEN_OR,
        b"rec" => TOKEN_REC,
        b"then" => TOKEN_THEN,
        b"with" => TOKEN_WITH,
        _ => return None,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The length of the UTF-8 character starting with byte `b`.
fn utf8_len(b: u8) -> usize {
    match b {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}
