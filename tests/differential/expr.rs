//! Generated expressions: the typed model of a random Nix program (its
//! source assembled from templates, its structure kept for shrinking), the
//! proptest strategy that generates them with [`crate::gen`] and shrinks them,
//! and the seeding of a run. Shared by the differential test and the bytecode
//! invariants test (`tests/bytecode_invariants.rs`), which include this file
//! and `gen.rs`.

use std::fmt;
use std::rc::Rc;

use proptest::prelude::*;
use proptest::strategy::{NewTree, ValueTree};
use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};

use crate::gen::Gen;

/// The type a generated expression is meant to have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    Int,
    Float,
    Bool,
    Str,
    Null,
    List(Box<Ty>),
    Attrs(Box<Ty>),
    Fn(Box<Ty>, Box<Ty>),
}

use Ty::{Bool, Float, Int, Null, Str};

pub(crate) fn list(t: Ty) -> Ty {
    Ty::List(Box::new(t))
}

pub(crate) fn attrs(t: Ty) -> Ty {
    Ty::Attrs(Box::new(t))
}

pub(crate) fn func(a: Ty, b: Ty) -> Ty {
    Ty::Fn(Box::new(a), Box::new(b))
}

/// A generated expression: its source is assembled from templates, and its
/// structure (with the type of every node) is kept for shrinking.
#[derive(Clone)]
pub(crate) struct Expr {
    pub(crate) ty: Ty,
    pub(crate) node: Node,
}

#[derive(Clone)]
pub(crate) enum Node {
    /// Source without subexpressions: a literal, a variable, a builtin.
    Atom(Rc<str>),
    /// A template in which `#0`…`#9` stand for the subexpressions, each put
    /// in parentheses unless it delimits itself.
    Tpl(Rc<str>, Vec<Expr>),
    List(Vec<Expr>),
    Attrs {
        rec: bool,
        entries: Vec<Entry>,
    },
    /// A double-quoted (`indented == false`) or indented string.
    Str {
        indented: bool,
        parts: Vec<Part>,
    },
}

#[derive(Clone)]
pub(crate) enum Entry {
    /// `key = value;`, the key as source (possibly a dotted path).
    Bind(Rc<str>, Expr),
    /// `${key} = value;`
    Dynamic(Expr, Expr),
    /// `inherit a b;`
    Inherit(Vec<Rc<str>>),
    /// `inherit (e) a b;`
    InheritFrom(Expr, Vec<Rc<str>>),
}

#[derive(Clone)]
pub(crate) enum Part {
    /// Literal source text, escapes included.
    Lit(Rc<str>),
    /// `${e}`
    Interp(Expr),
}

pub(crate) fn atom(ty: Ty, src: impl Into<Rc<str>>) -> Expr {
    Expr {
        ty,
        node: Node::Atom(src.into()),
    }
}

pub(crate) fn tpl(ty: Ty, template: impl Into<Rc<str>>, kids: Vec<Expr>) -> Expr {
    Expr {
        ty,
        node: Node::Tpl(template.into(), kids),
    }
}

impl Expr {
    pub(crate) fn source(&self) -> String {
        let mut out = String::new();
        self.render(&mut out);
        out
    }

    pub(crate) fn render(&self, out: &mut String) {
        match &self.node {
            Node::Atom(s) => out.push_str(s),
            Node::Tpl(t, kids) => {
                let mut chars = t.chars().peekable();
                while let Some(c) = chars.next() {
                    match (c, chars.peek().and_then(|d| d.to_digit(10))) {
                        ('#', Some(i)) => {
                            chars.next();
                            let kid = &kids[i as usize];
                            // A number right before `.` is put in parentheses:
                            // `0.a` selects from 0 in Nix, but Spindle's lexer
                            // (rnix) reads `0.` as a float (a known difference).
                            let number = matches!(&kid.node, Node::Atom(a)
                                if a.starts_with(|c: char| c.is_ascii_digit() || c == '.'));
                            if number && chars.peek() == Some(&'.') {
                                out.push('(');
                                kid.render(out);
                                out.push(')');
                            } else {
                                kid.render_operand(out);
                            }
                        }
                        _ => out.push(c),
                    }
                }
            }
            Node::List(items) => {
                out.push('[');
                for item in items {
                    out.push(' ');
                    item.render_operand(out);
                }
                out.push_str(" ]");
            }
            Node::Attrs { rec, entries } => {
                if *rec {
                    out.push_str("rec ");
                }
                out.push('{');
                for entry in entries {
                    out.push(' ');
                    match entry {
                        Entry::Bind(key, value) => {
                            out.push_str(key);
                            out.push_str(" = ");
                            value.render(out);
                        }
                        Entry::Dynamic(key, value) => {
                            out.push_str("${");
                            key.render(out);
                            out.push_str("} = ");
                            value.render(out);
                        }
                        Entry::Inherit(names) => {
                            out.push_str("inherit");
                            for n in names {
                                out.push(' ');
                                out.push_str(n);
                            }
                        }
                        Entry::InheritFrom(from, names) => {
                            out.push_str("inherit (");
                            from.render(out);
                            out.push(')');
                            for n in names {
                                out.push(' ');
                                out.push_str(n);
                            }
                        }
                    }
                    out.push(';');
                }
                out.push_str(" }");
            }
            Node::Str { indented, parts } => {
                out.push_str(if *indented { "''" } else { "\"" });
                for part in parts {
                    match part {
                        Part::Lit(s) => out.push_str(s),
                        Part::Interp(e) => {
                            out.push_str("${");
                            e.render(out);
                            out.push('}');
                        }
                    }
                }
                out.push_str(if *indented { "''" } else { "\"" });
            }
        }
    }

    pub(crate) fn render_operand(&self, out: &mut String) {
        if let Node::Tpl(..) = self.node {
            out.push('(');
            self.render(out);
            out.push(')');
        } else {
            self.render(out);
        }
    }

    pub(crate) fn size(&self) -> usize {
        1 + self.kids().iter().map(|k| k.size()).sum::<usize>()
    }

    /// The direct subexpressions.
    pub(crate) fn kids(&self) -> Vec<&Expr> {
        let mut out = Vec::new();
        match &self.node {
            Node::Atom(_) => {}
            Node::Tpl(_, kids) | Node::List(kids) => out.extend(kids),
            Node::Attrs { entries, .. } => {
                for entry in entries {
                    match entry {
                        Entry::Bind(_, v) => out.push(v),
                        Entry::Dynamic(k, v) => {
                            out.push(k);
                            out.push(v);
                        }
                        Entry::Inherit(_) => {}
                        Entry::InheritFrom(e, _) => out.push(e),
                    }
                }
            }
            Node::Str { parts, .. } => {
                for part in parts {
                    if let Part::Interp(e) = part {
                        out.push(e);
                    }
                }
            }
        }
        out
    }

    pub(crate) fn kids_mut(&mut self) -> Vec<&mut Expr> {
        let mut out = Vec::new();
        match &mut self.node {
            Node::Atom(_) => {}
            Node::Tpl(_, kids) | Node::List(kids) => out.extend(kids),
            Node::Attrs { entries, .. } => {
                for entry in entries {
                    match entry {
                        Entry::Bind(_, v) => out.push(v),
                        Entry::Dynamic(k, v) => {
                            out.push(k);
                            out.push(v);
                        }
                        Entry::Inherit(_) => {}
                        Entry::InheritFrom(e, _) => out.push(e),
                    }
                }
            }
            Node::Str { parts, .. } => {
                for part in parts {
                    if let Part::Interp(e) = part {
                        out.push(e);
                    }
                }
            }
        }
        out
    }

    /// Copies of this node with one list item, binding or string part left out.
    pub(crate) fn removals(&self) -> Vec<Expr> {
        let n = match &self.node {
            Node::List(items) => items.len(),
            Node::Attrs { entries, .. } => entries.len(),
            Node::Str { parts, .. } => parts.len(),
            _ => 0,
        };
        (0..n)
            .map(|i| {
                let mut e = self.clone();
                match &mut e.node {
                    Node::List(items) => {
                        items.remove(i);
                    }
                    Node::Attrs { entries, .. } => {
                        entries.remove(i);
                    }
                    Node::Str { parts, .. } => {
                        parts.remove(i);
                    }
                    _ => unreachable!(),
                }
                e
            })
            .collect()
    }
}

impl fmt::Debug for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source())
    }
}

/// The simplest expression of a type.
pub(crate) fn minimal(ty: &Ty) -> Expr {
    match ty {
        Int => atom(Int, "0"),
        Float => atom(Float, "0.0"),
        Bool => atom(Bool, "false"),
        Str => atom(Str, "\"\""),
        Null => atom(Null, "null"),
        Ty::List(_) => atom(ty.clone(), "[ ]"),
        Ty::Attrs(_) => atom(ty.clone(), "{ }"),
        Ty::Fn(_, b) => tpl(ty.clone(), "_: #0", vec![minimal(b)]),
    }
}

/// Smaller variants of `e`, the most promising first: the simplest value of
/// its type, a subexpression of the same type in its place, one item fewer,
/// then the same for each subexpression in place.
pub(crate) fn shrink_candidates(e: &Expr) -> Vec<Expr> {
    let mut out = Vec::new();
    let min = minimal(&e.ty);
    if min.source() != e.source() {
        out.push(min);
    }
    let mut same_type = Vec::new();
    collect_of_type(e, &e.ty, &mut same_type);
    same_type.sort_by_key(|d| std::cmp::Reverse(d.size()));
    out.extend(same_type.into_iter().take(16));
    out.extend(e.removals());
    let n = e.kids().len();
    for i in 0..n {
        let kid = e.kids()[i].clone();
        for candidate in shrink_candidates(&kid) {
            let mut copy = e.clone();
            *copy.kids_mut()[i] = candidate;
            out.push(copy);
        }
    }
    out
}

pub(crate) fn collect_of_type(e: &Expr, ty: &Ty, out: &mut Vec<Expr>) {
    for kid in e.kids() {
        if kid.ty == *ty {
            out.push(kid.clone());
        }
        collect_of_type(kid, ty, out);
    }
}

/// Proptest's view of one generated expression: shrinking walks the
/// candidates of the smallest failing expression found so far.
pub(crate) struct ExprTree {
    /// The last expression known to fail.
    best: Expr,
    candidates: Vec<Expr>,
    next: usize,
    /// The candidate under test, if any (otherwise `best` is).
    trying: Option<Expr>,
    started: bool,
}

impl ExprTree {
    pub(crate) fn new(e: Expr) -> ExprTree {
        ExprTree {
            best: e,
            candidates: Vec::new(),
            next: 0,
            trying: None,
            started: false,
        }
    }

    pub(crate) fn advance(&mut self) -> bool {
        if self.next < self.candidates.len() {
            self.trying = Some(self.candidates[self.next].clone());
            self.next += 1;
            true
        } else {
            self.trying = None;
            false
        }
    }
}

impl ValueTree for ExprTree {
    type Value = Expr;

    fn current(&self) -> Expr {
        self.trying.clone().unwrap_or_else(|| self.best.clone())
    }

    // Called when `current()` failed: it becomes the new best.
    fn simplify(&mut self) -> bool {
        if let Some(failing) = self.trying.take() {
            self.best = failing;
            self.started = false;
        }
        if !self.started {
            self.candidates = shrink_candidates(&self.best);
            self.next = 0;
            self.started = true;
        }
        self.advance()
    }

    // Called when `current()` passed: try the next candidate instead.
    fn complicate(&mut self) -> bool {
        self.trying = None;
        self.advance()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ExprStrategy {
    pub(crate) depth: u32,
}

impl Strategy for ExprStrategy {
    type Tree = ExprTree;
    type Value = Expr;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let rng = runner.rng();
        let mut g = Gen::new(rng);
        let ty = g.data_type(2);
        // not a bare literal at the top
        let e = loop {
            let e = g.expr(&ty, self.depth);
            if !matches!(e.node, Node::Atom(_)) || self.depth == 0 {
                break e;
            }
        };
        Ok(ExprTree::new(e))
    }
}

pub(crate) fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

/// The seed of a run: the number in the environment variable `var`, or a
/// random one when it is not set.
pub(crate) fn seed_from(var: &str) -> u64 {
    match std::env::var(var) {
        Ok(_) => env_number(var, 0),
        Err(_) => random_seed(),
    }
}

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.finish()
}

pub(crate) fn rng_from(seed: u64) -> TestRng {
    let mut bytes = [0u8; 32];
    let mut x = seed;
    for chunk in bytes.chunks_mut(8) {
        // splitmix64, to spread the seed over the key
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}
