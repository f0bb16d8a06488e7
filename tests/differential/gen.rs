//! The generator: typed productions for data (numbers, strings, lists,
//! sets) and the builtins over them; [`lang`] adds the language's own
//! constructs (functions, scopes, laziness, string contexts).

use std::rc::Rc;

use proptest::prelude::*;
use proptest::test_runner::TestRng;

use crate::Ty::{Bool, Float, Int, Null, Str};
use crate::{atom, attrs, func, list, tpl, Entry, Expr, Node, Part, Ty};

// Named by path so that the file can also be included from another test
// (`tests/bytecode_invariants.rs`), where it is not a module file of its own.
#[path = "gen/lang.rs"]
mod lang;

// ---------------------------------------------------------------------------
// The generator

/// Attribute names, some of which need quoting (upper case sorts first).
const KEYS: &[&str] = &[
    "a", "b", "c", "d", "x y", "1", "", "a-b", "_z", "é", "Z", "a1",
];

/// Pieces of double-quoted string literals, as source.
const STR_FRAGS: &[&str] = &[
    "a", "b", "c", "ab", "x", " ", "1", "2", ".", "-", ",", "\\n", "\\t", "\\r", "\\\\", "\\\"",
    "\\${", "$", "é", "\\q", "'", "{", "}", "€", "ab.c", "1.2", "A",
];

/// Pieces of indented string literals, as source: escapes (`''\n` and
/// `''\ ` among them, which count differently from plain text when the
/// indentation is measured and stripped) between lines and blanks.
const ISTR_FRAGS: &[&str] = &[
    "a", "b", " ", "  ", "\n", "\n  ", "\n    ", "\n\n", "''$", "'''", "''\\t", "''\\n", "''\\ ",
    "$", "\t", "x", "\"", "\\", "é", "{",
];

/// Regular expressions for `match` and `split`, as Nix source.
const REGEXES: &[&str] = &[
    r#""a""#,
    r#""a*""#,
    r#""(a)(b)?""#,
    r#""([a-c]+)""#,
    r#"".*""#,
    r#""[^b]""#,
    r#""(a|b)c""#,
    r#""x?""#,
    r#""""#,
    r#""(.)(.)""#,
    r#""a.""#,
    r#""[[:digit:]]+""#,
    r#""([[:alpha:]]*)([0-9])""#,
    r#""\\.""#,
    r#""(a*)*""#,
    r#""^a""#,
    r#""b$""#,
    r#""(a)|b""#,
    r#""[[:space:]]+""#,
    r#""(""#,
    r#"".*(b).*""#,
    r#""([^.]*)\\.(.*)""#,
];

/// Version strings for `compareVersions`, `splitVersion` and `parseDrvName`.
const VERSIONS: &[&str] = &[
    "1.2.3",
    "1.2",
    "1.2pre1",
    "2.0a",
    "1.10",
    "1.9",
    "",
    "1.2.3.4",
    "0",
    "pre",
    "1-2",
    "1..2",
    "1.2.3a",
    "10",
    "2.0pre",
    "2.0b",
    "foo-1.2",
    "foo-bar-2.0pre3",
    "a-b-c",
    "1.2-rc1",
];

/// JSON texts for `fromJSON`.
const JSONS: &[&str] = &[
    r#"[1, 2.5, "a\u0041", true, null, {"a": []}]"#,
    r#"{"b":1,"a":{"c":[1.5e3, -0.0, 1E-2]}}"#,
    r#""\ud83d\ude00""#,
    r#""\n\t\"\\\/""#,
    r#"100000000000000000000"#,
    r#"-9223372036854775808"#,
    r#"9223372036854775807"#,
    r#"1.0"#,
    r#"0.1"#,
    r#"[]"#,
    r#"{}"#,
    r#""é""#,
    r#"[1,]"#,
    r#"tru"#,
    r#"{"a":1,"a":2}"#,
    r#" [ 1 , [ 2 ] ] "#,
    r#"-5"#,
    r#"1e2"#,
    r#"12345.678"#,
    r#""""#,
];

/// Float literals, as source.
const FLOATS: &[&str] = &[
    "0.5", "1.5", "2.0", "0.25", "0.1", "3.75", "10.0", "1.0e3", "2.5e-2", "0.0", "100.5",
    "1.0e-3", "7.0", "0.3", ".5", "1.", "2.5E1", "(-1.5)", "(-0.25)", "123.456",
];

/// Whether values of this type may hold attribute sets.
fn has_attrs(ty: &Ty) -> bool {
    match ty {
        Ty::Attrs(_) => true,
        Ty::List(t) => has_attrs(t),
        _ => false,
    }
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '\'' | '-'))
        && !matches!(
            s,
            "if" | "then" | "else" | "assert" | "with" | "let" | "in" | "rec" | "inherit" | "or"
        )
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An attribute name as it is written in a binding or a selection.
fn key_src(key: &str) -> String {
    if is_ident(key) {
        key.to_string()
    } else {
        quote(key)
    }
}

/// A variable in scope: bound by a lambda, `let` or `rec` (lexically), or
/// hoped for from the set of a `with`.
struct Var {
    name: Rc<str>,
    ty: Ty,
    with: bool,
}

pub(crate) struct Gen<'r> {
    rng: &'r mut TestRng,
    /// Variables in scope, innermost last.
    env: Vec<Var>,
}

impl<'r> Gen<'r> {
    pub(crate) fn new(rng: &'r mut TestRng) -> Gen<'r> {
        Gen {
            rng,
            env: Vec::new(),
        }
    }

    fn below(&mut self, n: usize) -> usize {
        self.rng.random_range(0..n)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    fn pick_str(&mut self, xs: &[&'static str]) -> &'static str {
        xs[self.below(xs.len())]
    }

    /// An index into `weights`, chosen in proportion.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut r = self.rng.random_range(0..total);
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        unreachable!()
    }

    /// A variable name not bound in the current scope.
    fn fresh(&self) -> Rc<str> {
        format!("v{}", self.env.len()).into()
    }

    fn bind(&mut self, name: &Rc<str>, ty: &Ty) {
        self.env.push(Var {
            name: name.clone(),
            ty: ty.clone(),
            with: false,
        });
    }

    /// A name that `with` may provide: it resolves there only if no lexical
    /// binding of it is in scope anywhere (Nix's rule), and an inner `with`
    /// hides an outer one.
    fn bind_with(&mut self, name: &str, ty: &Ty) {
        self.env.push(Var {
            name: name.into(),
            ty: ty.clone(),
            with: true,
        });
    }

    fn unbind(&mut self, n: usize) {
        let len = self.env.len();
        self.env.truncate(len - n);
    }

    /// The binding a name resolves to, if any.
    fn resolve(&self, name: &str) -> Option<&Var> {
        let mut candidates = self.env.iter().rev().filter(|v| &*v.name == name);
        let lexical = self.env.iter().rev().find(|v| &*v.name == name && !v.with);
        lexical.or_else(|| candidates.next())
    }

    /// Variables of type `ty`, as they resolve in the current scope.
    fn vars_of(&self, ty: &Ty) -> Vec<Rc<str>> {
        let mut seen: Vec<&str> = Vec::new();
        let mut out = Vec::new();
        for var in self.env.iter().rev() {
            if seen.contains(&&*var.name) {
                continue;
            }
            seen.push(&var.name);
            if self.resolve(&var.name).is_some_and(|v| v.ty == *ty) {
                out.push(var.name.clone());
            }
        }
        out
    }

    /// A random type of data (no functions), nested at most `depth` deep.
    pub(crate) fn data_type(&mut self, depth: u32) -> Ty {
        let nested = if depth == 0 { 0 } else { 1 };
        match self.weighted(&[30, 8, 14, 26, 3, 12 * nested, 8 * nested]) {
            0 => Int,
            1 => Float,
            2 => Bool,
            3 => Str,
            4 => Null,
            5 => list(self.data_type(depth - 1)),
            _ => attrs(self.data_type(depth - 1)),
        }
    }

    fn int_lit(&mut self) -> Expr {
        let n: i64 = match self.weighted(&[60, 25, 15]) {
            0 => self.rng.random_range(0..=5),
            1 => self.rng.random_range(-5..=20),
            _ => self.rng.random_range(-1000..=1000),
        };
        if n < 0 {
            atom(Int, format!("({n})"))
        } else {
            atom(Int, n.to_string())
        }
    }

    /// An index or a count: mostly 0 to 2.
    fn small_int(&mut self) -> Expr {
        let n = self.weighted(&[6, 4, 3, 1, 1]);
        atom(Int, n.to_string())
    }

    fn str_lit(&mut self) -> Expr {
        let k = self.key();
        atom(Str, quote(k))
    }

    fn key(&mut self) -> &'static str {
        self.pick_str(KEYS)
    }

    /// A string naming an attribute: mostly a literal key, sometimes computed.
    fn key_expr(&mut self, d: u32) -> Expr {
        if self.chance(0.85) {
            self.str_lit()
        } else {
            self.expr(&Str, d)
        }
    }

    fn keys_list(&mut self) -> Expr {
        let n = self.below(3);
        let items = (0..n).map(|_| self.str_lit()).collect();
        Expr {
            ty: list(Str),
            node: Node::List(items),
        }
    }

    fn regex(&mut self) -> Expr {
        atom(Str, *self.pick(REGEXES))
    }

    fn version(&mut self) -> Expr {
        if self.chance(0.9) {
            atom(Str, quote(self.pick_str(VERSIONS)))
        } else {
            self.str_lit()
        }
    }

    /// A literal of type `ty`, or a variable of that type.
    fn leaf(&mut self, ty: &Ty) -> Expr {
        let vars = self.vars_of(ty);
        if !vars.is_empty() && self.chance(0.5) {
            let v = self.pick(&vars).clone();
            return atom(ty.clone(), v);
        }
        self.literal(ty, 0)
    }

    fn literal(&mut self, ty: &Ty, d: u32) -> Expr {
        match ty {
            Int => self.int_lit(),
            Float => atom(Float, *self.pick(FLOATS)),
            Bool => atom(Bool, if self.chance(0.5) { "true" } else { "false" }),
            Null => atom(Null, "null"),
            Str => self.string(d),
            Ty::List(t) => {
                let n = self.weighted(&[2, 4, 4, 3, 1]);
                let items = (0..n).map(|_| self.literal(t, d)).collect();
                Expr {
                    ty: ty.clone(),
                    node: Node::List(items),
                }
            }
            Ty::Attrs(t) => {
                let n = self.weighted(&[2, 4, 4, 2]);
                let entries = self
                    .distinct_keys(n)
                    .into_iter()
                    .map(|k| Entry::Bind(key_src(k).into(), self.literal(t, d)))
                    .collect();
                Expr {
                    ty: ty.clone(),
                    node: Node::Attrs {
                        rec: false,
                        entries,
                    },
                }
            }
            Ty::Fn(a, b) => self.function(a, b, 0),
        }
    }

    fn distinct_keys(&mut self, n: usize) -> Vec<&'static str> {
        let mut keys: Vec<&'static str> = Vec::new();
        while keys.len() < n {
            let k = self.key();
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        keys
    }

    /// A string literal, sometimes indented, sometimes with interpolations.
    fn string(&mut self, d: u32) -> Expr {
        let indented = self.chance(0.15);
        let n = self.weighted(&[1, 4, 4, 3, 2]);
        let mut parts = Vec::new();
        for _ in 0..n {
            if d > 0 && self.chance(0.2) {
                parts.push(Part::Interp(self.expr(&Str, d - 1)));
            } else {
                let frags = if indented { ISTR_FRAGS } else { STR_FRAGS };
                let frag = self.pick_str(frags);
                // `$` then `{` would open an interpolation
                let after_dollar = matches!(parts.last(), Some(Part::Lit(p)) if p.ends_with('$'));
                if !(after_dollar && frag.starts_with('{')) {
                    parts.push(Part::Lit(frag.into()));
                }
            }
        }
        Expr {
            ty: Str,
            node: Node::Str { indented, parts },
        }
    }

    /// An expression of type `ty`, at most `depth` levels deep.
    pub(crate) fn expr(&mut self, ty: &Ty, depth: u32) -> Expr {
        if let Ty::Fn(a, b) = ty {
            return self.function(a, b, depth);
        }
        if depth == 0 {
            return self.leaf(ty);
        }
        let d = depth - 1;
        // A share of ill-typed subexpressions, to exercise errors.
        if self.chance(0.02) {
            let other = self.data_type(1);
            if other != *ty {
                return self.expr(&other, d);
            }
        }
        if self.chance(if depth >= 3 { 0.15 } else { 0.3 }) {
            return self.leaf(ty);
        }
        if self.chance(0.3) {
            return self.generic(ty, d);
        }
        match ty {
            Int => self.int(d),
            Float => self.float(d),
            Bool => self.boolean(d),
            Str => self.str_expr(d),
            Null => self.generic(ty, d),
            Ty::List(t) => self.list_expr(t, d),
            Ty::Attrs(t) => self.attrs_expr(t, d),
            Ty::Fn(..) => unreachable!(),
        }
    }

    /// An expression of any data type.
    fn any(&mut self, d: u32) -> Expr {
        if self.chance(0.08) {
            let json = quote(self.pick_str(JSONS));
            return tpl(Null, "builtins.fromJSON #0", vec![atom(Str, json)]);
        }
        let ty = self.data_type(2);
        self.expr(&ty, d)
    }

    /// Productions that give any type.
    fn generic(&mut self, ty: &Ty, d: u32) -> Expr {
        let t = ty.clone();
        match self.weighted(&[
            20, 16, 6, 8, 12, 8, 10, 8, 6, 8, 4, 6, 4, 2, 1, 1, 6, 4, 4, 60,
        ]) {
            0 => {
                let c = self.expr(&Bool, d);
                let a = self.expr(ty, d);
                let b = self.expr(ty, d);
                tpl(t, "if #0 then #1 else #2", vec![c, a, b])
            }
            1 => {
                // let with one or two bindings, the second may use the first
                let v = self.fresh();
                let vt = self.data_type(1);
                let value = self.expr(&vt, d);
                self.bind(&v, &vt);
                if self.chance(0.3) {
                    let w = self.fresh();
                    let wt = self.data_type(1);
                    let value2 = self.expr(&wt, d);
                    self.bind(&w, &wt);
                    let body = self.expr(ty, d);
                    self.unbind(2);
                    tpl(
                        t,
                        format!("let {v} = #0; {w} = #1; in #2"),
                        vec![value, value2, body],
                    )
                } else {
                    let body = self.expr(ty, d);
                    self.unbind(1);
                    tpl(t, format!("let {v} = #0; in #1"), vec![value, body])
                }
            }
            2 => {
                // let inherit (e) a b; in body
                let vt = self.data_type(1);
                let from = self.expr(&attrs(vt.clone()), d);
                let names: Vec<&str> = if self.chance(0.5) {
                    vec!["a"]
                } else {
                    vec!["a", "b"]
                };
                for n in &names {
                    self.bind(&Rc::from(*n), &vt);
                }
                let body = self.expr(ty, d);
                self.unbind(names.len());
                tpl(
                    t,
                    format!("let inherit (#0) {}; in #1", names.join(" ")),
                    vec![from, body],
                )
            }
            3 => {
                // applying a lambda right away
                let at = self.data_type(1);
                let f = self.function(&at, ty, d);
                let arg = self.expr(&at, d);
                tpl(t, "#0 #1", vec![f, arg])
            }
            4 => {
                let l = self.expr(&list(t.clone()), d);
                tpl(t, "builtins.head #0", vec![l])
            }
            5 => {
                let l = self.expr(&list(t.clone()), d);
                let i = if self.chance(0.85) {
                    self.small_int()
                } else {
                    self.expr(&Int, d)
                };
                tpl(t, "builtins.elemAt #0 #1", vec![l, i])
            }
            6 => {
                let s = self.expr(&attrs(t.clone()), d);
                let default = self.expr(ty, d);
                let k = key_src(self.key());
                tpl(t, format!("#0.{k} or #1"), vec![s, default])
            }
            7 => {
                let s = self.expr(&attrs(t.clone()), d);
                let k = self.key_expr(d);
                if self.chance(0.6) {
                    // make sure the attribute exists (mostly)
                    let v = self.fresh();
                    let default = self.expr(ty, d);
                    tpl(
                        t,
                        format!(
                            "let {v} = #0; in builtins.getAttr {v} ({{ ${{{v}}} = #2; }} // #1)"
                        ),
                        vec![k, s, default],
                    )
                } else {
                    tpl(t, "builtins.getAttr #0 #1", vec![k, s])
                }
            }
            8 => {
                let s = self.expr(&attrs(t.clone()), d);
                let k = key_src(self.key());
                if self.chance(0.6) {
                    let default = self.expr(ty, d);
                    tpl(t, format!("({{ {k} = #1; }} // #0).{k}"), vec![s, default])
                } else {
                    tpl(t, format!("#0.{k}"), vec![s])
                }
            }
            9 => {
                // foldl' with an accumulator of this type
                let et = self.data_type(1);
                let f = self.function_arg(&t, &func(et.clone(), t.clone()), d);
                let init = self.expr(ty, d);
                let l = self.expr(&list(et), d);
                tpl(t, "builtins.foldl' #0 #1 #2", vec![f, init, l])
            }
            10 => {
                let a = self.any(d);
                let b = self.expr(ty, d);
                let op = if self.chance(0.5) { "seq" } else { "deepSeq" };
                tpl(t, format!("builtins.{op} #0 #1"), vec![a, b])
            }
            11 => {
                let v = self.fresh();
                let tried = self.throwing(ty, d);
                let fallback = self.expr(ty, d);
                tpl(
                    t,
                    format!(
                        "let {v} = builtins.tryEval #0; in if {v}.success then {v}.value else #1"
                    ),
                    vec![tried, fallback],
                )
            }
            12 => {
                let e = self.expr(ty, d);
                tpl(t, "builtins.fromJSON (builtins.toJSON #0)", vec![e])
            }
            13 => {
                let c = self.expr(&Bool, d);
                let e = self.expr(ty, d);
                tpl(t, "assert #0; #1", vec![c, e])
            }
            14 => tpl(t, "throw #0", vec![self.str_lit()]),
            15 => tpl(t, "abort #0", vec![self.str_lit()]),
            16 => {
                // with: a, b and c may come from the set (or be missing)
                let vt = self.data_type(1);
                let s = self.expr(&attrs(vt.clone()), d);
                for n in ["a", "b", "c"] {
                    self.bind_with(n, &vt);
                }
                let body = self.expr(ty, d);
                self.unbind(3);
                tpl(t, "with #0; #1", vec![s, body])
            }
            17 => {
                // a path of two attributes, with a default
                let s = self.expr(&attrs(attrs(t.clone())), d);
                let default = self.expr(ty, d);
                let k = key_src(self.key());
                let j = key_src(self.key());
                tpl(t, format!("#0.{k}.{j} or #1"), vec![s, default])
            }
            18 => {
                // attrsets merged, then selected from
                let a = self.expr(&attrs(t.clone()), d);
                let b = self.expr(&attrs(t.clone()), d);
                let default = self.expr(ty, d);
                let k = key_src(self.key());
                tpl(t, format!("(#0 // #1).{k} or #2"), vec![a, b, default])
            }
            _ => self.language(ty, d),
        }
    }

    /// An expression of type `ty` that throws or fails an assertion now and then.
    fn throwing(&mut self, ty: &Ty, d: u32) -> Expr {
        match self.weighted(&[3, 2, 1]) {
            0 => self.expr(ty, d),
            1 => {
                let c = self.expr(&Bool, d);
                let e = self.expr(ty, d);
                let msg = self.str_lit();
                tpl(ty.clone(), "if #0 then throw #1 else #2", vec![c, msg, e])
            }
            _ => {
                let c = self.expr(&Bool, d);
                let e = self.expr(ty, d);
                tpl(ty.clone(), "assert #0; #1", vec![c, e])
            }
        }
    }

    /// The function argument of a builtin: now and then not a function at all.
    /// (Not for `filter`, which Nix 2.8 requires a function of even for an
    /// empty list, and newer Nix, like Spindle, does not.)
    fn function_arg(&mut self, a: &Ty, b: &Ty, depth: u32) -> Expr {
        if self.chance(0.03) {
            let other = self.data_type(1);
            return self.literal(&other, 0);
        }
        self.function(a, b, depth)
    }

    /// A function from `a` to `b`: a lambda, a pattern lambda, a builtin
    /// (partially applied), or a set with `__functor`.
    fn function(&mut self, a: &Ty, b: &Ty, depth: u32) -> Expr {
        let ty = func(a.clone(), b.clone());
        if depth > 0 && self.chance(0.3) {
            if let Some(e) = self.function_lang(a, b, depth - 1) {
                return e;
            }
        }
        if self.chance(0.2) {
            if let Some(e) = self.builtin_function(a, b) {
                return e;
            }
        }
        if self.chance(0.05) {
            let f = self.function(a, b, depth);
            return tpl(ty, "{ __functor = _: #0; }", vec![f]);
        }
        if let Ty::Attrs(elem) = a {
            if self.chance(0.3) {
                // { a, b ? default, ... }@v: body
                let v = self.fresh();
                let default = self.expr(elem, depth.saturating_sub(1));
                let ellipsis = if self.chance(0.85) { ", ..." } else { "" };
                let at = self.chance(0.3);
                self.bind(&Rc::from("a"), elem);
                self.bind(&Rc::from("b"), elem);
                if at {
                    self.bind(&v, a);
                }
                let body = self.expr(b, depth.saturating_sub(1));
                self.unbind(if at { 3 } else { 2 });
                let pattern = if at { format!("@{v}") } else { String::new() };
                return tpl(
                    ty,
                    format!("{{ a, b ? #0{ellipsis} }}{pattern}: #1"),
                    vec![default, body],
                );
            }
        }
        let v = self.fresh();
        self.bind(&v, a);
        let body = self.expr(b, depth.saturating_sub(1));
        self.unbind(1);
        tpl(ty, format!("{v}: #0"), vec![body])
    }

    fn builtin_function(&mut self, a: &Ty, b: &Ty) -> Option<Expr> {
        let ty = func(a.clone(), b.clone());
        let f = |s: &str| Some(atom(ty.clone(), s.to_string()));
        match (a, b) {
            (Int, Int) => {
                let op = *self.pick(&["add", "sub", "mul", "bitAnd", "bitOr", "bitXor"]);
                let n = self.int_lit();
                Some(tpl(ty, format!("builtins.{op} #0"), vec![n]))
            }
            (Int, Ty::Fn(b1, c)) if **b1 == Int && **c == Int => f(self.pick_str(&[
                "builtins.add",
                "builtins.sub",
                "builtins.mul",
                "builtins.bitOr",
            ])),
            (Int | Float | Bool | Null | Str, Str) => f("builtins.toString"),
            (Str, Int) => f("builtins.stringLength"),
            (Ty::List(_), Int) => f("builtins.length"),
            (Ty::Attrs(_), Ty::List(t)) if **t == Str => f("builtins.attrNames"),
            (Ty::Attrs(t1), Ty::List(t2)) if t1 == t2 => f("builtins.attrValues"),
            (Ty::List(t1), t2) if **t1 == *t2 => f("builtins.head"),
            (Ty::List(t1), Ty::List(t2)) if t1 == t2 => {
                if matches!(**t1, Int | Float | Str) && self.chance(0.5) {
                    // a template, to be put in parentheses
                    Some(tpl(ty, "builtins.sort builtins.lessThan", vec![]))
                } else {
                    f("builtins.tail")
                }
            }
            (_, Bool) => {
                let p = *self.pick(&[
                    "isInt",
                    "isString",
                    "isBool",
                    "isList",
                    "isAttrs",
                    "isFloat",
                    "isNull",
                    "isFunction",
                ]);
                f(&format!("builtins.{p}"))
            }
            (_, Str) => f(if self.chance(0.5) {
                "builtins.typeOf"
            } else {
                "builtins.toJSON"
            }),
            (Str, Ty::List(t)) if **t == Str => f("builtins.splitVersion"),
            (Ty::Attrs(t1), Ty::Attrs(t2)) if t1 == t2 => {
                let keys = self.keys_list();
                Some(tpl(ty, "s: builtins.removeAttrs s #0", vec![keys]))
            }
            _ => None,
        }
    }

    fn int(&mut self, d: u32) -> Expr {
        let ii = |g: &mut Self, tplt: &str| {
            let a = g.expr(&Int, d);
            let b = g.expr(&Int, d);
            tpl(Int, tplt, vec![a, b])
        };
        match self.weighted(&[10, 6, 6, 3, 3, 4, 4, 4, 3, 2, 2, 3, 2, 2]) {
            0 => ii(self, "#0 + #1"),
            1 => ii(self, "#0 - #1"),
            2 => ii(self, "#0 * #1"),
            3 => ii(self, "#0 / #1"),
            4 => {
                let a = self.expr(&Int, d);
                tpl(Int, "-#0", vec![a])
            }
            5 => {
                let op = *self.pick(&["add", "sub", "mul", "div"]);
                ii(self, &format!("builtins.{op} #0 #1"))
            }
            6 => {
                let et = self.data_type(1);
                let l = self.expr(&list(et), d);
                tpl(Int, "builtins.length #0", vec![l])
            }
            7 => {
                let s = self.expr(&Str, d);
                tpl(Int, "builtins.stringLength #0", vec![s])
            }
            8 => {
                let op = *self.pick(&["bitAnd", "bitOr", "bitXor"]);
                ii(self, &format!("builtins.{op} #0 #1"))
            }
            9 => {
                let op = *self.pick(&["ceil", "floor"]);
                let x = self.expr(&Float, d);
                tpl(Int, format!("builtins.{op} #0"), vec![x])
            }
            10 => {
                let a = self.version();
                let b = self.version();
                tpl(Int, "builtins.compareVersions #0 #1", vec![a, b])
            }
            11 => {
                let et = self.data_type(1);
                let s = self.expr(&attrs(et), d);
                tpl(Int, "builtins.length (builtins.attrNames #0)", vec![s])
            }
            12 => {
                let l = self.expr(&list(Int), d);
                tpl(Int, "builtins.foldl' builtins.add 0 #0", vec![l])
            }
            _ => {
                let a = self.expr(&Int, d);
                let b = self.expr(&Int, d);
                tpl(Int, "if #0 < #1 then #0 else #1", vec![a, b])
            }
        }
    }

    /// A number: an integer or a float.
    fn number(&mut self, d: u32) -> Expr {
        if self.chance(0.6) {
            self.expr(&Float, d)
        } else {
            self.expr(&Int, d)
        }
    }

    fn float(&mut self, d: u32) -> Expr {
        match self.weighted(&[6, 4, 5, 4, 3, 3, 2, 2]) {
            0 => {
                let a = self.expr(&Float, d);
                let b = self.number(d);
                tpl(Float, "#0 + #1", vec![a, b])
            }
            1 => {
                let a = self.number(d);
                let b = self.expr(&Float, d);
                tpl(Float, "#0 - #1", vec![a, b])
            }
            2 => {
                let a = self.expr(&Float, d);
                let b = self.number(d);
                tpl(Float, "#0 * #1", vec![a, b])
            }
            3 => {
                let a = self.number(d);
                let b = self.expr(&Float, d);
                tpl(Float, "#0 / #1", vec![a, b])
            }
            4 => {
                let a = self.expr(&Float, d);
                tpl(Float, "-#0", vec![a])
            }
            5 => {
                let op = *self.pick(&["add", "sub", "mul", "div"]);
                let a = self.expr(&Float, d);
                let b = self.number(d);
                tpl(Float, format!("builtins.{op} #0 #1"), vec![a, b])
            }
            6 => {
                let a = self.expr(&Int, d);
                tpl(Float, "#0 * 1.0", vec![a])
            }
            _ => {
                // far from 1, for printing (and infinities, NaN, underflow)
                let a = self.expr(&Float, d);
                let scale = self.pick_str(&["1.0e15", "1.0e-7", "3.0e10", "1.0e300", "1.0e-300"]);
                tpl(Float, format!("#0 * {scale}"), vec![a])
            }
        }
    }

    /// Two operands that `<` may compare (sometimes not).
    fn comparable(&mut self, d: u32) -> (Expr, Expr) {
        let (ta, tb) = match self.weighted(&[6, 3, 5, 3, 2, 1, 1]) {
            0 => (Int, Int),
            1 => (Float, Float),
            2 => (Str, Str),
            3 => (Int, Float),
            4 => (list(Int), list(Int)),
            5 => (list(Str), list(Str)),
            _ => (self.data_type(1), self.data_type(1)),
        };
        (self.expr(&ta, d), self.expr(&tb, d))
    }

    /// `template` comparing `a` and `b` for equality. When sets may be
    /// compared, both sides are forced completely first: given two sets of
    /// one size but different names, Nix compares the values of equal names
    /// until it meets different ones, walking in the order its symbols were
    /// created, so whether an erroneous value is reached depends on that
    /// order (and Spindle's order is its own).
    fn compared(&mut self, a: Expr, b: Expr, template: &str) -> Expr {
        if has_attrs(&a.ty) || has_attrs(&b.ty) {
            let v = self.fresh();
            let w: Rc<str> = format!("{v}x").into();
            let compare = template.replace("#0", &v).replace("#1", &w);
            tpl(
                Bool,
                format!("let {v} = #0; {w} = #1; in builtins.deepSeq [ {v} {w} ] ({compare})"),
                vec![a, b],
            )
        } else {
            tpl(Bool, template, vec![a, b])
        }
    }

    /// Two operands for `==`: mostly of one type.
    fn equatable(&mut self, d: u32) -> (Expr, Expr) {
        let ta = self.data_type(2);
        let tb = match self.weighted(&[8, 1, 1]) {
            0 => ta.clone(),
            1 if ta == Int => Float,
            _ => self.data_type(1),
        };
        (self.expr(&ta, d), self.expr(&tb, d))
    }

    fn boolean(&mut self, d: u32) -> Expr {
        match self.weighted(&[8, 3, 8, 4, 4, 3, 3, 3, 3, 4, 3, 2, 2, 2]) {
            0 => {
                let (a, b) = self.equatable(d);
                self.compared(a, b, "#0 == #1")
            }
            1 => {
                let (a, b) = self.equatable(d);
                self.compared(a, b, "#0 != #1")
            }
            2 => {
                let (a, b) = self.comparable(d);
                let op = *self.pick(&["<", "<=", ">", ">="]);
                tpl(Bool, format!("#0 {op} #1"), vec![a, b])
            }
            3 => {
                let a = self.expr(&Bool, d);
                let b = self.expr(&Bool, d);
                let op = *self.pick(&["&&", "||", "->"]);
                tpl(Bool, format!("#0 {op} #1"), vec![a, b])
            }
            4 => {
                let a = self.expr(&Bool, d);
                tpl(Bool, "!#0", vec![a])
            }
            5 => {
                let et = self.data_type(1);
                let x = self.expr(&et, d);
                let l = self.expr(&list(et), d);
                self.compared(x, l, "builtins.elem #0 #1")
            }
            6 => {
                let et = self.data_type(1);
                let f = self.function_arg(&et, &Bool, d);
                let l = self.expr(&list(et), d);
                let op = *self.pick(&["any", "all"]);
                tpl(Bool, format!("builtins.{op} #0 #1"), vec![f, l])
            }
            7 => {
                let et = self.data_type(1);
                let s = self.expr(&attrs(et), d);
                if self.chance(0.5) {
                    let k = self.key_expr(d);
                    tpl(Bool, "builtins.hasAttr #0 #1", vec![k, s])
                } else {
                    let k = key_src(self.key());
                    if self.chance(0.7) {
                        tpl(Bool, format!("#0 ? {k}"), vec![s])
                    } else {
                        let j = key_src(self.key());
                        tpl(Bool, format!("#0 ? {k}.{j}"), vec![s])
                    }
                }
            }
            8 => {
                let p = *self.pick(&[
                    "isInt",
                    "isString",
                    "isBool",
                    "isList",
                    "isAttrs",
                    "isFloat",
                    "isNull",
                    "isFunction",
                ]);
                let x = self.any(d);
                tpl(Bool, format!("builtins.{p} #0"), vec![x])
            }
            9 => {
                let (a, b) = self.comparable(d);
                tpl(Bool, "builtins.lessThan #0 #1", vec![a, b])
            }
            10 => {
                let et = self.data_type(1);
                let e = self.throwing(&et, d);
                tpl(Bool, "(builtins.tryEval #0).success", vec![e])
            }
            11 => {
                let re = self.regex();
                let s = self.expr(&Str, d);
                tpl(Bool, "builtins.match #0 #1 == null", vec![re, s])
            }
            12 => {
                let f = self.function(&Int, &Int, d);
                tpl(Bool, "builtins.isFunction #0", vec![f])
            }
            _ => {
                let (a, b) = self.equatable(d);
                self.compared(a, b, "builtins.elem #0 [ #1 ]")
            }
        }
    }

    fn str_expr(&mut self, d: u32) -> Expr {
        match self.weighted(&[8, 6, 4, 6, 3, 3, 4, 4, 3, 2, 2, 2, 3, 2, 2, 2]) {
            0 => self.string(d + 1),
            1 => {
                let a = self.expr(&Str, d);
                let b = self.expr(&Str, d);
                tpl(Str, "#0 + #1", vec![a, b])
            }
            2 => {
                // interpolation of something coerced to a string
                let t = match self.weighted(&[4, 2, 1]) {
                    0 => Str,
                    1 => Int,
                    _ => self.data_type(1),
                };
                let e = self.expr(&t, d);
                let pre = self.pick_str(STR_FRAGS);
                tpl(Str, format!("\"{pre}${{#0}}\""), vec![e])
            }
            3 => {
                let t = match self.weighted(&[4, 2, 2, 2, 1, 2, 2, 1]) {
                    0 => Int,
                    1 => Float,
                    2 => Bool,
                    3 => Str,
                    4 => Null,
                    5 => list(Int),
                    6 => list(Str),
                    _ => self.data_type(2),
                };
                let e = self.expr(&t, d);
                tpl(Str, "builtins.toString #0", vec![e])
            }
            4 => {
                let start = if self.chance(0.8) {
                    self.small_int()
                } else {
                    self.expr(&Int, d)
                };
                let len = if self.chance(0.8) {
                    self.int_lit()
                } else {
                    self.expr(&Int, d)
                };
                let s = self.expr(&Str, d);
                tpl(Str, "builtins.substring #0 #1 #2", vec![start, len, s])
            }
            5 => {
                let sep = self.expr(&Str, d);
                let l = self.expr(&list(Str), d);
                tpl(Str, "builtins.concatStringsSep #0 #1", vec![sep, l])
            }
            6 => {
                let n = self.weighted(&[1, 4, 3, 2]);
                let mut from = Vec::new();
                let mut to = Vec::new();
                for _ in 0..n {
                    from.push(if self.chance(0.7) {
                        self.string(0)
                    } else {
                        self.expr(&Str, d)
                    });
                    to.push(self.expr(&Str, d));
                }
                if self.chance(0.05) {
                    to.pop();
                }
                let from = Expr {
                    ty: list(Str),
                    node: Node::List(from),
                };
                let to = Expr {
                    ty: list(Str),
                    node: Node::List(to),
                };
                let s = self.expr(&Str, d);
                // Nix 2.8 forces every replacement to a string, newer Nix
                // (and Spindle) only those it uses: check them all first.
                let v = self.fresh();
                tpl(
                    Str,
                    format!(
                        "let {v} = #1; in assert builtins.all builtins.isString {v}; \
                         builtins.replaceStrings #0 {v} #2"
                    ),
                    vec![from, to, s],
                )
            }
            7 => {
                let x = self.any(d);
                tpl(Str, "builtins.toJSON #0", vec![x])
            }
            8 => {
                let x = if self.chance(0.1) {
                    self.function(&Int, &Int, d)
                } else {
                    self.any(d)
                };
                tpl(Str, "builtins.typeOf #0", vec![x])
            }
            9 => {
                let algo = *self.pick(&["md5", "sha1", "sha256", "sha512"]);
                let s = self.expr(&Str, d);
                tpl(Str, format!("builtins.hashString \"{algo}\" #0"), vec![s])
            }
            10 => {
                let op = *self.pick(&["baseNameOf", "dirOf"]);
                let s = if self.chance(0.5) {
                    atom(
                        Str,
                        quote(self.pick_str(&[
                            "a/b",
                            "/a/b/",
                            "a",
                            "/",
                            "",
                            "a//b",
                            "./x",
                            "a/b/c.nix",
                        ])),
                    )
                } else {
                    self.expr(&Str, d)
                };
                tpl(Str, format!("builtins.{op} #0"), vec![s])
            }
            11 => {
                let s = self.version();
                let field = *self.pick(&["name", "version"]);
                tpl(Str, format!("(builtins.parseDrvName #0).{field}"), vec![s])
            }
            12 => {
                let op = *self.pick(&["match", "split"]);
                let re = self.regex();
                let s = self.expr(&Str, d);
                tpl(
                    Str,
                    format!("builtins.toJSON (builtins.{op} #0 #1)"),
                    vec![re, s],
                )
            }
            13 => {
                let et = self.data_type(1);
                let s = self.expr(&attrs(et), d);
                let sep = self.str_lit();
                tpl(
                    Str,
                    "builtins.concatStringsSep #0 (builtins.attrNames #1)",
                    vec![sep, s],
                )
            }
            14 => {
                let l = self.expr(&list(Str), d);
                tpl(Str, "builtins.foldl' (x: y: x + y) \"\" #0", vec![l])
            }
            _ => {
                let v = self.version();
                tpl(
                    Str,
                    "builtins.concatStringsSep \"|\" (builtins.splitVersion #0)",
                    vec![v],
                )
            }
        }
    }

    fn list_expr(&mut self, t: &Ty, d: u32) -> Expr {
        let ty = list(t.clone());
        let sortable = matches!(t, Int | Float | Str);
        let is_str = *t == Str;
        match self.weighted(&[
            10,
            6,
            3,
            6,
            5,
            5,
            4,
            2,
            3,
            3,
            2,
            2,
            if is_str { 4 } else { 0 },
            if is_str { 2 } else { 0 },
            if is_str { 2 } else { 0 },
            2,
        ]) {
            0 => {
                let n = self.weighted(&[1, 3, 4, 3, 2]);
                let items = (0..n).map(|_| self.expr(t, d)).collect();
                Expr {
                    ty,
                    node: Node::List(items),
                }
            }
            1 => {
                let a = self.expr(&ty, d);
                let b = self.expr(&ty, d);
                tpl(ty, "#0 ++ #1", vec![a, b])
            }
            2 => {
                let l = self.expr(&ty, d);
                tpl(ty, "builtins.tail #0", vec![l])
            }
            3 => {
                let et = self.data_type(1);
                let f = self.function_arg(&et, t, d);
                let l = self.expr(&list(et), d);
                tpl(ty, "builtins.map #0 #1", vec![f, l])
            }
            4 => {
                let f = self.function(t, &Bool, d);
                let l = self.expr(&ty, d);
                tpl(ty, "builtins.filter #0 #1", vec![f, l])
            }
            5 => {
                let l = self.expr(&ty, d);
                let a = self.fresh();
                let b: Rc<str> = format!("{a}x").into();
                if sortable && self.chance(0.6) {
                    let cmp = match self.below(3) {
                        0 => "builtins.lessThan".to_string(),
                        1 => format!("{a}: {b}: {a} < {b}"),
                        _ => format!("{a}: {b}: {a} > {b}"),
                    };
                    tpl(ty, format!("builtins.sort ({cmp}) #0"), vec![l])
                } else {
                    // by a key, so that ties show whether the sort is stable
                    let kt = if self.chance(0.7) { Int } else { Str };
                    let key = self.function(t, &kt, d);
                    tpl(
                        ty,
                        format!("builtins.sort ({a}: {b}: #1 {a} < #1 {b}) #0"),
                        vec![l, key],
                    )
                }
            }
            6 => {
                let f = self.function_arg(&Int, t, d);
                // A literal count: a computed one can be in the billions,
                // more memory than there is (Spindle has no heap cap yet).
                let n = if self.chance(0.9) {
                    self.small_int()
                } else {
                    self.int_lit()
                };
                tpl(ty, "builtins.genList #0 #1", vec![f, n])
            }
            7 => {
                let l = self.expr(&list(ty.clone()), d);
                tpl(ty, "builtins.concatLists #0", vec![l])
            }
            8 => {
                let et = self.data_type(1);
                let f = self.function_arg(&et, &ty, d);
                let l = self.expr(&list(et), d);
                tpl(ty, "builtins.concatMap #0 #1", vec![f, l])
            }
            9 => {
                let s = self.expr(&attrs(t.clone()), d);
                tpl(ty, "builtins.attrValues #0", vec![s])
            }
            10 => {
                let k = self.key_expr(d);
                let l = self.expr(&list(attrs(t.clone())), d);
                tpl(ty, "builtins.catAttrs #0 #1", vec![k, l])
            }
            11 => {
                let f = self.function_arg(t, &Bool, d);
                let l = self.expr(&ty, d);
                let side = *self.pick(&["right", "wrong"]);
                tpl(ty, format!("(builtins.partition #0 #1).{side}"), vec![f, l])
            }
            12 => {
                let et = self.data_type(1);
                let s = self.expr(&attrs(et), d);
                tpl(ty, "builtins.attrNames #0", vec![s])
            }
            13 => {
                let v = self.version();
                tpl(ty, "builtins.splitVersion #0", vec![v])
            }
            14 => {
                let re = self.regex();
                let s = self.expr(&Str, d);
                tpl(
                    ty,
                    "builtins.filter builtins.isString (builtins.split #0 #1)",
                    vec![re, s],
                )
            }
            _ => {
                let s = self.expr(&attrs(t.clone()), d);
                let v = self.fresh();
                tpl(
                    ty,
                    format!("builtins.map ({v}: #0.${{{v}}}) (builtins.attrNames #0)"),
                    vec![s],
                )
            }
        }
    }

    /// `{ name = …; value = …; }` for `listToAttrs`.
    fn name_value(&mut self, t: &Ty, d: u32) -> Expr {
        let name = self.key_expr(d);
        let value = self.expr(t, d);
        Expr {
            ty: attrs(Null),
            node: Node::Attrs {
                rec: false,
                entries: vec![
                    Entry::Bind("name".into(), name),
                    Entry::Bind("value".into(), value),
                ],
            },
        }
    }

    fn attrs_literal(&mut self, t: &Ty, d: u32) -> Expr {
        let ty = attrs(t.clone());
        let n = self.weighted(&[1, 4, 4, 3]);
        let keys = self.distinct_keys(n);
        let mut entries = Vec::new();
        let nested = matches!(t, Ty::Attrs(_)) && self.chance(0.3);
        for k in keys {
            if nested {
                // a.x = …; a.y = …; merged into one set
                let Ty::Attrs(inner) = t else { unreachable!() };
                let m = 1 + self.below(2);
                for j in self.distinct_keys(m) {
                    let v = self.expr(inner, d);
                    entries.push(Entry::Bind(
                        format!("{}.{}", key_src(k), key_src(j)).into(),
                        v,
                    ));
                }
            } else {
                let v = self.expr(t, d);
                entries.push(Entry::Bind(key_src(k).into(), v));
            }
        }
        if self.chance(0.08) {
            let k = self.expr(&Str, d);
            let v = self.expr(t, d);
            entries.push(Entry::Dynamic(k, v));
        }
        let vars = self.vars_of(t);
        if !vars.is_empty() && self.chance(0.15) {
            let v = self.pick(&vars).clone();
            entries.push(Entry::Inherit(vec![v]));
        }
        if self.chance(0.05) {
            let from = self.expr(&ty, d);
            let k = key_src(self.key());
            entries.push(Entry::InheritFrom(from, vec![k.into()]));
        }
        Expr {
            ty,
            node: Node::Attrs {
                rec: false,
                entries,
            },
        }
    }

    fn attrs_expr(&mut self, t: &Ty, d: u32) -> Expr {
        let ty = attrs(t.clone());
        let is_list = matches!(t, Ty::List(_));
        match self.weighted(&[10, 2, 6, 4, 3, 5, 3, 3, 2, 2, if is_list { 2 } else { 0 }]) {
            0 => self.attrs_literal(t, d),
            1 => {
                // rec { v = …; vx = … v …; }
                let v = self.fresh();
                let w: Rc<str> = format!("{v}x").into();
                let a = self.expr(t, d);
                self.bind(&v, t);
                let b = self.expr(t, d);
                self.unbind(1);
                Expr {
                    ty,
                    node: Node::Attrs {
                        rec: true,
                        entries: vec![Entry::Bind(v, a), Entry::Bind(w, b)],
                    },
                }
            }
            2 => {
                let a = self.expr(&ty, d);
                let b = self.expr(&ty, d);
                tpl(ty, "#0 // #1", vec![a, b])
            }
            3 => {
                let s = self.expr(&ty, d);
                let keys = self.keys_list();
                tpl(ty, "builtins.removeAttrs #0 #1", vec![s, keys])
            }
            4 => {
                let et = self.data_type(1);
                let a = self.expr(&attrs(et), d);
                let b = self.expr(&ty, d);
                tpl(ty, "builtins.intersectAttrs #0 #1", vec![a, b])
            }
            5 => {
                let et = self.data_type(1);
                let f = self.function_arg(&Str, &func(et.clone(), t.clone()), d);
                let s = self.expr(&attrs(et), d);
                tpl(ty, "builtins.mapAttrs #0 #1", vec![f, s])
            }
            6 => {
                let n = self.weighted(&[1, 3, 3, 2]);
                let items = (0..n).map(|_| self.name_value(t, d)).collect();
                let l = Expr {
                    ty: list(attrs(Null)),
                    node: Node::List(items),
                };
                tpl(ty, "builtins.listToAttrs #0", vec![l])
            }
            7 => {
                let et = self.data_type(1);
                let v = self.fresh();
                self.bind(&v, &et);
                let nv = self.name_value(t, d);
                self.unbind(1);
                let l = self.expr(&list(et), d);
                tpl(
                    ty,
                    format!("builtins.listToAttrs (builtins.map ({v}: #0) #1)"),
                    vec![nv, l],
                )
            }
            8 => {
                let et = self.data_type(1);
                let f = self.function_arg(&Str, &func(list(et.clone()), t.clone()), d);
                let l = self.expr(&list(attrs(et)), d);
                tpl(ty, "builtins.zipAttrsWith #0 #1", vec![f, l])
            }
            9 => {
                // let v.a = …; v.b = …; in v
                let v = self.fresh();
                let n = 1 + self.below(2);
                let keys = self.distinct_keys(n);
                let mut bindings = String::new();
                let mut values = Vec::new();
                for (i, k) in keys.iter().enumerate() {
                    bindings.push_str(&format!("{v}.{} = #{i}; ", key_src(k)));
                    values.push(self.expr(t, d));
                }
                tpl(ty, format!("let {bindings}in {v}"), values)
            }
            _ => {
                let Ty::List(et) = t else { unreachable!() };
                let f = self.function_arg(et, &Str, d);
                let l = self.expr(t, d);
                tpl(ty, "builtins.groupBy #0 #1", vec![f, l])
            }
        }
    }
}
