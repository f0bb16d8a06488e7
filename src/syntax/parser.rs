//! The parser: Nix 2.8's grammar, building exactly the trees rnix 0.15
//! builds for valid input (same nodes, same tokens, whitespace and comments
//! in the same places), so that rnix's typed AST reads them.
//!
//! It stops at the first error. Nesting (brackets, `let`, `if`, `with`,
//! `assert`, lambdas, prefix operators, `or` defaults) recurses, and is
//! refused past [`DEEPEST_NESTING`] levels at the token that goes too deep;
//! chains of binary operators and applications, flat in the source, are
//! parsed with loops and an explicit stack of open operators, however long.
//!
//! Trivia (whitespace, comments) is kept aside when it is skipped and added
//! to the tree just before the next token or node that starts: that is
//! where rnix puts it.

use std::collections::VecDeque;

use rnix::SyntaxKind::{self, *};
use rowan::GreenNode;

use super::lexer::{Lexer, Problem, Token};
use super::tree::{Checkpoint, TreeBuilder};
use super::SyntaxError;

/// The deepest nesting the parser accepts: about where Nix 2.8's own
/// parser gives up.
pub const DEEPEST_NESTING: usize = 10_000;

/// The error for input nested deeper than that.
pub const NESTED_TOO_DEEPLY: &str = "expression nested too deeply for the parser";

type Parsed<T> = std::result::Result<T, SyntaxError>;

/// Parses a whole source text into a `NODE_ROOT` green tree.
pub fn parse(source: &str) -> Parsed<GreenNode> {
    let mut p = Parser {
        src: source,
        lexer: Lexer::new(source),
        ahead: VecDeque::new(),
        trivia: Vec::new(),
        tree: TreeBuilder::new(source.len()),
        depth: 0,
    };
    p.parse_root().map_err(|mut e| {
        e.examined = p.lexer.examined();
        e
    })
}

impl Parser<'_> {
    fn parse_root(&mut self) -> Parsed<GreenNode> {
        let p = self;
        p.tree.start_node(NODE_ROOT);
        p.parse_expr()?;
        if p.peek()?.is_some() {
            return Err(p.unexpected(Some("end of file")));
        }
        p.flush_trivia();
        p.tree.finish_node();
        Ok(p.tree.finish())
    }
}

/// How binary operators group.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Assoc {
    Left,
    Right,
    None,
}

/// Binding strength of the operators, loosest first, as in Nix's grammar.
const IMPLICATION: u8 = 1;
const OR: u8 = 2;
const AND: u8 = 3;
const EQUALITY: u8 = 4;
const COMPARISON: u8 = 5;
const UPDATE: u8 = 6;
/// `!` binds looser than arithmetic: `!a + b` is `!(a + b)`.
const SUM: u8 = 8;
const PRODUCT: u8 = 9;
const CONCAT: u8 = 10;
/// `e ? a.b`, a postfix operator.
const HAS_ATTR: u8 = 11;

fn binary_operator(kind: SyntaxKind) -> Option<(u8, Assoc)> {
    Some(match kind {
        TOKEN_IMPLICATION => (IMPLICATION, Assoc::Right),
        TOKEN_OR_OR => (OR, Assoc::Left),
        TOKEN_AND_AND => (AND, Assoc::Left),
        TOKEN_EQUAL | TOKEN_NOT_EQUAL => (EQUALITY, Assoc::None),
        TOKEN_LESS | TOKEN_LESS_OR_EQ | TOKEN_MORE | TOKEN_MORE_OR_EQ => (COMPARISON, Assoc::None),
        TOKEN_UPDATE => (UPDATE, Assoc::Right),
        TOKEN_ADD | TOKEN_SUB => (SUM, Assoc::Left),
        TOKEN_MUL | TOKEN_DIV => (PRODUCT, Assoc::Left),
        TOKEN_CONCAT => (CONCAT, Assoc::Right),
        TOKEN_QUESTION => (HAS_ATTR, Assoc::Left),
        _ => return None,
    })
}

/// Tokens that start an argument of a function application.
fn starts_argument(kind: SyntaxKind) -> bool {
    matches!(
        kind,
        TOKEN_REC
            | TOKEN_L_BRACE
            | TOKEN_L_BRACK
            | TOKEN_L_PAREN
            | TOKEN_STRING_START
            | TOKEN_IDENT
            | TOKEN_FLOAT
            | TOKEN_INTEGER
            | TOKEN_PATH_ABS
            | TOKEN_PATH_REL
            | TOKEN_PATH_HOME
            | TOKEN_PATH_SEARCH
            | TOKEN_URI
    )
}

/// A binary operator whose node is open, waiting for its right operand to
/// end.
struct OpenOperator {
    strength: u8,
    /// Where its left operand starts.
    start: Checkpoint,
}

struct Parser<'a> {
    src: &'a str,
    lexer: Lexer<'a>,
    /// Tokens lexed but not consumed yet (trivia included).
    ahead: VecDeque<Token>,
    /// Trivia consumed but not yet in the tree.
    trivia: Vec<Token>,
    tree: TreeBuilder,
    depth: usize,
}

impl Parser<'_> {
    // Tokens.

    /// Makes sure `ahead` holds at least `n + 1` tokens, if there are.
    fn fill(&mut self, n: usize) -> bool {
        while self.ahead.len() <= n {
            match self.lexer.next_token() {
                Some(token) => self.ahead.push_back(token),
                None => return false,
            }
        }
        true
    }

    /// The kind of the next token, moving trivia before it aside.
    fn peek(&mut self) -> Parsed<Option<SyntaxKind>> {
        self.skip_trivia();
        match self.ahead.front() {
            None => Ok(None),
            Some(&token) if token.kind == TOKEN_ERROR => Err(self.lexical_error(token)),
            Some(token) => Ok(Some(token.kind)),
        }
    }

    /// Moves the trivia before the next token aside.
    #[inline]
    fn skip_trivia(&mut self) {
        // Called several times per token: the usual case, a token that is
        // not trivia already waiting, takes no call.
        if self
            .ahead
            .front()
            .is_some_and(|t| !matches!(t.kind, TOKEN_WHITESPACE | TOKEN_COMMENT))
        {
            return;
        }
        self.skip_trivia_slow();
    }

    fn skip_trivia_slow(&mut self) {
        while self.fill(0) && matches!(self.ahead[0].kind, TOKEN_WHITESPACE | TOKEN_COMMENT) {
            if let Some(token) = self.ahead.pop_front() {
                self.trivia.push(token);
            }
        }
    }

    /// The kind of the `n`th token after the next, not counting trivia.
    fn peek_nth(&mut self, n: usize) -> Option<SyntaxKind> {
        let mut seen = 0;
        let mut i = 0;
        loop {
            if !self.fill(i) {
                return None;
            }
            let kind = self.ahead[i].kind;
            if !matches!(kind, TOKEN_WHITESPACE | TOKEN_COMMENT) {
                if seen == n {
                    return Some(kind);
                }
                seen += 1;
            }
            i += 1;
        }
    }

    /// The next token, trivia included.
    fn peek_raw(&mut self) -> Option<SyntaxKind> {
        self.fill(0).then(|| self.ahead[0].kind)
    }

    fn text(&self, token: &Token) -> &str {
        &self.src[token.start..token.end]
    }

    /// Adds the trivia before the next token to the tree.
    #[inline]
    fn flush_trivia(&mut self) {
        self.skip_trivia();
        if !self.trivia.is_empty() {
            self.flush_trivia_slow();
        }
    }

    fn flush_trivia_slow(&mut self) {
        // Drained, not taken: the vector keeps its capacity for the next.
        for token in self.trivia.drain(..) {
            self.tree
                .token(token.kind, &self.src[token.start..token.end]);
        }
    }

    /// Adds the next token (after `peek`) to the tree.
    fn bump(&mut self) {
        self.bump_as(None);
    }

    /// Adds the next token to the tree, as `kind` if given.
    fn bump_as(&mut self, kind: Option<SyntaxKind>) {
        self.flush_trivia();
        if let Some(token) = self.ahead.pop_front() {
            let text = &self.src[token.start..token.end];
            self.tree.token(kind.unwrap_or(token.kind), text);
        }
    }

    fn expect(&mut self, kind: SyntaxKind, what: &str) -> Parsed<()> {
        if self.peek()? == Some(kind) {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected(Some(what)))
        }
    }

    // Tree building.

    fn checkpoint(&mut self) -> Checkpoint {
        self.flush_trivia();
        self.tree.checkpoint()
    }

    fn start_node(&mut self, kind: SyntaxKind) {
        self.flush_trivia();
        self.tree.start_node(kind);
    }

    fn start_node_at(&mut self, checkpoint: Checkpoint, kind: SyntaxKind) {
        self.tree.start_node_at(checkpoint, kind);
    }

    fn finish_node(&mut self) {
        self.tree.finish_node();
    }

    // Errors and nesting.

    /// One more level of nesting, opened by the next token; refused past
    /// the limit, at that token.
    fn nest(&mut self) -> Parsed<()> {
        self.depth += 1;
        if self.depth > DEEPEST_NESTING {
            let (start, end) = self.ahead.front().map_or((0, 0), |t| (t.start, t.end));
            return Err(SyntaxError::new(NESTED_TOO_DEEPLY.into(), start, end));
        }
        Ok(())
    }

    fn unnest(&mut self) {
        self.depth -= 1;
    }

    /// The error for the next token (after `peek`), which does not fit.
    fn unexpected(&mut self, expecting: Option<&str>) -> SyntaxError {
        let expecting = expecting.map_or(String::new(), |e| format!(", expecting {e}"));
        match self.ahead.front().copied() {
            None => {
                let end = self.src.len();
                let mut e = SyntaxError::new(
                    format!("syntax error, unexpected end of file{expecting}"),
                    end,
                    end,
                );
                e.at_end = true;
                e
            }
            Some(token) if token.kind == TOKEN_ERROR => self.lexical_error(token),
            Some(token) => SyntaxError::new(
                format!(
                    "syntax error, unexpected {}{expecting}",
                    describe(self.text(&token))
                ),
                token.start,
                token.end,
            ),
        }
    }

    fn lexical_error(&self, token: Token) -> SyntaxError {
        let text = self.text(&token);
        let (message, at_end) = match token.problem {
            Problem::UnterminatedComment => {
                ("syntax error, unterminated comment".to_string(), true)
            }
            Problem::TrailingSlash => (format!("path '{text}' has a trailing slash"), false),
            Problem::Unexpected | Problem::None => (
                format!("syntax error, unexpected {}", describe(text)),
                false,
            ),
        };
        let mut e = SyntaxError::new(message, token.start, token.end);
        e.at_end = at_end;
        e
    }

    // Expressions.

    /// An expression: `let`, `with`, `if`, `assert`, a lambda, or
    /// operators.
    fn parse_expr(&mut self) -> Parsed<()> {
        match self.peek()? {
            Some(TOKEN_LET) => self.parse_let(),
            Some(kind @ (TOKEN_WITH | TOKEN_ASSERT)) => {
                self.nest()?;
                self.start_node(if kind == TOKEN_WITH {
                    NODE_WITH
                } else {
                    NODE_ASSERT
                });
                self.bump();
                self.parse_expr()?;
                self.expect(TOKEN_SEMICOLON, "';'")?;
                self.parse_expr()?;
                self.finish_node();
                self.unnest();
                Ok(())
            }
            Some(TOKEN_IF) => {
                self.nest()?;
                self.start_node(NODE_IF_ELSE);
                self.bump();
                self.parse_expr()?;
                self.expect(TOKEN_THEN, "'then'")?;
                self.parse_expr()?;
                self.expect(TOKEN_ELSE, "'else'")?;
                self.parse_expr()?;
                self.finish_node();
                self.unnest();
                Ok(())
            }
            Some(TOKEN_IDENT) if matches!(self.peek_nth(1), Some(TOKEN_COLON | TOKEN_AT)) => {
                self.parse_lambda_from_ident()
            }
            Some(TOKEN_L_BRACE) if self.looks_like_pattern() => self.parse_pattern_lambda(),
            _ => self.parse_operators().map(drop),
        }
    }

    fn parse_let(&mut self) -> Parsed<()> {
        self.nest()?;
        let start = self.checkpoint();
        self.bump();
        if self.peek()? == Some(TOKEN_L_BRACE) {
            self.start_node_at(start, NODE_LEGACY_LET);
            self.bump();
            self.parse_bindings(TOKEN_R_BRACE, "'}'")?;
        } else {
            self.start_node_at(start, NODE_LET_IN);
            self.parse_bindings(TOKEN_IN, "'in'")?;
            self.parse_expr()?;
        }
        self.finish_node();
        self.unnest();
        Ok(())
    }

    /// Whether the `{` ahead opens a function's formals rather than a set:
    /// the two tokens after it decide, as for rnix.
    fn looks_like_pattern(&mut self) -> bool {
        matches!(
            (self.peek_nth(1), self.peek_nth(2)),
            (
                Some(TOKEN_IDENT),
                Some(TOKEN_COMMA | TOKEN_QUESTION | TOKEN_R_BRACE)
            ) | (Some(TOKEN_ELLIPSIS), Some(TOKEN_R_BRACE))
                | (Some(TOKEN_R_BRACE), Some(TOKEN_COLON | TOKEN_AT))
        )
    }

    /// `x: body` and `x @ { … }: body`.
    fn parse_lambda_from_ident(&mut self) -> Parsed<()> {
        self.nest()?;
        let start = self.checkpoint();
        self.parse_ident()?;
        self.start_node_at(start, NODE_LAMBDA);
        if self.peek()? == Some(TOKEN_COLON) {
            self.start_node_at(start, NODE_IDENT_PARAM);
            self.finish_node();
        } else {
            self.start_node_at(start, NODE_PATTERN);
            self.start_node_at(start, NODE_PAT_BIND);
            self.expect(TOKEN_AT, "'@'")?;
            self.finish_node();
            self.expect(TOKEN_L_BRACE, "'{'")?;
            self.parse_formals(true)?;
            self.finish_node();
        }
        self.finish_lambda()
    }

    /// `{ a, b ? 1, ... } @ x: body`.
    fn parse_pattern_lambda(&mut self) -> Parsed<()> {
        self.nest()?;
        self.start_node(NODE_LAMBDA);
        self.start_node(NODE_PATTERN);
        self.bump();
        self.parse_formals(false)?;
        self.finish_node();
        self.finish_lambda()
    }

    /// A lambda's `:` and body, and its end.
    fn finish_lambda(&mut self) -> Parsed<()> {
        self.expect(TOKEN_COLON, "':'")?;
        self.parse_expr()?;
        self.finish_node();
        self.unnest();
        Ok(())
    }

    /// The formals after `{`, the `}`, and an `@ name` after it unless one
    /// came before (`bound`).
    fn parse_formals(&mut self, bound: bool) -> Parsed<()> {
        loop {
            match self.peek()? {
                Some(TOKEN_R_BRACE) => {
                    self.bump();
                    break;
                }
                Some(TOKEN_ELLIPSIS) => {
                    self.bump();
                    self.expect(TOKEN_R_BRACE, "'}'")?;
                    break;
                }
                Some(TOKEN_IDENT) => {
                    self.start_node(NODE_PAT_ENTRY);
                    self.parse_ident()?;
                    if self.peek()? == Some(TOKEN_QUESTION) {
                        self.bump();
                        self.parse_expr()?;
                    }
                    self.finish_node();
                    if self.peek()? == Some(TOKEN_COMMA) {
                        self.bump();
                    } else {
                        self.expect(TOKEN_R_BRACE, "'}' or ','")?;
                        break;
                    }
                }
                _ => return Err(self.unexpected(Some("an identifier, '...' or '}'"))),
            }
        }
        if self.peek()? == Some(TOKEN_AT) {
            if bound {
                return Err(self.unexpected(Some("':'")));
            }
            self.start_node(NODE_PAT_BIND);
            self.bump();
            self.parse_ident()?;
            self.finish_node();
        }
        Ok(())
    }

    fn parse_ident(&mut self) -> Parsed<()> {
        if self.peek()? != Some(TOKEN_IDENT) {
            return Err(self.unexpected(Some("an identifier")));
        }
        self.start_node(NODE_IDENT);
        self.bump();
        self.finish_node();
        Ok(())
    }

    /// Binary and unary operators over applications, by precedence
    /// climbing: a loop over the operators, with a stack of the operator
    /// nodes still open, so that long chains take no recursion. Returns
    /// where the expression starts.
    fn parse_operators(&mut self) -> Parsed<Checkpoint> {
        self.parse_operators_above(0)
    }

    /// Operators binding tighter than `weakest`.
    fn parse_operators_above(&mut self, weakest: u8) -> Parsed<Checkpoint> {
        let first = self.parse_operand()?;
        let mut operand = first;
        let mut open: Vec<OpenOperator> = Vec::new();
        while let Some(kind) = self.peek()? {
            let Some((strength, assoc)) = binary_operator(kind) else {
                break;
            };
            if strength <= weakest {
                break;
            }
            // Operators binding tighter end here, and so does one as
            // tight that groups to the left: they are the left operand.
            let mut left = operand;
            while let Some(top) = open.last() {
                if top.strength > strength || (top.strength == strength && assoc == Assoc::Left) {
                    left = top.start;
                    open.pop();
                    self.finish_node();
                } else if top.strength == strength && assoc == Assoc::None {
                    return Err(self.unexpected(None));
                } else {
                    break;
                }
            }
            if kind == TOKEN_QUESTION {
                self.start_node_at(left, NODE_HAS_ATTR);
                self.bump();
                self.parse_attrpath()?;
                self.finish_node();
                operand = left;
                continue;
            }
            self.start_node_at(left, NODE_BIN_OP);
            self.bump();
            open.push(OpenOperator {
                strength,
                start: left,
            });
            operand = self.parse_operand()?;
        }
        for _ in open {
            self.finish_node();
        }
        Ok(first)
    }

    /// An operand of binary operators: an application, possibly negated
    /// (`-`, binding tighter than any binary operator) or inverted (`!`,
    /// taking in the arithmetic after it).
    fn parse_operand(&mut self) -> Parsed<Checkpoint> {
        let start = self.checkpoint();
        let mut negations = 0;
        while self.peek()? == Some(TOKEN_SUB) {
            self.nest()?;
            self.start_node(NODE_UNARY_OP);
            self.bump();
            negations += 1;
        }
        if self.peek()? == Some(TOKEN_INVERT) {
            self.nest()?;
            self.start_node(NODE_UNARY_OP);
            self.bump();
            self.parse_operators_above(SUM - 1)?;
            self.finish_node();
            self.unnest();
        } else {
            self.parse_application()?;
        }
        for _ in 0..negations {
            self.finish_node();
            self.unnest();
        }
        Ok(start)
    }

    /// `f a b`, nested to the left, in a loop.
    fn parse_application(&mut self) -> Parsed<Checkpoint> {
        let start = self.parse_simple()?;
        while self.peek()?.is_some_and(starts_argument) {
            self.start_node_at(start, NODE_APPLY);
            self.parse_simple()?;
            self.finish_node();
        }
        Ok(start)
    }

    /// A simple expression and the selection after it (`e.a.b or d`).
    fn parse_simple(&mut self) -> Parsed<Checkpoint> {
        let Some(kind) = self.peek()? else {
            return Err(self.unexpected(None));
        };
        let start = self.checkpoint();
        match kind {
            TOKEN_L_PAREN => {
                self.nest()?;
                self.start_node(NODE_PAREN);
                self.bump();
                self.parse_expr()?;
                self.expect(TOKEN_R_PAREN, "')'")?;
                self.finish_node();
                self.unnest();
            }
            TOKEN_REC | TOKEN_L_BRACE => {
                self.nest()?;
                self.start_node(NODE_ATTR_SET);
                if kind == TOKEN_REC {
                    self.bump();
                    self.expect(TOKEN_L_BRACE, "'{'")?;
                } else {
                    self.bump();
                }
                self.parse_bindings(TOKEN_R_BRACE, "'}'")?;
                self.finish_node();
                self.unnest();
            }
            TOKEN_L_BRACK => {
                self.nest()?;
                self.start_node(NODE_LIST);
                self.bump();
                while self.peek()? != Some(TOKEN_R_BRACK) {
                    self.parse_simple()?;
                }
                self.bump();
                self.finish_node();
                self.unnest();
            }
            TOKEN_STRING_START => self.parse_string()?,
            TOKEN_PATH_ABS | TOKEN_PATH_REL | TOKEN_PATH_HOME | TOKEN_PATH_SEARCH => {
                self.parse_path(kind)?
            }
            TOKEN_FLOAT | TOKEN_INTEGER | TOKEN_URI => {
                self.start_node(NODE_LITERAL);
                self.bump();
                self.finish_node();
            }
            TOKEN_IDENT
                if self
                    .ahead
                    .front()
                    .is_some_and(|t| self.text(t) == "__curPos") =>
            {
                self.start_node(NODE_CUR_POS);
                self.bump_as(Some(TOKEN_CUR_POS));
                self.finish_node();
            }
            TOKEN_IDENT => self.parse_ident()?,
            _ => return Err(self.unexpected(None)),
        }
        match self.peek()? {
            Some(TOKEN_DOT) => {
                self.start_node_at(start, NODE_SELECT);
                self.bump();
                self.parse_attrpath()?;
                if self.peek()? == Some(TOKEN_OR) {
                    self.nest()?;
                    self.bump();
                    self.parse_simple()?;
                    self.unnest();
                }
                self.finish_node();
            }
            // `e or` applies `e` to a variable named `or`, as in Nix.
            Some(TOKEN_OR) => {
                self.start_node_at(start, NODE_APPLY);
                self.start_node(NODE_IDENT);
                self.bump_as(Some(TOKEN_IDENT));
                self.finish_node();
                self.finish_node();
            }
            _ => {}
        }
        Ok(start)
    }

    fn parse_string(&mut self) -> Parsed<()> {
        self.start_node(NODE_STRING);
        self.bump();
        loop {
            match self.peek()? {
                Some(TOKEN_STRING_CONTENT) => self.bump(),
                Some(TOKEN_INTERPOL_START) => self.parse_interpolation(NODE_INTERPOL)?,
                Some(TOKEN_STRING_END) => {
                    self.bump();
                    break;
                }
                _ => return Err(self.unexpected(Some("the end of the string"))),
            }
        }
        self.finish_node();
        Ok(())
    }

    /// `${ e }`, as a node of `kind`.
    fn parse_interpolation(&mut self, kind: SyntaxKind) -> Parsed<()> {
        self.nest()?;
        self.start_node(kind);
        self.bump();
        self.parse_expr()?;
        self.expect(TOKEN_INTERPOL_END, "'}'")?;
        self.finish_node();
        self.unnest();
        Ok(())
    }

    /// A path: one token, or parts and interpolations (`./a/${b}/c`).
    fn parse_path(&mut self, kind: SyntaxKind) -> Parsed<()> {
        self.start_node(match kind {
            TOKEN_PATH_ABS => NODE_PATH_ABS,
            TOKEN_PATH_REL => NODE_PATH_REL,
            TOKEN_PATH_HOME => NODE_PATH_HOME,
            _ => NODE_PATH_SEARCH,
        });
        self.bump();
        if kind != TOKEN_PATH_SEARCH {
            loop {
                match self.peek_raw() {
                    Some(k) if k == kind => self.bump(),
                    Some(TOKEN_INTERPOL_START) => self.parse_interpolation(NODE_INTERPOL)?,
                    _ => break,
                }
            }
        }
        self.finish_node();
        Ok(())
    }

    fn parse_attrpath(&mut self) -> Parsed<()> {
        self.start_node(NODE_ATTRPATH);
        loop {
            self.parse_attr()?;
            if self.peek()? == Some(TOKEN_DOT) {
                self.bump();
            } else {
                break;
            }
        }
        self.finish_node();
        Ok(())
    }

    /// An attribute name: `a`, `or`, `"a"`, `${e}`.
    fn parse_attr(&mut self) -> Parsed<()> {
        match self.peek()? {
            Some(TOKEN_INTERPOL_START) => self.parse_interpolation(NODE_DYNAMIC),
            Some(TOKEN_STRING_START) => self.parse_string(),
            Some(TOKEN_IDENT | TOKEN_OR) => {
                self.start_node(NODE_IDENT);
                self.bump_as(Some(TOKEN_IDENT));
                self.finish_node();
                Ok(())
            }
            _ => Err(self.unexpected(Some("an attribute name"))),
        }
    }

    /// Bindings up to and including `end` (`}` or `in`).
    fn parse_bindings(&mut self, end: SyntaxKind, what: &str) -> Parsed<()> {
        loop {
            match self.peek()? {
                Some(kind) if kind == end => break,
                Some(TOKEN_INHERIT) => self.parse_inherit()?,
                Some(_) => {
                    self.start_node(NODE_ATTRPATH_VALUE);
                    self.parse_attrpath()?;
                    self.expect(TOKEN_ASSIGN, "'='")?;
                    self.parse_expr()?;
                    self.expect(TOKEN_SEMICOLON, "';'")?;
                    self.finish_node();
                }
                None => return Err(self.unexpected(Some(what))),
            }
        }
        self.bump();
        Ok(())
    }

    fn parse_inherit(&mut self) -> Parsed<()> {
        self.start_node(NODE_INHERIT);
        self.bump();
        if self.peek()? == Some(TOKEN_L_PAREN) {
            self.nest()?;
            self.start_node(NODE_INHERIT_FROM);
            self.bump();
            self.parse_expr()?;
            self.expect(TOKEN_R_PAREN, "')'")?;
            self.finish_node();
            self.unnest();
        }
        while self.peek()? != Some(TOKEN_SEMICOLON) {
            self.parse_attr()?;
        }
        self.bump();
        self.finish_node();
        Ok(())
    }
}

/// A token as error messages show it: its first word, quoted.
fn describe(text: &str) -> String {
    let first: String = text
        .split_whitespace()
        .next()
        .unwrap_or("")
        .chars()
        .take(20)
        .collect();
    if first.is_empty() {
        "end of file".to_string()
    } else {
        format!("'{first}'")
    }
}
