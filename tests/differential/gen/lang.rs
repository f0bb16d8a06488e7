//! The language's own constructs: lambdas with formals and their
//! application (missing and extra arguments included), curried and partial
//! application, scopes (`let` groups, `rec`, nested `with`, `inherit`,
//! shadowing), dynamic attributes, `or`, laziness, `tryEval` and string
//! contexts.

use std::rc::Rc;

use super::{key_src, quote, Gen};
use crate::Ty::{Bool, Int, Str};
use crate::{atom, attrs, func, list, tpl, Entry, Expr, Node, Ty};

/// Names for `toFile` and `derivation`: valid store names, and `.d`, which
/// Nix 2.8 accepts too.
const STORE_NAMES: &[&str] = &["a", "x.txt", "foo-1.0", "b_c", ".d", "a+b=c"];

/// Values of `system` for derivations.
const SYSTEMS: &[&str] = &["x86_64-linux", "aarch64-darwin", ""];

impl Gen<'_> {
    /// A construct of the language giving `ty`.
    pub(super) fn language(&mut self, ty: &Ty, d: u32) -> Expr {
        let t = ty.clone();
        let is_str = *ty == Str;
        let is_bool = *ty == Bool;
        let bool_attrs = *ty == attrs(Bool);
        match self.weighted(&[
            10,
            8,
            8,
            4,
            4,
            3,
            5,
            3,
            5,
            6,
            3,
            if is_str { 10 } else { 0 },
            if is_bool { 6 } else { 0 },
            if is_bool { 6 } else { 0 },
            if bool_attrs { 6 } else { 0 },
            2,
            3,
            2,
        ]) {
            0 => self.formals_call(ty, d),
            1 => self.curried(ty, d),
            2 => self.let_group(ty, d),
            3 => self.nested_paths(ty, d),
            4 => self.rec_select(ty, d),
            5 => self.let_inherit(ty, d),
            6 => self.nested_with(ty, d),
            7 => {
                // `or` on something that may not be a set at all
                let s = self.any(d);
                let default = self.expr(ty, d);
                let k = key_src(self.key());
                tpl(t, format!("#0.{k} or #1"), vec![s, default])
            }
            8 => self.dynamic_select(ty, d),
            9 => self.lazy(ty, d),
            10 => {
                // an `assert` whose condition may not be a Boolean
                let c = if self.chance(0.8) {
                    self.expr(&Bool, d)
                } else {
                    self.any(d)
                };
                let e = self.expr(ty, d);
                tpl(t, "assert #0; #1", vec![c, e])
            }
            11 => self.context_string(d),
            12 => self.tried(d),
            13 => {
                let s = self.expr(&Str, d);
                tpl(Bool, "builtins.hasContext #0", vec![s])
            }
            14 => {
                if self.chance(0.5) {
                    let e = self.throwing(&Bool, d);
                    tpl(t, "builtins.tryEval #0", vec![e])
                } else {
                    let f = self.pattern_lambda(&Int, d);
                    tpl(t, "builtins.functionArgs #0", vec![f])
                }
            }
            15 => {
                // the argument of a function called through a variable
                let at = self.data_type(1);
                let f = self.function(&at, ty, d);
                let x = self.expr(&at, d);
                let v = self.fresh();
                tpl(t, format!("let {v} = #0; in {v} #1"), vec![f, x])
            }
            16 => self.shadow(ty, d),
            _ => {
                // a function as an argument, applied inside
                let at = self.data_type(1);
                let f = self.function(&at, ty, d);
                let x = self.expr(&at, d);
                let h = self.fresh();
                tpl(t, format!("({h}: {h} #1) #0"), vec![f, x])
            }
        }
    }

    /// Something that fails when it is forced.
    fn bomb(&mut self) -> Expr {
        let msg = self.str_lit();
        // templates, so that they are put in parentheses
        let src = match self.weighted(&[6, 2, 2, 1, 1, 1, 1, 1]) {
            0 => return tpl(Str, "throw #0", vec![msg]),
            1 => return tpl(Str, "abort #0", vec![msg]),
            2 => "assert false; 1".to_string(),
            3 => "builtins.head [ ]".to_string(),
            4 => "1 + \"a\"".to_string(),
            5 => "{ }.x".to_string(),
            6 => {
                let v = self.fresh();
                format!("let {v} = {v}; in {v}")
            }
            _ => "(x: x) 1 2".to_string(),
        };
        tpl(Str, src, vec![])
    }

    /// A lambda over a set with formals, called: defaults that refer to
    /// other formals (or to the whole argument through `@`), arguments
    /// missing or extra now and then (errors on purpose, unless `...` or a
    /// default takes them).
    fn formals_call(&mut self, ty: &Ty, d: u32) -> Expr {
        let n = 1 + self.below(3);
        let homogeneous = self.chance(0.5);
        let shared = self.data_type(1);
        let mut formals: Vec<(Rc<str>, Ty)> = Vec::new();
        for _ in 0..n {
            let name = self.fresh();
            let fty = if homogeneous {
                shared.clone()
            } else {
                self.data_type(1)
            };
            self.bind(&name, &fty);
            formals.push((name, fty));
        }
        // `@` before or after the formals: the whole argument, as given
        // (without the defaults).
        let at_name: Rc<str> = format!("w{}", self.env.len()).into();
        let at = self.weighted(&[2, 1, 1]);
        let at_bound = at != 0 && homogeneous;
        if at_bound {
            self.bind(&at_name, &attrs(shared.clone()));
        }
        let mut kids = Vec::new();
        let mut pattern = Vec::new();
        let mut defaulted = Vec::new();
        for (name, fty) in &formals {
            if self.chance(0.5) && kids.len() < 6 {
                pattern.push(format!("{name} ? #{}", kids.len()));
                kids.push(self.expr(fty, d));
                defaulted.push(true);
            } else {
                pattern.push(name.to_string());
                defaulted.push(false);
            }
        }
        let ellipsis = self.chance(0.5);
        if ellipsis {
            pattern.push("...".into());
        }
        let body = self.expr(ty, d);
        self.unbind(n + usize::from(at_bound));
        let mut pattern = format!("{{ {} }}", pattern.join(", "));
        match at {
            1 => pattern = format!("{at_name}@{pattern}"),
            2 => pattern.push_str(&format!("@{at_name}")),
            _ => {}
        }
        // the argument set
        let mut entries = Vec::new();
        for ((name, fty), has_default) in formals.iter().zip(&defaulted) {
            if self.chance(if *has_default { 0.6 } else { 0.97 }) {
                entries.push(Entry::Bind(name.clone(), self.expr(fty, d)));
            }
        }
        if self.chance(if ellipsis { 0.4 } else { 0.05 }) {
            let k = key_src(self.key());
            let value = if self.chance(0.5) {
                self.bomb()
            } else {
                self.expr(&shared, d)
            };
            entries.push(Entry::Bind(k.into(), value));
        }
        let arg = if self.chance(0.03) {
            self.any(d)
        } else {
            Expr {
                ty: attrs(shared),
                node: Node::Attrs {
                    rec: false,
                    entries,
                },
            }
        };
        let b = kids.len();
        kids.push(body);
        kids.push(arg);
        tpl(ty.clone(), format!("({pattern}: #{b}) #{}", b + 1), kids)
    }

    /// A lambda with formals (for `functionArgs`), body of type `ty`.
    fn pattern_lambda(&mut self, ty: &Ty, d: u32) -> Expr {
        let n = self.below(3);
        let names = self.distinct_keys(n);
        let mut pattern: Vec<String> = names
            .iter()
            .filter(|k| super::is_ident(k))
            .map(|k| {
                if self.chance(0.5) {
                    format!("{k} ? 1")
                } else {
                    k.to_string()
                }
            })
            .collect();
        if self.chance(0.5) {
            pattern.push("...".into());
        }
        let body = self.expr(ty, d);
        let src = if pattern.is_empty() && self.chance(0.3) {
            "x: #0".to_string()
        } else {
            format!("{{ {} }}: #0", pattern.join(", "))
        };
        tpl(func(attrs(Int), ty.clone()), src, vec![body])
    }

    /// Curried and partial application: a function of two arguments given
    /// one, kept, and given the other later; functions passed to functions
    /// and composed.
    fn curried(&mut self, ty: &Ty, d: u32) -> Expr {
        let t = ty.clone();
        match self.weighted(&[4, 2, 2, 2, 2]) {
            0 => {
                let xt = self.data_type(1);
                let yt = self.data_type(1);
                let x = self.fresh();
                self.bind(&x, &xt);
                let y = self.fresh();
                self.bind(&y, &yt);
                let body = self.expr(ty, d);
                self.unbind(2);
                let a = self.expr(&xt, d);
                let b = self.expr(&yt, d);
                let f = self.fresh();
                let g: Rc<str> = format!("{f}g").into();
                tpl(
                    t,
                    format!("let {f} = {x}: {y}: #0; {g} = {f} #1; in {g} #2"),
                    vec![body, a, b],
                )
            }
            1 => {
                // twice
                let f = self.function(ty, ty, d);
                let x = self.expr(ty, d);
                let h = self.fresh();
                tpl(
                    t,
                    format!("(let {h} = f: x: f (f x); in {h}) #0 #1"),
                    vec![f, x],
                )
            }
            2 => {
                // composition
                let mt = self.data_type(1);
                let at = self.data_type(1);
                let f = self.function(&mt, ty, d);
                let g = self.function(&at, &mt, d);
                let x = self.expr(&at, d);
                let c = self.fresh();
                tpl(
                    t,
                    format!("(let {c} = f: g: x: f (g x); in {c} #0 #1) #2"),
                    vec![f, g, x],
                )
            }
            3 => {
                // a function chosen by a condition, or taken from a set or list
                let at = self.data_type(1);
                let f = self.function(&at, ty, d);
                let g = self.function(&at, ty, d);
                let x = self.expr(&at, d);
                match self.below(3) {
                    0 => {
                        let c = self.expr(&Bool, d);
                        tpl(t, "(if #3 then #0 else #1) #2", vec![f, g, x, c])
                    }
                    1 => tpl(t, "{ f = #0; g = #1; }.g #2", vec![f, g, x]),
                    _ => tpl(t, "builtins.elemAt [ #0 #1 ] 1 #2", vec![f, g, x]),
                }
            }
            _ => {
                // a function that returns a function
                let at = self.data_type(1);
                let bt = self.data_type(1);
                let x = self.fresh();
                self.bind(&x, &at);
                let inner = self.function(&bt, ty, d);
                self.unbind(1);
                let a = self.expr(&at, d);
                let b = self.expr(&bt, d);
                tpl(t, format!("({x}: #0) #1 #2"), vec![inner, a, b])
            }
        }
    }

    /// A function from `a` to `b` made from the language's constructs:
    /// a variable, a partial application (of a builtin or a lambda), a
    /// function returned by a function. `None` when none fits.
    pub(super) fn function_lang(&mut self, a: &Ty, b: &Ty, d: u32) -> Option<Expr> {
        let ty = func(a.clone(), b.clone());
        let vars = self.vars_of(&ty);
        if !vars.is_empty() && self.chance(0.5) {
            let v = self.pick(&vars).clone();
            return Some(atom(ty, v));
        }
        match self.weighted(&[4, 2, 6]) {
            0 => {
                // a lambda of two arguments given its first
                let xt = self.data_type(1);
                let x = self.fresh();
                self.bind(&x, &xt);
                let y = self.fresh();
                self.bind(&y, a);
                let body = self.expr(b, d);
                self.unbind(2);
                let first = self.expr(&xt, d);
                Some(tpl(ty, format!("({x}: {y}: #0) #1"), vec![body, first]))
            }
            1 => {
                // `seq` given its first argument: strict in it, once applied
                let first = if self.chance(0.2) {
                    self.bomb()
                } else {
                    self.any(d)
                };
                (a == b).then(|| tpl(ty, "builtins.seq #0", vec![first]))
            }
            _ => self.partial_builtin(a, b, d),
        }
    }

    /// A builtin given all its arguments but the last.
    fn partial_builtin(&mut self, a: &Ty, b: &Ty, d: u32) -> Option<Expr> {
        let ty = func(a.clone(), b.clone());
        Some(match (a, b) {
            (Ty::List(t), Ty::List(u)) if t == u && self.chance(0.5) => {
                let f = self.function(t, &Bool, d);
                tpl(ty, "builtins.filter #0", vec![f])
            }
            (Ty::List(t), Ty::List(u)) => {
                let f = self.function(t, u, d);
                tpl(ty, "builtins.map #0", vec![f])
            }
            (Ty::List(t), Bool) if !super::has_attrs(t) && self.chance(0.5) => {
                let x = self.expr(t, d);
                tpl(ty, "builtins.elem #0", vec![x])
            }
            (Ty::List(t), Str) if **t == Str && self.chance(0.5) => {
                let sep = self.expr(&Str, d);
                tpl(ty, "builtins.concatStringsSep #0", vec![sep])
            }
            (Ty::List(t), _) => {
                let f = self.function(b, &func((**t).clone(), b.clone()), d);
                let init = self.expr(b, d);
                tpl(ty, "builtins.foldl' #0 #1", vec![f, init])
            }
            (Ty::Attrs(t), _) if **t == *b => {
                let k = self.key_expr(d);
                tpl(ty, "builtins.getAttr #0", vec![k])
            }
            (Ty::Attrs(_), Bool) => {
                let k = self.key_expr(d);
                tpl(ty, "builtins.hasAttr #0", vec![k])
            }
            (Ty::Attrs(t), Ty::Attrs(u)) => {
                let f = self.function(&Str, &func((**t).clone(), (**u).clone()), d);
                tpl(ty, "builtins.mapAttrs #0", vec![f])
            }
            (Int, Bool) if self.chance(0.5) => {
                let x = self.expr(a, d);
                tpl(ty, "builtins.lessThan #0", vec![x])
            }
            (Int, _) => {
                let l = self.expr(&list(b.clone()), d);
                tpl(ty, "builtins.elemAt #0", vec![l])
            }
            (Str, Str) => {
                if self.chance(0.5) {
                    let start = self.small_int();
                    let len = self.small_int();
                    tpl(ty, "builtins.substring #0 #1", vec![start, len])
                } else {
                    let from = self.keys_list();
                    let to = self.keys_list();
                    tpl(ty, "builtins.replaceStrings #0 #1", vec![from, to])
                }
            }
            _ => return None,
        })
    }

    /// `let` with a group of bindings that refer to each other (each to
    /// those after it, so that the order of evaluation is not the order of
    /// writing), sometimes shadowing an outer name, sometimes inheriting one.
    fn let_group(&mut self, ty: &Ty, d: u32) -> Expr {
        let n = 2 + self.below(3);
        let base = self.env.len();
        let outer: Vec<Rc<str>> = self
            .env
            .iter()
            .filter(|v| !v.with)
            .map(|v| v.name.clone())
            .collect();
        let mut names: Vec<Rc<str>> = Vec::new();
        for i in 0..n {
            if !outer.is_empty() && self.chance(0.15) {
                let v = self.pick(&outer).clone();
                if !names.contains(&v) {
                    names.push(v);
                    continue;
                }
            }
            names.push(format!("v{}", base + i).into());
        }
        let types: Vec<Ty> = (0..n)
            .map(|_| {
                if self.chance(0.15) {
                    func(Int, Int)
                } else {
                    self.data_type(1)
                }
            })
            .collect();
        // values from the last to the first, each seeing those after it
        let mut values = Vec::new();
        for i in (0..n).rev() {
            values.push(self.expr(&types[i], d));
            self.bind(&names[i], &types[i]);
        }
        values.reverse();
        // an outer variable inherited into the group
        let inherited = self
            .vars_of_any()
            .into_iter()
            .find(|(v, _)| !names.contains(v) && self.resolve(v).is_some_and(|r| !r.with));
        let inherit = match inherited {
            Some((v, vt)) if self.chance(0.3) => {
                self.bind(&v, &vt);
                Some(v)
            }
            _ => None,
        };
        let body = self.expr(ty, d);
        self.unbind(n + usize::from(inherit.is_some()));
        let mut src = String::from("let ");
        if let Some(v) = &inherit {
            src.push_str(&format!("inherit {v}; "));
        }
        for (i, name) in names.iter().enumerate() {
            src.push_str(&format!("{name} = #{i}; "));
        }
        src.push_str(&format!("in #{n}"));
        values.push(body);
        tpl(ty.clone(), src, values)
    }

    /// A name in scope bound again, with another type: by `let` (to a
    /// literal, since `let` is recursive) or by a lambda.
    fn shadow(&mut self, ty: &Ty, d: u32) -> Expr {
        let outer: Vec<Rc<str>> = self.env.iter().map(|v| v.name.clone()).collect();
        let name = if outer.is_empty() {
            self.fresh()
        } else {
            self.pick(&outer).clone()
        };
        let lt = self.data_type(1);
        let by_let = self.chance(0.5);
        let value = if by_let {
            self.literal(&lt, 0)
        } else {
            self.expr(&lt, d)
        };
        self.bind(&name, &lt);
        let body = self.expr(ty, d);
        self.unbind(1);
        let src = if by_let {
            format!("let {name} = #0; in #1")
        } else {
            format!("({name}: #1) #0")
        };
        tpl(ty.clone(), src, vec![value, body])
    }

    /// Every variable in scope with the type it resolves to.
    fn vars_of_any(&self) -> Vec<(Rc<str>, Ty)> {
        let mut out: Vec<(Rc<str>, Ty)> = Vec::new();
        for var in self.env.iter().rev() {
            if out.iter().any(|(n, _)| *n == var.name) {
                continue;
            }
            if let Some(r) = self.resolve(&var.name) {
                out.push((var.name.clone(), r.ty.clone()));
            }
        }
        out
    }

    /// Nested attribute paths, in `let` and in sets, merged with a set
    /// written out, then selected from.
    fn nested_paths(&mut self, ty: &Ty, d: u32) -> Expr {
        let t = ty.clone();
        let v = self.fresh();
        let keys = self.distinct_keys(3);
        let (k, j, i) = (key_src(keys[0]), key_src(keys[1]), key_src(keys[2]));
        let a = self.expr(ty, d);
        let b = self.any(d);
        let c = self.any(d);
        match self.weighted(&[3, 3, 3, 1]) {
            0 => tpl(
                t,
                format!("let {v}.{k}.{j} = #0; {v}.{k}.{i} = #1; {v}.{j} = #2; in {v}.{k}.{j}"),
                vec![a, b, c],
            ),
            1 => tpl(
                t,
                format!("{{ {k} = {{ {i} = #1; }}; {k}.{j} = #0; {j}.{i} = #2; }}.{k}.{j}"),
                vec![a, b, c],
            ),
            2 => tpl(
                t,
                format!("{{ {k}.{j} = #0; {k} = {{ {i} = #1; }}; }}.{k}.{j}"),
                vec![a, b],
            ),
            _ => {
                // the same path twice: an error in both
                tpl(
                    t,
                    format!("{{ {k}.{j} = #0; {k}.{j} = #1; }}.{k}.{j}"),
                    vec![a, b],
                )
            }
        }
    }

    /// `rec` with bindings that refer to each other, a nested path and an
    /// `inherit`; one attribute selected.
    fn rec_select(&mut self, ty: &Ty, d: u32) -> Expr {
        let t = ty.clone();
        let v = self.fresh();
        let w: Rc<str> = format!("{v}r").into();
        let other = self.data_type(1);
        self.bind(&v, &other);
        self.bind(&w, &attrs(ty.clone()));
        let a = self.expr(&other, d);
        let b = self.expr(ty, d);
        let c = self.expr(ty, d);
        self.unbind(2);
        match self.below(3) {
            0 => tpl(
                t,
                format!("(rec {{ {w}.x = #2; {v} = #0; {v}x = #1; }}).{v}x"),
                vec![a, b, c],
            ),
            1 => tpl(
                t,
                format!("(rec {{ {v} = #0; {w} = {{ x = #2; }}; inherit ({w}) x; y = #1; }}).y"),
                vec![a, b, c],
            ),
            _ => tpl(
                t,
                format!("with rec {{ {v} = #0; {w}.x = #2; }}; #1"),
                vec![a, b, c],
            ),
        }
    }

    /// `let inherit (e) …;` and `inherit` in sets, with names that may be
    /// missing.
    fn let_inherit(&mut self, ty: &Ty, d: u32) -> Expr {
        let t = ty.clone();
        let s = self.expr(&attrs(ty.clone()), d);
        let k = self.key();
        if !super::is_ident(k) {
            return self.expr(ty, d);
        }
        let default = self.expr(ty, d);
        if self.chance(0.5) {
            tpl(t, format!("let inherit (#0) {k}; in {k}"), vec![s, default])
        } else {
            tpl(
                t,
                format!("{{ inherit ({{ {k} = #1; }} // #0) {k}; }}.{k}"),
                vec![s, default],
            )
        }
    }

    /// `with` inside `with`, and `let` shadowing what `with` provides.
    fn nested_with(&mut self, ty: &Ty, d: u32) -> Expr {
        let t = ty.clone();
        let at = self.data_type(1);
        let bt = self.data_type(1);
        let outer = self.expr(&attrs(at.clone()), d);
        for n in ["a", "b", "c"] {
            self.bind_with(n, &at);
        }
        let inner = self.expr(&attrs(bt.clone()), d);
        for n in ["a", "b"] {
            self.bind_with(n, &bt);
        }
        let result = if self.chance(0.4) {
            // a literal: `let` is recursive, so the value could only refer
            // to this `a`
            let lt = self.data_type(1);
            let value = self.literal(&lt, 0);
            self.bind(&Rc::from("a"), &lt);
            let body = self.expr(ty, d);
            self.unbind(1);
            tpl(
                t,
                "with #0; with #1; let a = #2; in #3",
                vec![outer, inner, value, body],
            )
        } else {
            let body = self.expr(ty, d);
            tpl(t, "with #0; with #1; #2", vec![outer, inner, body])
        };
        self.unbind(5);
        result
    }

    /// Selection with a dynamic name: `s.${k}`, `s.${k} or d`, `s."${k}"`,
    /// and sets with dynamic names (a null name leaves the attribute out).
    fn dynamic_select(&mut self, ty: &Ty, d: u32) -> Expr {
        let t = ty.clone();
        let s = self.expr(&attrs(ty.clone()), d);
        let k = self.key_expr(d);
        match self.weighted(&[3, 3, 2, 2, 2]) {
            0 => tpl(t, "#0.${#1}", vec![s, k]),
            1 => {
                let default = self.expr(ty, d);
                tpl(t, "#0.${#1} or #2", vec![s, k, default])
            }
            2 => tpl(t, "#0.\"${#1}\"", vec![s, k]),
            3 => {
                let v = self.expr(ty, d);
                let c = self.expr(&Bool, d);
                let j = self.key_expr(d);
                let w = self.expr(ty, d);
                tpl(
                    t,
                    "{ ${#0} = #1; ${if #2 then #3 else null} = #4; }.${#0}",
                    vec![k, v, c, j, w],
                )
            }
            _ => {
                let v = self.expr(ty, d);
                let b = self.expr(ty, d);
                let c = self.expr(&Bool, d);
                let name = if self.chance(0.5) { "a" } else { "b" };
                tpl(
                    t,
                    format!(
                        "let s = {{ a = #1; \"${{#0}}x\" = #2; }}; in if #3 && s ? ${{#0}} then s.${{#0}} else s.{name} or #2"
                    ),
                    vec![k, v, b, c],
                )
            }
        }
    }

    /// Laziness: what is never forced may fail.
    fn lazy(&mut self, ty: &Ty, d: u32) -> Expr {
        let t = ty.clone();
        let e = self.expr(ty, d);
        let bomb = self.bomb();
        let v = self.fresh();
        match self.below(11) {
            0 => tpl(t, format!("({v}: #0) #1"), vec![e, bomb]),
            1 => tpl(t, format!("({v}: w: w) #1 #0"), vec![e, bomb]),
            2 => tpl(t, "{ a = #1; b = #0; }.b", vec![e, bomb]),
            3 => tpl(t, format!("let {v} = #1; in #0"), vec![e, bomb]),
            4 => tpl(t, "builtins.head [ #0 #1 ]", vec![e, bomb]),
            5 => tpl(t, "builtins.seq { a = #1; } #0", vec![e, bomb]),
            6 => tpl(t, "({ lazyA ? #1, ... }: #0) { lazyA = 1; b = #1; }", vec![e, bomb]),
            7 => tpl(t, "(rec { a = #1; b = #0; }).b", vec![e, bomb]),
            8 => tpl(
                t,
                "builtins.seq (builtins.length [ #1 ]) (builtins.seq (builtins.attrNames { a = #1; }) #0)",
                vec![e, bomb],
            ),
            9 => tpl(t, "if builtins.isFunction (_: #1) then #0 else #1", vec![e, bomb]),
            _ => tpl(t, "builtins.elemAt (builtins.map (x: #0) [ #1 ]) 0", vec![e, bomb]),
        }
    }

    /// Whether `tryEval` succeeds, on things that throw, that escape it
    /// (`abort`, type errors, missing attributes) and that throw only deep
    /// inside (which `tryEval` does not force).
    fn tried(&mut self, d: u32) -> Expr {
        let bomb = self.bomb();
        let inner = match self.below(8) {
            0 => bomb,
            1 => tpl(Str, "[ #0 ]", vec![bomb]),
            2 => tpl(Str, "{ a = #0; }", vec![bomb]),
            3 => tpl(Str, "builtins.deepSeq [ #0 ] 1", vec![bomb]),
            4 => tpl(Str, "x: #0", vec![bomb]),
            5 => tpl(Str, "builtins.tryEval #0", vec![bomb]),
            6 => tpl(Str, "(builtins.tryEval #0).value", vec![bomb]),
            _ => {
                let et = self.data_type(1);
                self.throwing(&et, d)
            }
        };
        tpl(Bool, "(builtins.tryEval #0).success", vec![inner])
    }

    /// A string with a context: a file written by `toFile`, the output or
    /// derivation path of a derivation, or such a string passed through the
    /// context builtins.
    pub(super) fn context_string(&mut self, d: u32) -> Expr {
        match self.weighted(&[4, 6, 2, 2, 2, 2, 3]) {
            0 => {
                let name = atom(Str, quote(self.pick_str(STORE_NAMES)));
                let content = self.expr(&Str, d);
                tpl(Str, "builtins.toFile #0 #1", vec![name, content])
            }
            1 => {
                let drv = self.derivation(d);
                let field = *self.pick(&[
                    ".outPath",
                    ".drvPath",
                    ".out.outPath",
                    ".name",
                    ".system",
                    ".all",
                ]);
                if field == ".all" {
                    tpl(Str, "\"${builtins.head #0.all}\"", vec![drv])
                } else {
                    tpl(Str, format!("#0{field}"), vec![drv])
                }
            }
            2 => {
                let drv = self.derivation(d);
                if self.chance(0.5) {
                    tpl(Str, "\"${#0}\"", vec![drv])
                } else {
                    tpl(Str, "builtins.toString #0", vec![drv])
                }
            }
            3 => {
                let s = self.expr(&Str, d);
                let op = self.pick_str(&[
                    "unsafeDiscardStringContext",
                    "unsafeDiscardOutputDependency",
                ]);
                tpl(Str, format!("builtins.{op} #0"), vec![s])
            }
            4 => {
                let s = self.expr(&Str, d);
                let from = self.expr(&Str, d);
                tpl(
                    Str,
                    "builtins.appendContext #0 (builtins.getContext #1)",
                    vec![s, from],
                )
            }
            5 => {
                let out = atom(Str, quote(self.pick_str(&["out", "dev", "bin"])));
                tpl(Str, "builtins.placeholder #0", vec![out])
            }
            _ => {
                let s = self.expr(&Str, d);
                tpl(Str, "builtins.toJSON (builtins.getContext #0)", vec![s])
            }
        }
    }

    /// A derivation with a few attributes of the kinds a derivation turns
    /// into environment strings (and now and then one it cannot).
    fn derivation(&mut self, d: u32) -> Expr {
        let mut entries = vec![
            Entry::Bind("name".into(), atom(Str, quote(self.pick_str(STORE_NAMES)))),
            Entry::Bind("system".into(), atom(Str, quote(self.pick_str(SYSTEMS)))),
        ];
        let builder = if self.chance(0.8) {
            atom(Str, quote("/bin/sh"))
        } else {
            self.expr(&Str, d)
        };
        entries.push(Entry::Bind("builder".into(), builder));
        if self.chance(0.3) {
            entries.push(Entry::Bind(
                "outputs".into(),
                atom(list(Str), "[ \"out\" \"dev\" ]"),
            ));
        }
        for k in ["args", "x", "y"] {
            if self.chance(0.4) {
                let vt = match self.weighted(&[6, 2, 2, 1, 2, 1, 1]) {
                    0 => Str,
                    1 => Int,
                    2 => Bool,
                    3 => Ty::Null,
                    4 => list(Str),
                    5 => Ty::Float,
                    _ => self.data_type(1),
                };
                let v = self.expr(&vt, d);
                entries.push(Entry::Bind(k.into(), v));
            }
        }
        let set = Expr {
            ty: attrs(Str),
            node: Node::Attrs {
                rec: false,
                entries,
            },
        };
        tpl(attrs(Str), "derivation #0", vec![set])
    }
}
