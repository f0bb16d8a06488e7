//! The compiler: rnix syntax trees to [`Code`] objects.
//!
//! Names are resolved here, once: a variable becomes a local slot, a
//! captured value (upvalue) of an enclosing function or thunk, a global
//! constant, or, only where no lexical binding exists and a `with` is in
//! scope, a dynamic `with` lookup. Recursive bindings (`let`, `rec`,
//! formals with defaults) capture slots that are not filled yet; such
//! closures and thunks are made "deferred" and completed by `Finalise` once
//! every binding of the group is in place.

mod bindings;
mod lints;
mod scope;
mod strings;
#[cfg(test)]
mod tests;

pub use lints::{LintLevel, Lints};

use std::path::{Path, PathBuf};
use std::rc::Rc;

use rnix::ast::{self, HasEntry, InterpolPart};
use rowan::ast::AstNode;

use crate::bytecode::{
    AttrTemplate, Capture, Code, CodeKind, Eager, Formals, Op, WithLookup, MAX_CALL_BUILTIN_ARITY,
};
use crate::error::{Error, ErrorKind, Result};
use crate::globals::Globals;
use crate::source::Span;
use crate::symbol::Symbol;
use crate::value::{Attrs, NixString, PosTable, Value};
use scope::Scopes;

/// What the compiler needs to know about the surroundings of a file.
pub struct CompileEnv<'a> {
    /// The global names (`builtins`, `map`, `true`, …).
    pub globals: &'a Globals,
    /// Extra names visible to the file, from `scopedImport`.
    pub scope: Option<&'a Attrs>,
    /// The directory relative path literals are resolved against.
    pub base_dir: &'a Path,
    /// The home directory for `~/…` paths.
    pub home: Option<&'a str>,
    /// Which literal lints are on.
    pub lints: Lints,
}

/// A compiled file and the lint warnings compiling it produced.
pub struct Compiled {
    /// The code of the whole file.
    pub code: Rc<Code>,
    /// Warnings to show.
    pub warnings: Vec<Error>,
}

/// Compiles a parsed file or expression.
pub fn compile(
    root: &ast::Root,
    file: &Rc<crate::source::File>,
    env: &CompileEnv,
) -> Result<Compiled> {
    let mut compiler = Compiler {
        file: file.clone(),
        env,
        ctxs: Vec::new(),
        synthetic: 0,
        warnings: Vec::new(),
    };
    let span = compiler.span_of(root.syntax());
    compiler.push_ctx(CodeKind::Toplevel, None, span);
    let expr = root
        .expr()
        .ok_or_else(|| Error::at(ErrorKind::Syntax("empty expression".into()), span))?;
    compiler.compile(&expr)?;
    compiler.emit(Op::Return, span);
    Ok(Compiled {
        code: Rc::new(compiler.pop_ctx()),
        warnings: compiler.warnings,
    })
}

/// The code object being built.
struct Ctx {
    kind: CodeKind,
    name: Option<Symbol>,
    span: Span,
    ops: Vec<Op>,
    spans: Vec<Span>,
    constants: Vec<Value>,
    children: Vec<Rc<Code>>,
    attr_templates: Vec<AttrTemplate>,
    with_lookups: Vec<WithLookup>,
    scopes: Scopes,
}

/// How a name resolved.
enum Resolved {
    Local { slot: u32, initialised: bool },
    Upvalue(u32),
    Constant(Value),
    With(Vec<Capture>),
    Undefined,
}

struct Compiler<'a, 'e> {
    file: Rc<crate::source::File>,
    env: &'e CompileEnv<'a>,
    ctxs: Vec<Ctx>,
    synthetic: u32,
    warnings: Vec<Error>,
}

/// An attribute name as written: known now, or computed at run time.
enum AttrName {
    Static(Symbol),
    Dynamic(ast::Expr),
}

impl<'a, 'e> Compiler<'a, 'e> {
    // ---- code object bookkeeping ---------------------------------------

    fn push_ctx(&mut self, kind: CodeKind, name: Option<Symbol>, span: Span) {
        self.ctxs.push(Ctx {
            kind,
            name,
            span,
            ops: Vec::new(),
            spans: Vec::new(),
            constants: Vec::new(),
            children: Vec::new(),
            attr_templates: Vec::new(),
            with_lookups: Vec::new(),
            scopes: Scopes::default(),
        });
    }

    fn pop_ctx(&mut self) -> Code {
        let ctx = self.ctxs.pop().expect("a code object is being compiled");
        let mut code = Code {
            name: ctx.name,
            kind: ctx.kind,
            ops: ctx.ops,
            spans: ctx.spans,
            constants: ctx.constants,
            children: ctx.children,
            captures: ctx.scopes.captures,
            locals: ctx.scopes.max_slots,
            attr_templates: ctx.attr_templates,
            with_lookups: ctx.with_lookups,
            span: ctx.span,
            eager: None,
            fused: None,
            source: self.file.clone(),
        };
        code.take_single_reads();
        code
    }

    fn ctx(&mut self) -> &mut Ctx {
        self.ctxs
            .last_mut()
            .expect("a code object is being compiled")
    }

    fn scopes(&mut self) -> &mut Scopes {
        &mut self.ctx().scopes
    }

    fn emit(&mut self, op: Op, span: Span) -> usize {
        let ctx = self.ctx();
        ctx.ops.push(op);
        ctx.spans.push(span);
        ctx.ops.len() - 1
    }

    fn here(&mut self) -> u32 {
        self.ctx().ops.len() as u32
    }

    /// Points the jump at `at` to the current position.
    fn patch_jump(&mut self, at: usize) {
        let target = self.here();
        match &mut self.ctx().ops[at] {
            Op::Jump(t) | Op::JumpIfFalse(t) | Op::SelectOrJump(_, t) => *t = target,
            Op::SelectDynamicOrJump(t) | Op::FormalOrJump(_, t) => *t = target,
            other => unreachable!("not a jump: {other:?}"),
        }
    }

    fn constant(&mut self, value: Value, span: Span) {
        let i = self.add_constant(value);
        self.emit(Op::Constant(i), span);
    }

    fn add_constant(&mut self, value: Value) -> u32 {
        let ctx = self.ctx();
        ctx.constants.push(value);
        (ctx.constants.len() - 1) as u32
    }

    fn span_of(&self, node: &rnix::SyntaxNode) -> Span {
        self.span_at(node.text_range())
    }

    /// The span of a range of the file's text, for what is read from green
    /// nodes, which know their lengths but not where they are.
    fn span_at(&self, range: rowan::TextRange) -> Span {
        self.file.span.subspan(
            u32::from(range.start()) as u64,
            u32::from(range.end()) as u64,
        )
    }

    fn error(&self, kind: ErrorKind, node: &rnix::SyntaxNode) -> Error {
        Error::at(kind, self.span_of(node))
    }

    /// A name no source text can spell, for hidden locals.
    fn synthetic_name(&mut self, what: &str) -> Symbol {
        self.synthetic += 1;
        Symbol::intern(format!("\0{what}#{}", self.synthetic))
    }

    // ---- name resolution -------------------------------------------------

    fn resolve(&mut self, name: Symbol) -> Resolved {
        let innermost = self.ctxs.len() - 1;
        for k in (0..=innermost).rev() {
            if let Some(slot) = self.ctxs[k].scopes.find(name) {
                if k == innermost {
                    let initialised = self.ctxs[k].scopes.is_initialised(slot);
                    return Resolved::Local { slot, initialised };
                }
                return Resolved::Upvalue(self.capture_from(k, slot));
            }
        }
        if let Some(v) = self.env.scope.and_then(|s| s.get(name)) {
            return Resolved::Constant(v.clone());
        }
        if let Some(v) = self.env.globals.get(name) {
            return Resolved::Constant(v.clone());
        }
        let mut namespaces = Vec::new();
        for k in (0..=innermost).rev() {
            let slots: Vec<u32> = self.ctxs[k].scopes.withs().collect();
            for slot in slots {
                if k == innermost {
                    namespaces.push(Capture::Local(slot));
                } else {
                    namespaces.push(Capture::Upvalue(self.capture_from(k, slot)));
                }
            }
        }
        if namespaces.is_empty() {
            Resolved::Undefined
        } else {
            Resolved::With(namespaces)
        }
    }

    /// Captures slot `slot` of code object `origin` into the innermost one,
    /// through every code object in between.
    fn capture_from(&mut self, origin: usize, slot: u32) -> u32 {
        let mut source = Capture::Local(slot);
        let mut index = 0;
        for k in origin + 1..self.ctxs.len() {
            index = self.ctxs[k].scopes.capture(source);
            source = Capture::Upvalue(index);
        }
        index
    }

    fn compile_variable(&mut self, name: Symbol, span: Span) -> Result<()> {
        match self.resolve(name) {
            Resolved::Local { slot, .. } => {
                self.emit(Op::GetLocal(slot), span);
            }
            Resolved::Upvalue(i) => {
                self.emit(Op::GetUpvalue(i), span);
            }
            Resolved::Constant(v) => self.constant(v, span),
            Resolved::With(namespaces) => {
                let ctx = self.ctx();
                ctx.with_lookups.push(WithLookup {
                    name,
                    namespaces,
                    thunk: None,
                });
                let i = (ctx.with_lookups.len() - 1) as u32;
                self.emit(Op::WithLookup(i), span);
            }
            Resolved::Undefined => {
                return Err(Error::at(
                    ErrorKind::UndefinedVariable(name.display_name()),
                    span,
                ))
            }
        }
        Ok(())
    }

    // ---- expressions -------------------------------------------------------

    /// Compiles `expr`, leaving exactly one value (maybe a thunk) on the stack.
    fn compile(&mut self, expr: &ast::Expr) -> Result<()> {
        spindle_fiber::ensure_sufficient_stack(|| self.compile_inner(expr))
    }

    fn compile_inner(&mut self, expr: &ast::Expr) -> Result<()> {
        let span = self.span_of(expr.syntax());
        match expr {
            ast::Expr::Literal(lit) => self.compile_literal(lit, span)?,
            ast::Expr::Str(s) => self.compile_string(s, span)?,
            ast::Expr::PathAbs(_)
            | ast::Expr::PathRel(_)
            | ast::Expr::PathHome(_)
            | ast::Expr::PathSearch(_) => self.compile_path(expr, span)?,
            ast::Expr::Ident(ident) => {
                let name = ident_name(ident);
                self.compile_variable(name, span)?;
            }
            ast::Expr::Paren(p) => self.compile(&child(p.expr(), p.syntax())?)?,
            ast::Expr::Root(r) => self.compile(&child(r.expr(), r.syntax())?)?,
            ast::Expr::Apply(app) => self.compile_apply(app)?,
            ast::Expr::Lambda(lambda) => self.compile_lambda(lambda, None, None)?,
            ast::Expr::List(list) => {
                let mut n = 0;
                for item in list.items() {
                    self.compile_thunked(&item, None)?;
                    n += 1;
                }
                self.emit(Op::List(n), span);
            }
            ast::Expr::AttrSet(set) => self.compile_attr_set(set)?,
            ast::Expr::LetIn(let_in) => self.compile_let_in(let_in)?,
            ast::Expr::LegacyLet(legacy) => self.compile_legacy_let(legacy)?,
            ast::Expr::With(with) => self.compile_with(with)?,
            ast::Expr::IfElse(if_else) => {
                self.compile(&child(if_else.condition(), if_else.syntax())?)?;
                let to_else = self.emit(Op::JumpIfFalse(0), span);
                self.compile(&child(if_else.body(), if_else.syntax())?)?;
                let to_end = self.emit(Op::Jump(0), span);
                self.patch_jump(to_else);
                self.compile(&child(if_else.else_body(), if_else.syntax())?)?;
                self.patch_jump(to_end);
            }
            ast::Expr::Assert(assert) => {
                let cond = child(assert.condition(), assert.syntax())?;
                self.compile(&cond)?;
                let text = cond.syntax().text().to_string();
                let ctx = self.ctx();
                ctx.constants.push(Value::string(text));
                let i = (ctx.constants.len() - 1) as u32;
                self.emit(Op::Assert(i), span);
                self.compile(&child(assert.body(), assert.syntax())?)?;
            }
            ast::Expr::Select(select) => self.compile_select(select, span)?,
            ast::Expr::HasAttr(has) => self.compile_has_attr(has, span)?,
            ast::Expr::UnaryOp(op) => {
                self.compile(&child(op.expr(), op.syntax())?)?;
                match op.operator() {
                    Some(ast::UnaryOpKind::Invert) => self.emit(Op::Not, span),
                    Some(ast::UnaryOpKind::Negate) => self.emit(Op::Negate, span),
                    None => return Err(self.error(syntax("missing operator"), op.syntax())),
                };
            }
            ast::Expr::BinOp(op) => self.compile_bin_op(op, span)?,
            ast::Expr::CurPos(_) => {
                let loc = self.file.find_line_col(span.low());
                let attrs = Attrs::from_unsorted(vec![
                    (Symbol::intern("file"), Value::string(self.file.name())),
                    (Symbol::intern("line"), Value::Int(loc.line as i64 + 1)),
                    (Symbol::intern("column"), Value::Int(loc.column as i64 + 1)),
                ]);
                self.constant(Value::Attrs(attrs), span);
            }
            ast::Expr::Error(e) => return Err(self.error(syntax("invalid expression"), e.syntax())),
        }
        Ok(())
    }

    fn compile_literal(&mut self, lit: &ast::Literal, span: Span) -> Result<()> {
        let token =
            first_token(lit.syntax()).ok_or_else(|| Error::at(syntax("empty literal"), span))?;
        self.compile_literal_token(token.kind(), token.text(), span)
    }

    /// A literal (number or URI) from its one token, which need not come
    /// from a cursor: a set's values are read without one.
    pub(super) fn compile_literal_token(
        &mut self,
        kind: rowan::SyntaxKind,
        text: &str,
        span: Span,
    ) -> Result<()> {
        use rnix::SyntaxKind::{TOKEN_FLOAT, TOKEN_INTEGER};
        let value = match kind.0 {
            k if k == TOKEN_INTEGER as u16 => match text.parse() {
                Ok(v) => Value::Int(v),
                Err(_) => {
                    return Err(Error::at(
                        ErrorKind::Other(format!("invalid integer '{text}'")),
                        span,
                    ))
                }
            },
            k if k == TOKEN_FLOAT as u16 => match text.parse() {
                Ok(v) if float_in_range(text, v) => Value::Float(v),
                _ => {
                    return Err(Error::at(
                        ErrorKind::Other(format!("invalid float '{text}'")),
                        span,
                    ))
                }
            },
            // The only other literal is a URI.
            _ => {
                self.lint(lints::check_url(&self.env.lints, text, span))?;
                Value::string(text)
            }
        };
        // Generated sets and lists repeat a few numbers (`a0 = 1; a1 = 1;
        // …`): one equal to the last constant uses it again, where a million
        // copies would take 16 MB of fresh memory.
        let ctx = self.ctx();
        let again = match (ctx.constants.last(), &value) {
            (Some(Value::Int(a)), Value::Int(b)) => a == b,
            (Some(Value::Float(a)), Value::Float(b)) => a.to_bits() == b.to_bits(),
            _ => false,
        };
        if again {
            let i = (ctx.constants.len() - 1) as u32;
            self.emit(Op::Constant(i), span);
        } else {
            self.constant(value, span);
        }
        Ok(())
    }

    fn compile_string(&mut self, s: &ast::Str, span: Span) -> Result<()> {
        let parts = strings::literal_parts(s);
        if parts
            .iter()
            .any(|p| matches!(p, InterpolPart::Literal(text) if text.contains('\0')))
        {
            return Err(Error::at(
                ErrorKind::Syntax("a string literal contains a NUL byte".into()),
                span,
            ));
        }
        if let [InterpolPart::Literal(text)] = parts.as_slice() {
            self.constant(Value::string(text.as_str()), span);
            return Ok(());
        }
        if parts.is_empty() {
            self.constant(Value::string(""), span);
            return Ok(());
        }
        let interpolated = parts
            .iter()
            .filter_map(|part| match part {
                InterpolPart::Interpolation(i) => Some(child(i.expr(), i.syntax())),
                InterpolPart::Literal(_) => None,
            })
            .collect::<Result<Vec<_>>>()?;
        let mut next = interpolated.iter();
        for part in &parts {
            match part {
                InterpolPart::Literal(text) => self.constant(Value::string(text.as_str()), span),
                InterpolPart::Interpolation(_) => {
                    let Some(expr) = next.next() else { break };
                    self.compile(expr)?;
                    if let Some(following) = next.clone().next() {
                        self.force_before(expr, following);
                    }
                }
            }
        }
        self.emit(Op::Interpolate(parts.len() as u32), span);
        Ok(())
    }

    /// Applies a lint's finding: a warning is kept, a fatal one fails.
    fn lint(&mut self, finding: Option<lints::Finding>) -> Result<()> {
        match finding {
            None => Ok(()),
            Some(lints::Finding::Warning(w)) => {
                self.warnings.push(w);
                Ok(())
            }
            Some(lints::Finding::Fatal(e)) => Err(e),
        }
    }

    fn compile_path(&mut self, expr: &ast::Expr, span: Span) -> Result<()> {
        let text = expr.syntax().text().to_string();
        self.lint(lints::check_path(&self.env.lints, &text, span))?;
        let path = ast::Path::cast(expr.syntax().clone())
            .ok_or_else(|| self.error(syntax("invalid path"), expr.syntax()))?;
        if let ast::Path::PathSearch(search) = &path {
            // `<name>` means `__findFile __nixPath "name"`, so that both can be overridden.
            let text = search.syntax().text().to_string();
            let name = text
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string();
            self.compile_variable(Symbol::intern("__findFile"), span)?;
            self.compile_variable(Symbol::intern("__nixPath"), span)?;
            self.emit(Op::Call, span);
            self.constant(Value::string(name), span);
            self.emit(Op::Call, span);
            return Ok(());
        }
        let parts = path.parts();
        if let [InterpolPart::Literal(content)] = parts.as_slice() {
            // A path without interpolation is a constant, as in Nix.
            let text = crate::path::canonicalise(&self.path_prefix(content.text(), expr)?);
            self.constant(Value::Path(NixString::new(text)), span);
            return Ok(());
        }
        let mut n = 0;
        for (i, part) in parts.into_iter().enumerate() {
            match part {
                InterpolPart::Literal(content) => {
                    let text = content.text();
                    let text = if i == 0 {
                        self.path_prefix(text, expr)?
                    } else {
                        text.as_bytes().to_vec()
                    };
                    self.constant(Value::string(text), span);
                }
                InterpolPart::Interpolation(interp) => {
                    self.compile(&child(interp.expr(), interp.syntax())?)?;
                }
            }
            n += 1;
        }
        self.emit(Op::InterpolatePath(n), span);
        Ok(())
    }

    /// Makes the first literal part of a path absolute: bytes, since the
    /// directory of the source need not be UTF-8.
    fn path_prefix(&self, text: &str, expr: &ast::Expr) -> Result<Vec<u8>> {
        if let Some(rest) = text.strip_prefix('~') {
            let home = self.env.home.ok_or_else(|| {
                self.error(
                    ErrorKind::Other("cannot resolve '~': HOME is not set".into()),
                    expr.syntax(),
                )
            })?;
            return Ok(format!("{home}{rest}").into_bytes());
        }
        if text.starts_with('/') {
            return Ok(text.as_bytes().to_vec());
        }
        let mut joined: PathBuf = self.env.base_dir.to_path_buf();
        joined.push(text);
        let mut s = crate::path::path_bytes(&joined).to_vec();
        if text.ends_with('/') && !s.ends_with(b"/") {
            s.push(b'/');
        }
        Ok(s)
    }

    fn compile_bin_op(&mut self, op: &ast::BinOp, span: Span) -> Result<()> {
        use ast::BinOpKind as K;
        let kind = op
            .operator()
            .ok_or_else(|| self.error(syntax("missing operator"), op.syntax()))?;
        let lhs = child(op.lhs(), op.syntax())?;
        let rhs = child(op.rhs(), op.syntax())?;
        match kind {
            K::And => {
                self.compile(&lhs)?;
                let to_false = self.emit(Op::JumpIfFalse(0), span);
                self.compile(&rhs)?;
                self.emit(Op::AssertBool, span);
                let to_end = self.emit(Op::Jump(0), span);
                self.patch_jump(to_false);
                self.constant(Value::Bool(false), span);
                self.patch_jump(to_end);
            }
            K::Or => {
                self.compile(&lhs)?;
                let to_rhs = self.emit(Op::JumpIfFalse(0), span);
                self.constant(Value::Bool(true), span);
                let to_end = self.emit(Op::Jump(0), span);
                self.patch_jump(to_rhs);
                self.compile(&rhs)?;
                self.emit(Op::AssertBool, span);
                self.patch_jump(to_end);
            }
            K::Implication => {
                self.compile(&lhs)?;
                let to_true = self.emit(Op::JumpIfFalse(0), span);
                self.compile(&rhs)?;
                self.emit(Op::AssertBool, span);
                let to_end = self.emit(Op::Jump(0), span);
                self.patch_jump(to_true);
                self.constant(Value::Bool(true), span);
                self.patch_jump(to_end);
            }
            K::PipeRight | K::PipeLeft => {
                return Err(self.error(
                    ErrorKind::Other(
                        "experimental Nix feature 'pipe-operators' is disabled".into(),
                    ),
                    op.syntax(),
                ))
            }
            // Nix reads `a > b` as `b < a` and `a <= b` as `!(b < a)`: `b`
            // is evaluated first, which shows when both fail. (They end a
            // strict chain: `is_strict_bin_op`.)
            K::More | K::LessOrEq => {
                self.compile(&rhs)?;
                self.force_before(&rhs, &lhs);
                self.compile(&lhs)?;
                let op = if kind == K::More {
                    Op::Less
                } else {
                    Op::GreaterEq
                };
                self.emit(op, span);
            }
            _ => self.compile_strict_chain(op)?,
        }
        Ok(())
    }

    /// Compiles a strict binary operator: both operands, then its
    /// instruction. A long chain of them, flat in the source (`1 + 1 + …`,
    /// `[ ] ++ [ 1 ] ++ …`), nests as deep as it is long in the syntax tree:
    /// to the left for left-associative operators, to the right for `++`
    /// and `//`. Both spines are walked with loops, so that recursion only
    /// goes where the source itself nests, and the code is the same as a
    /// recursive walk's: every operand in source order, each instruction
    /// after its right operand.
    fn compile_strict_chain(&mut self, op: &ast::BinOp) -> Result<()> {
        let mut spine = vec![op.clone()];
        let mut last = child(op.rhs(), op.syntax())?;
        while let ast::Expr::BinOp(next) = &last {
            if !next.operator().is_some_and(is_strict_bin_op) {
                break;
            }
            let rhs = child(next.rhs(), next.syntax())?;
            spine.push(next.clone());
            last = rhs;
        }
        for node in &spine {
            let lhs = child(node.lhs(), node.syntax())?;
            self.compile_strict_lhs(&lhs)?;
            self.force_before(&lhs, &child(node.rhs(), node.syntax())?);
        }
        self.compile(&last)?;
        for node in spine.iter().rev() {
            self.emit_strict_bin_op(node)?;
        }
        Ok(())
    }

    /// The instruction of the strict operator `op`, at its span.
    fn emit_strict_bin_op(&mut self, op: &ast::BinOp) -> Result<()> {
        let kind = op
            .operator()
            .ok_or_else(|| self.error(syntax("missing operator"), op.syntax()))?;
        let span = self.span_of(op.syntax());
        self.emit(strict_bin_op(kind), span);
        Ok(())
    }

    /// Compiles the left operand of a strict binary operator, walking its
    /// left spine of strict operators with a loop (see
    /// [`Compiler::compile_strict_chain`]).
    fn compile_strict_lhs(&mut self, lhs: &ast::Expr) -> Result<()> {
        let mut spine = Vec::new();
        let mut innermost = lhs.clone();
        while let ast::Expr::BinOp(op) = &innermost {
            if !op.operator().is_some_and(is_strict_bin_op) {
                break;
            }
            let next = child(op.lhs(), op.syntax())?;
            spine.push(op.clone());
            innermost = next;
        }
        if spine.is_empty() {
            return self.compile(lhs);
        }
        self.compile(&innermost)?;
        for (i, op) in spine.iter().rev().enumerate() {
            let rhs = child(op.rhs(), op.syntax())?;
            if i == 0 {
                self.force_before(&innermost, &rhs);
            }
            self.compile(&rhs)?;
            self.emit_strict_bin_op(op)?;
        }
        Ok(())
    }

    /// Forces the operand just compiled, `done`, when evaluating `next`
    /// could be seen to happen first. Nix evaluates an operator's operands
    /// (and an interpolation's parts) one after the other, each to a value,
    /// so `x + abort "y"` fails with `x`'s error when `x` fails, and only
    /// `throw` can be caught; the instruction would force `x` only after
    /// `next` ran. Nothing is emitted where the order cannot show: `done`
    /// is a value already, or `next` evaluates nothing.
    fn force_before(&mut self, done: &ast::Expr, next: &ast::Expr) {
        if may_leave_thunk(done) && self.may_evaluate(next) {
            let span = self.span_of(done.syntax());
            self.emit(Op::Force, span);
        }
    }

    /// Whether evaluating `expr` can do anything observable (fail, trace,
    /// not end): all but literals, lambdas and variables bound lexically
    /// (a `with` variable forces its namespace).
    fn may_evaluate(&self, expr: &ast::Expr) -> bool {
        match expr {
            ast::Expr::Literal(_) | ast::Expr::Lambda(_) => false,
            ast::Expr::PathAbs(_) | ast::Expr::PathRel(_) | ast::Expr::PathHome(_) => {
                !is_plain_path(expr)
            }
            ast::Expr::Str(s) => !is_plain_string(s),
            ast::Expr::Paren(p) => p.expr().is_none_or(|e| self.may_evaluate(&e)),
            ast::Expr::Ident(ident) => !self.is_lexical(ident_name(ident)),
            // Elements become thunks, but for `with` variables, which may be
            // looked up at once (`Op::LazyWithLookup`).
            ast::Expr::List(list) => list.items().any(|item| self.may_evaluate_lazily(&item)),
            // So do a set's values; dynamic names are evaluated.
            ast::Expr::AttrSet(set) => set.entries().any(|entry| match entry {
                ast::Entry::AttrpathValue(binding) => {
                    let dynamic = |path: ast::Attrpath| {
                        path.attrs().any(|a| !matches!(a, ast::Attr::Ident(_)))
                    };
                    binding.attrpath().is_none_or(dynamic)
                        || binding.value().is_none_or(|v| self.may_evaluate_lazily(&v))
                }
                ast::Entry::Inherit(inherit) => {
                    inherit.from().is_none()
                        && inherit.attrs().any(|attr| match attr {
                            ast::Attr::Ident(ident) => !self.is_lexical(ident_name(&ident)),
                            _ => true,
                        })
                }
            }),
            _ => true,
        }
    }

    /// Whether putting `expr` in a lazy position can do anything
    /// observable: only a `with` variable can, when it is looked up at once.
    fn may_evaluate_lazily(&self, expr: &ast::Expr) -> bool {
        match expr {
            ast::Expr::Ident(ident) => !self.is_lexical(ident_name(ident)),
            ast::Expr::Paren(p) => p.expr().is_none_or(|e| self.may_evaluate_lazily(&e)),
            _ => false,
        }
    }

    /// Whether `name` is bound by a `let`, a lambda, a `rec` set, the
    /// `scopedImport` scope or the globals, rather than by a `with`.
    fn is_lexical(&self, name: Symbol) -> bool {
        self.ctxs.iter().any(|ctx| ctx.scopes.find(name).is_some())
            || self.env.scope.is_some_and(|s| s.get(name).is_some())
            || self.env.globals.get(name).is_some()
    }

    // ---- attribute access --------------------------------------------------

    fn attr_name(&mut self, attr: &ast::Attr) -> Result<AttrName> {
        match attr {
            ast::Attr::Ident(ident) => Ok(AttrName::Static(ident_name(ident))),
            ast::Attr::Str(s) => {
                let parts = strings::literal_parts(s);
                match parts.as_slice() {
                    [] => Ok(AttrName::Static(Symbol::intern(""))),
                    [InterpolPart::Literal(text)] => Ok(AttrName::Static(Symbol::intern(text))),
                    _ => Ok(AttrName::Dynamic(ast::Expr::Str(s.clone()))),
                }
            }
            ast::Attr::Dynamic(d) => {
                let inner = child(d.expr(), d.syntax())?;
                // `${"literal"}` (`${""}` included) is as static as a plain name.
                if let ast::Expr::Str(s) = &inner {
                    match strings::literal_parts(s).as_slice() {
                        [] => return Ok(AttrName::Static(Symbol::intern(""))),
                        [InterpolPart::Literal(text)] => {
                            return Ok(AttrName::Static(Symbol::intern(text)))
                        }
                        _ => {}
                    }
                }
                Ok(AttrName::Dynamic(inner))
            }
        }
    }

    /// `f a1 … an`. When `f` is a builtin known statically and the
    /// application gives it all its arguments, the builtin is called
    /// directly with the first `arity` of them (`Op::CallBuiltin`) instead
    /// of being built up one partial application at a time.
    fn compile_apply(&mut self, app: &ast::Apply) -> Result<()> {
        let mut spine = vec![app.clone()];
        let mut head = child(app.lambda(), app.syntax())?;
        while let ast::Expr::Apply(inner) = &head {
            spine.push(inner.clone());
            head = child(inner.lambda(), inner.syntax())?;
        }
        spine.reverse();
        let builtin = self
            .static_builtin(&head)
            .filter(|(_, arity)| *arity <= spine.len() && *arity <= MAX_CALL_BUILTIN_ARITY);
        if builtin.is_none() {
            self.compile(&head)?;
        }
        // Arguments past a builtin's are applied two at a time where they
        // can be: `Op::Call2` lets a curried lambda take both at once.
        let mut held = false;
        for (i, app) in spine.iter().enumerate() {
            self.compile_thunked(&child(app.argument(), app.syntax())?, None)?;
            let span = self.span_of(app.syntax());
            match &builtin {
                Some((value, arity)) if i + 1 == *arity => {
                    let c = self.add_constant(value.clone());
                    self.emit(Op::CallBuiltin(c), span);
                    continue;
                }
                Some((_, arity)) if i + 1 < *arity => continue,
                _ => {}
            }
            if held {
                self.emit(Op::Call2, span);
            } else if i + 1 == spine.len() {
                self.emit(Op::Call, span);
            }
            held = !held && i + 1 < spine.len();
        }
        Ok(())
    }

    /// The builtin (and its arity) a function expression denotes statically:
    /// a global name (`map`) or an attribute of the global `builtins`
    /// (`builtins.elemAt`) that no binding in scope shadows.
    fn static_builtin(&self, expr: &ast::Expr) -> Option<(Value, usize)> {
        match self.static_value(expr)? {
            Value::Builtin(b) => Some((Value::Builtin(b), b.arity)),
            _ => None,
        }
    }

    /// The value an expression is known to have when it is compiled: a
    /// global (`builtins`), a local known to hold one, or a static
    /// attribute of such a set (`builtins.map`).
    pub(super) fn static_value(&self, expr: &ast::Expr) -> Option<Value> {
        match expr {
            ast::Expr::Ident(ident) => self.static_variable(ident_name(ident)),
            ast::Expr::Paren(p) => self.static_value(&p.expr()?),
            ast::Expr::Select(select) if select.default_expr().is_none() => {
                let Value::Attrs(set) = self.static_value(&select.expr()?)? else {
                    return None;
                };
                let mut path = select.attrpath()?.attrs();
                let (Some(ast::Attr::Ident(name)), None) = (path.next(), path.next()) else {
                    return None;
                };
                set.get(ident_name(&name)).cloned()
            }
            _ => None,
        }
    }

    /// The value of a variable when it is known at compile time: a local
    /// known to hold one, or a global no binding in scope shadows.
    fn static_variable(&self, name: Symbol) -> Option<Value> {
        if let Some(local) = self
            .ctxs
            .iter()
            .rev()
            .find_map(|c| c.scopes.find_local(name))
        {
            return local.known.clone();
        }
        match self.env.scope.and_then(|s| s.get(name)) {
            Some(v) => Some(v.clone()),
            None => self.env.globals.get(name).cloned(),
        }
    }

    fn compile_select(&mut self, select: &ast::Select, span: Span) -> Result<()> {
        self.compile(&child(select.expr(), select.syntax())?)?;
        let path = child(select.attrpath(), select.syntax())?;
        let default = select.default_expr();
        let mut to_default = Vec::new();
        for attr in path.attrs() {
            let attr_span = self.span_of(attr.syntax());
            match (self.attr_name(&attr)?, default.is_some()) {
                (AttrName::Static(name), false) => {
                    self.emit(Op::Select(name), attr_span);
                }
                (AttrName::Dynamic(e), false) => {
                    self.compile(&e)?;
                    self.emit(Op::SelectDynamic, attr_span);
                }
                (AttrName::Static(name), true) => {
                    to_default.push(self.emit(Op::SelectOrJump(name, 0), attr_span));
                }
                (AttrName::Dynamic(e), true) => {
                    self.compile(&e)?;
                    to_default.push(self.emit(Op::SelectDynamicOrJump(0), attr_span));
                }
            }
        }
        if let Some(default) = default {
            let to_end = self.emit(Op::Jump(0), span);
            for at in to_default {
                self.patch_jump(at);
            }
            self.compile(&default)?;
            self.patch_jump(to_end);
        }
        Ok(())
    }

    fn compile_has_attr(&mut self, has: &ast::HasAttr, span: Span) -> Result<()> {
        self.compile(&child(has.expr(), has.syntax())?)?;
        let path = child(has.attrpath(), has.syntax())?;
        let attrs: Vec<ast::Attr> = path.attrs().collect();
        let mut to_false = Vec::new();
        for (i, attr) in attrs.iter().enumerate() {
            let last = i + 1 == attrs.len();
            let name = self.attr_name(attr)?;
            match (name, last) {
                (AttrName::Static(name), true) => {
                    self.emit(Op::HasAttr(name), span);
                }
                (AttrName::Dynamic(e), true) => {
                    self.compile(&e)?;
                    self.emit(Op::HasAttrDynamic, span);
                }
                (AttrName::Static(name), false) => {
                    to_false.push(self.emit(Op::SelectOrJump(name, 0), span));
                }
                (AttrName::Dynamic(e), false) => {
                    self.compile(&e)?;
                    to_false.push(self.emit(Op::SelectDynamicOrJump(0), span));
                }
            }
        }
        if !to_false.is_empty() {
            let to_end = self.emit(Op::Jump(0), span);
            for at in to_false {
                self.patch_jump(at);
            }
            self.constant(Value::Bool(false), span);
            self.patch_jump(to_end);
        }
        Ok(())
    }

    // ---- laziness ----------------------------------------------------------

    /// Compiles `expr` for a position that must not evaluate it yet (an
    /// argument, a list element, a binding). Constants, variables and
    /// lambdas need no thunk; everything else gets one. When `slot` is given
    /// the value goes straight into that local and may be deferred; the slot
    /// is then recorded in `deferred`.
    fn compile_thunked(
        &mut self,
        expr: &ast::Expr,
        target: Option<BindingTarget<'_>>,
    ) -> Result<()> {
        self.compile_lazily(expr, target, WithVariable::LookedUpAtOnce)
    }

    /// Compiles the source of `inherit (e) …` in a lazy position. Nix puts
    /// `e.name` there for each name, so `e` is only evaluated when one is
    /// needed, even when it is a `with` variable whose set is evaluated.
    pub(super) fn compile_inherit_source(
        &mut self,
        expr: &ast::Expr,
        target: Option<BindingTarget<'_>>,
    ) -> Result<()> {
        self.compile_lazily(expr, target, WithVariable::Later)
    }

    fn compile_lazily(
        &mut self,
        expr: &ast::Expr,
        target: Option<BindingTarget<'_>>,
        with_variable: WithVariable,
    ) -> Result<()> {
        let span = self.span_of(expr.syntax());
        match expr {
            ast::Expr::Literal(lit) => return self.compile_literal(lit, span),
            ast::Expr::Str(s) if is_plain_string(s) => return self.compile_string(s, span),
            ast::Expr::PathAbs(_) | ast::Expr::PathRel(_) | ast::Expr::PathHome(_)
                if is_plain_path(expr) =>
            {
                return self.compile_path(expr, span)
            }
            ast::Expr::Paren(p) => {
                return self.compile_lazily(&child(p.expr(), p.syntax())?, target, with_variable)
            }
            ast::Expr::Ident(ident) => {
                let name = ident_name(ident);
                return self.compile_lazy_variable(name, span, target, with_variable);
            }
            ast::Expr::Lambda(lambda) => {
                let name = target.as_ref().and_then(|t| t.name);
                return self.compile_lambda(lambda, name, target);
            }
            _ => {}
        }
        self.push_ctx(CodeKind::Thunk, None, span);
        self.compile(expr)?;
        self.emit(Op::Return, span);
        let mut code = self.pop_ctx();
        code.eager = Eager::detect(&code).map(Box::new);
        self.emit_child(code, false, span, target);
        Ok(())
    }

    /// A variable in a lazy position: a plain copy when its value exists
    /// already, a thunk when it comes from a `with` or a binding not made yet.
    fn compile_thunked_variable(
        &mut self,
        name: Symbol,
        span: Span,
        target: Option<BindingTarget<'_>>,
    ) -> Result<()> {
        self.compile_lazy_variable(name, span, target, WithVariable::LookedUpAtOnce)
    }

    fn compile_lazy_variable(
        &mut self,
        name: Symbol,
        span: Span,
        target: Option<BindingTarget<'_>>,
        with_variable: WithVariable,
    ) -> Result<()> {
        match self.resolve(name) {
            Resolved::With(namespaces) if with_variable == WithVariable::LookedUpAtOnce => {
                // Looked up now when the namespaces are evaluated, as Nix
                // does; otherwise this thunk looks it up later. It captures
                // only the namespaces, which are bound before the `with`'s
                // body runs, so it is never deferred.
                let code = self.variable_thunk(name, span)?;
                let ctx = self.ctx();
                ctx.children.push(Rc::new(code));
                let thunk = Some((ctx.children.len() - 1) as u32);
                ctx.with_lookups.push(WithLookup {
                    name,
                    namespaces,
                    thunk,
                });
                let i = (ctx.with_lookups.len() - 1) as u32;
                self.emit(Op::LazyWithLookup(i), span);
                Ok(())
            }
            Resolved::With(_)
            | Resolved::Local {
                initialised: false, ..
            } => {
                let code = self.variable_thunk(name, span)?;
                self.emit_child(code, false, span, target);
                Ok(())
            }
            _ => self.compile_variable(name, span),
        }
    }

    /// The code of a thunk that reads variable `name`.
    fn variable_thunk(&mut self, name: Symbol, span: Span) -> Result<Code> {
        self.push_ctx(CodeKind::Thunk, None, span);
        self.compile_variable(name, span)?;
        self.emit(Op::Return, span);
        Ok(self.pop_ctx())
    }

    /// Emits the op that creates a closure or thunk of `code`.
    fn emit_child(
        &mut self,
        code: Code,
        is_closure: bool,
        span: Span,
        target: Option<BindingTarget<'_>>,
    ) {
        let needs_deferral = code.captures.iter().any(|c| match c {
            Capture::Local(slot) => !self.ctxs.last().unwrap().scopes.is_initialised(*slot),
            Capture::Upvalue(_) => false,
        });
        let ctx = self.ctx();
        ctx.children.push(Rc::new(code));
        let i = (ctx.children.len() - 1) as u32;
        let op = match (is_closure, needs_deferral) {
            (true, false) => Op::MakeClosure(i),
            (false, false) => Op::MakeThunk(i),
            (true, true) => Op::MakeClosureDeferred(i),
            (false, true) => Op::MakeThunkDeferred(i),
        };
        self.emit(op, span);
        if needs_deferral {
            let target = target.expect("deferred values only arise for bindings");
            target.deferred.push(target.slot);
        }
    }

    // ---- functions ---------------------------------------------------------

    fn compile_lambda(
        &mut self,
        lambda: &ast::Lambda,
        name: Option<Symbol>,
        target: Option<BindingTarget<'_>>,
    ) -> Result<()> {
        let span = self.span_of(lambda.syntax());
        let param = child(lambda.param(), lambda.syntax())?;
        let formals = match &param {
            ast::Param::IdentParam(_) => None,
            ast::Param::Pattern(p) => Some(Rc::new(self.formals(p)?)),
        };
        let bound_name = match &param {
            ast::Param::IdentParam(p) => p.ident().map(|i| ident_name(&i)),
            ast::Param::Pattern(p) => p.pat_bind().and_then(|b| b.ident()).map(|i| ident_name(&i)),
        };
        self.push_ctx(
            CodeKind::Lambda {
                formals: formals.clone(),
                param: bound_name,
            },
            name,
            span,
        );
        let arg_slot = self.scopes().new_slot();
        self.scopes().set_initialised(arg_slot);
        match &param {
            ast::Param::IdentParam(p) => {
                let ident = child(p.ident(), p.syntax())?;
                self.scopes().bind(ident_name(&ident), arg_slot);
            }
            ast::Param::Pattern(pattern) => {
                if let Some(bind) = pattern.pat_bind().and_then(|b| b.ident()) {
                    self.scopes().bind(ident_name(&bind), arg_slot);
                }
                self.emit(Op::CheckFormals, span);
                self.compile_formals(pattern, arg_slot)?;
            }
        }
        let body = child(lambda.body(), lambda.syntax())?;
        match &body {
            // As in Nix, a curried lambda's inner lambdas go by its name.
            ast::Expr::Lambda(inner) if name.is_some() => self.compile_lambda(inner, name, None)?,
            other => self.compile(other)?,
        }
        self.emit(Op::Return, span);
        let mut code = self.pop_ctx();
        code.fused = code.fuse().map(Rc::new);
        self.emit_child(code, true, span, target);
        Ok(())
    }

    /// The formals of a pattern, rejecting names bound twice.
    fn formals(&self, pattern: &ast::Pattern) -> Result<Formals> {
        let mut entries: Vec<(Symbol, bool)> = Vec::new();
        let mut positions = Vec::new();
        let bind = pattern
            .pat_bind()
            .and_then(|b| b.ident())
            .map(|i| ident_name(&i));
        for entry in pattern.pat_entries() {
            let ident = child(entry.ident(), entry.syntax())?;
            let name = ident_name(&ident);
            let span = self.span_of(ident.syntax());
            if entries.iter().any(|(n, _)| *n == name) || bind == Some(name) {
                return Err(Error::at(
                    ErrorKind::Syntax(format!("duplicate formal function argument '{name}'")),
                    span,
                ));
            }
            entries.push((name, entry.default().is_some()));
            positions.push((name, span));
        }
        Ok(Formals {
            entries,
            ellipsis: pattern.ellipsis_token().is_some(),
            positions: Rc::new(PosTable::new(positions, self.file.clone())),
        })
    }

    /// Binds each formal to the argument's attribute or to its default.
    /// Defaults may refer to each other, like a `rec` set.
    fn compile_formals(&mut self, pattern: &ast::Pattern, arg_slot: u32) -> Result<()> {
        let entries: Vec<ast::PatEntry> = pattern.pat_entries().collect();
        let mut slots = Vec::with_capacity(entries.len());
        for entry in &entries {
            let ident = child(entry.ident(), entry.syntax())?;
            let slot = self.scopes().new_slot();
            self.scopes().bind(ident_name(&ident), slot);
            slots.push(slot);
        }
        let mut deferred = Vec::new();
        for (entry, &slot) in entries.iter().zip(&slots) {
            let ident = child(entry.ident(), entry.syntax())?;
            let name = ident_name(&ident);
            let span = self.span_of(entry.syntax());
            match entry.default() {
                None => {
                    self.emit(Op::GetLocal(arg_slot), span);
                    self.emit(Op::Select(name), span);
                }
                Some(default) => {
                    let to_default = self.emit(Op::FormalOrJump(name, 0), span);
                    let to_end = self.emit(Op::Jump(0), span);
                    self.patch_jump(to_default);
                    self.compile_thunked(
                        &default,
                        Some(BindingTarget {
                            slot,
                            name: Some(name),
                            deferred: &mut deferred,
                        }),
                    )?;
                    self.patch_jump(to_end);
                }
            }
            self.emit(Op::SetLocal(slot), span);
            self.scopes().set_initialised(slot);
        }
        let span = self.span_of(pattern.syntax());
        for slot in deferred {
            self.emit(Op::Finalise(slot), span);
        }
        Ok(())
    }

    // ---- with ----------------------------------------------------------------

    fn compile_with(&mut self, with: &ast::With) -> Result<()> {
        let span = self.span_of(with.syntax());
        let namespace = child(with.namespace(), with.syntax())?;
        let mark = self.scopes().mark();
        // A thunk of the `with`'s own even for a variable or a literal: a
        // lookup forcing it is what makes later `with` variables in lazy
        // positions be looked up at once (see `WithLookup::now`).
        self.push_ctx(CodeKind::Thunk, None, span);
        self.compile(&namespace)?;
        self.emit(Op::Return, span);
        let code = self.pop_ctx();
        self.emit_child(code, false, span, None);
        let slot = self.scopes().new_slot();
        self.emit(Op::SetLocal(slot), span);
        self.scopes().set_initialised(slot);
        self.scopes().push_with(slot);
        self.compile(&child(with.body(), with.syntax())?)?;
        self.scopes().reset(mark);
        Ok(())
    }
}

/// How a `with` variable in a lazy position is compiled.
#[derive(Clone, Copy, PartialEq, Eq)]
enum WithVariable {
    /// As Nix does for a variable in a lazy position: looked up when the
    /// thunk would be made if the sets before it are evaluated
    /// (`Op::LazyWithLookup`).
    LookedUpAtOnce,
    /// Always a thunk (where Nix puts a larger expression around it).
    Later,
}

/// Where a binding's value goes: a local slot, which may hold a deferred
/// closure or thunk until the group's `Finalise`.
struct BindingTarget<'d> {
    slot: u32,
    name: Option<Symbol>,
    deferred: &'d mut Vec<u32>,
}

fn syntax(msg: &str) -> ErrorKind {
    ErrorKind::Syntax(msg.to_string())
}

/// Unwraps a child node that a successful parse always has.
fn child<T>(node: Option<T>, parent: &rnix::SyntaxNode) -> Result<T> {
    node.ok_or_else(|| {
        Error::new(ErrorKind::Syntax(format!(
            "incomplete expression '{parent}'"
        )))
    })
}

fn ident_name(ident: &ast::Ident) -> Symbol {
    match first_token(ident.syntax()) {
        Some(token) if token.kind().0 == rnix::SyntaxKind::TOKEN_IDENT as u16 => {
            Symbol::intern(token.text())
        }
        _ => Symbol::intern(ident.syntax().text().to_string()),
    }
}

/// The first token of `node` that is not trivia, read from its green node.
/// rnix's accessors make a cursor (an allocation) for each child they look
/// at; names, literals and `rec` are read this way instead, once for each
/// in a file, as they make up most of a large generated one.
fn first_token(node: &rnix::SyntaxNode) -> Option<&rowan::GreenTokenData> {
    first_green_token(node.green())
}

/// The first token of a green node that is not trivia, when it is a token
/// (not a node).
pub(super) fn first_green_token(node: &rowan::GreenNodeData) -> Option<&rowan::GreenTokenData> {
    use rnix::SyntaxKind::{TOKEN_COMMENT, TOKEN_WHITESPACE};
    node.children()
        .find(|c| {
            let kind = c.kind().0;
            kind != TOKEN_WHITESPACE as u16 && kind != TOKEN_COMMENT as u16
        })?
        .into_token()
}

/// Whether a set literal is `rec { … }`: `rec` is its first token.
fn is_rec(set: &ast::AttrSet) -> bool {
    first_token(set.syntax()).is_some_and(|t| t.kind().0 == rnix::SyntaxKind::TOKEN_REC as u16)
}

/// Whether `expr` is a path literal without interpolation.
fn is_plain_path(expr: &ast::Expr) -> bool {
    ast::Path::cast(expr.syntax().clone())
        .is_some_and(|p| matches!(p.parts().as_slice(), [InterpolPart::Literal(_)]))
}

fn is_plain_string(s: &ast::Str) -> bool {
    s.parts().all(|p| matches!(p, InterpolPart::Literal(_)))
}

/// Whether a float literal is one Nix accepts: Nix reads it with `strtod` and
/// rejects it when that reports a range error, that is when the value
/// overflows to infinity or underflows to a subnormal number or to zero.
/// (`strtod` lets an exactly representable subnormal pass, but such a
/// literal needs hundreds of digits.)
fn float_in_range(text: &str, value: f64) -> bool {
    if value.is_infinite() {
        return false;
    }
    if value == 0.0 {
        let mantissa = text.split(['e', 'E']).next().unwrap_or("");
        return !mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b));
    }
    value.abs() >= f64::MIN_POSITIVE
}

/// Whether the value `expr` leaves on the stack may be a thunk not forced
/// yet: the value of a variable, call, selection or `let`/`with`/`if`/
/// `assert` body may be; literals, lambdas, lists, sets and what operators
/// make are values.
fn may_leave_thunk(expr: &ast::Expr) -> bool {
    match expr {
        ast::Expr::Paren(p) => p.expr().is_none_or(|e| may_leave_thunk(&e)),
        ast::Expr::Literal(_)
        | ast::Expr::Str(_)
        | ast::Expr::PathAbs(_)
        | ast::Expr::PathRel(_)
        | ast::Expr::PathHome(_)
        | ast::Expr::Lambda(_)
        | ast::Expr::List(_)
        | ast::Expr::AttrSet(_)
        | ast::Expr::HasAttr(_)
        | ast::Expr::UnaryOp(_)
        | ast::Expr::BinOp(_) => false,
        _ => true,
    }
}

/// Whether `kind` evaluates both operands, left first, and then applies one
/// instruction (not `&&`, `||`, `->`, which jump, nor the pipes, which Nix
/// 2.8 lacks, nor `>` and `<=`, which evaluate their right operand first).
fn is_strict_bin_op(kind: ast::BinOpKind) -> bool {
    use ast::BinOpKind as K;
    !matches!(
        kind,
        K::And | K::Or | K::Implication | K::PipeLeft | K::PipeRight | K::More | K::LessOrEq
    )
}

/// The instruction of a strict binary operator ([`is_strict_bin_op`]).
fn strict_bin_op(kind: ast::BinOpKind) -> Op {
    use ast::BinOpKind as K;
    match kind {
        K::Concat => Op::Concat,
        K::Update => Op::Update,
        K::Add => Op::Add,
        K::Sub => Op::Sub,
        K::Mul => Op::Mul,
        K::Div => Op::Div,
        K::Equal => Op::Eq,
        K::NotEqual => Op::NotEq,
        K::Less => Op::Less,
        K::MoreOrEq => Op::GreaterEq,
        K::And | K::Or | K::Implication | K::PipeLeft | K::PipeRight | K::More | K::LessOrEq => {
            unreachable!("not a strict operator")
        }
    }
}
