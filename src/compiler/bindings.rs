//! Bindings: `let`, `rec { … }` and plain attribute sets.
//!
//! Entries are first gathered into a [`BindingSet`], which merges nested
//! paths (`a.b = 1; a.c = 2;`) and reports duplicates, then compiled.

use std::rc::Rc;

use rnix::ast::{self, HasEntry};
use rnix::SyntaxKind;
use rowan::ast::AstNode;
use rowan::{GreenNodeData, Language, TextRange, TextSize};
use rustc_hash::FxHashMap;

use super::{child, first_green_token, is_rec, AttrName, BindingTarget, Compiler};
use crate::bytecode::{AttrTemplate, CodeKind, Op};
use crate::error::{Error, ErrorKind, Result};
use crate::source::Span;
use crate::symbol::Symbol;
use crate::value::{PosTable, Value};

/// The value side of a binding.
enum BindingValue {
    /// The value of an entry `path = value;`.
    Entry(Entry),
    /// `inherit name;`: the name from the enclosing scope.
    Inherit(Symbol),
    /// `inherit (from) name;`: an attribute of `from_exprs[from]`.
    InheritFrom { from: usize, name: Symbol },
    /// A set built from nested paths (`a.b = …; a.c = …;`), possibly merged
    /// into a set literal written out in full. Boxed, so that the other
    /// values (nearly all) are small.
    Nested(Box<BindingSet>),
}

/// An entry `path = value;` of a set or `let`. A binding holds no cursor
/// of its own (each is an allocation, most of the memory a large set's
/// bindings took): its name is read from green nodes, what compiling its
/// value needs first is noted when it is, and a cursor on the value is
/// made only for a value that is not a literal, when it is compiled, and
/// dropped after. (Nor is the value's green node held: its reference
/// count, shared by every `1` of a generated set, is atomic.)
#[derive(Clone)]
struct Entry {
    /// The set or `let`: one cursor, shared by all its entries.
    holder: rnix::SyntaxNode,
    /// Where the value, the entry's last node, is in the file.
    value: TextRange,
    /// The value's kind.
    kind: SyntaxKind,
    /// A literal value's one token's kind (its text is the value's).
    literal: Option<SyntaxKind>,
}

impl Entry {
    /// The entry whose green node is `entry`, starting at `start` in the
    /// file; `None` when it has no value (which a successful parse rules
    /// out).
    fn new(holder: &rnix::SyntaxNode, entry: &GreenNodeData, start: TextSize) -> Option<Entry> {
        let mut end = start + entry.text_len();
        for element in entry.children().rev() {
            let len = element.text_len();
            if let Some(node) = element.into_node() {
                let kind = rnix::NixLanguage::kind_from_raw(node.kind());
                let literal = (kind == SyntaxKind::NODE_LITERAL && node.children().len() == 1)
                    .then(|| first_green_token(node))
                    .flatten()
                    .map(|token| rnix::NixLanguage::kind_from_raw(token.kind()));
                return Some(Entry {
                    holder: holder.clone(),
                    value: TextRange::at(end - len, len),
                    kind,
                    literal,
                });
            }
            end -= len;
        }
        None
    }

    /// A cursor on the entry: the holder's child around its value.
    fn cursor(&self) -> Result<ast::AttrpathValue> {
        child_at(&self.holder, self.value.start())
    }

    /// A cursor on the value.
    fn value(&self) -> Result<ast::Expr> {
        let entry = self.cursor()?;
        child(
            entry.syntax().last_child().and_then(ast::Expr::cast),
            entry.syntax(),
        )
    }
}

/// A cursor on the child node of `holder` that starts at `start`, which an
/// entry read from the green node knows.
fn child_at<N: AstNode<Language = rnix::NixLanguage>>(
    holder: &rnix::SyntaxNode,
    start: TextSize,
) -> Result<N> {
    let found = holder
        .child_or_token_at_range(TextRange::at(start, 1.into()))
        .and_then(|e| e.into_node())
        .and_then(N::cast);
    child(found, holder)
}

/// The symbols of `first` and of the plain names of the entries after it
/// in `rest`, up to the first entry that is not `name = value;`.
fn intern_run(first: &str, rest: rowan::Children<'_>) -> Vec<Symbol> {
    let mut names = vec![first.as_bytes()];
    for element in rest {
        match element.into_node() {
            Some(node) if node.kind().0 == SyntaxKind::NODE_ATTRPATH_VALUE as u16 => {
                match plain_name(node) {
                    Some((name, _)) => names.push(name.as_bytes()),
                    None => break,
                }
            }
            Some(_) => break,
            None => {}
        }
    }
    Symbol::intern_all(&names)
}

/// The name of an entry whose path is one plain name (`a = …;`), and the
/// name's length, read from the entry's green node; `None` for any other
/// path, read through cursors.
fn plain_name(entry: &GreenNodeData) -> Option<(&str, TextSize)> {
    let path = entry.children().next()?.into_node()?;
    if path.kind().0 != SyntaxKind::NODE_ATTRPATH as u16 || path.children().len() != 1 {
        return None;
    }
    let ident = path.children().next()?.into_node()?;
    if ident.kind().0 != SyntaxKind::NODE_IDENT as u16 || ident.children().len() != 1 {
        return None;
    }
    let token = ident.children().next()?.into_token()?;
    // A value follows the path (a successful parse always has one).
    let nodes = entry.children().filter(|c| c.as_node().is_some()).count();
    (token.kind().0 == SyntaxKind::TOKEN_IDENT as u16 && nodes == 2)
        .then(|| (token.text(), token.text_len()))
}

struct StaticBinding {
    name: Symbol,
    span: Span,
    value: BindingValue,
}

struct DynamicBinding {
    name: ast::Expr,
    span: Span,
    value: BindingValue,
}

/// Where a set merged into a binding of the same name comes from, which
/// decides how deep the merge goes (as in Nix 2.8's parser).
#[derive(Clone, Copy)]
enum Merge {
    /// From an attribute path (`a.b = …; a.c = …;`): its names merge with
    /// the binding's at every level the paths share.
    Path,
    /// The entries of a set literal (`a = { b = …; }; a = { c = …; };`):
    /// they join the binding's one level deep, and a name both have is a
    /// duplicate, even when both values are sets.
    Literal,
}

#[derive(Default)]
struct BindingSet {
    /// Whether the set is `rec`: its values see its own names.
    rec: bool,
    statics: Vec<StaticBinding>,
    /// Where each static name is in `statics`: generated sets may have a
    /// million names, and each is looked up as it is added.
    index: NameIndex,
    /// Whether some static name came after a greater one (noted as they
    /// come, rather than checked in another pass over them).
    out_of_order: bool,
    dynamics: Vec<DynamicBinding>,
    from_exprs: Vec<ast::Expr>,
}

impl BindingSet {
    fn find(&mut self, name: Symbol) -> Option<&mut StaticBinding> {
        let i = self.index.get(name)?;
        Some(&mut self.statics[i as usize])
    }

    fn has(&self, name: Symbol) -> bool {
        self.index.get(name).is_some()
    }

    /// The static bindings in the order of their names: the order of an
    /// attribute template, in which a plain set's values are compiled.
    fn sorted(&self) -> NameOrder<'_> {
        if !self.out_of_order {
            return NameOrder::AsWritten(&self.statics);
        }
        let mut sorted: Vec<&StaticBinding> = self.statics.iter().collect();
        sorted.sort_unstable_by_key(|b| b.name);
        NameOrder::Sorted(sorted)
    }

    fn push(&mut self, binding: StaticBinding) {
        self.out_of_order |= self.statics.last().is_some_and(|b| b.name > binding.name);
        self.index.insert(binding.name, self.statics.len() as u32);
        self.statics.push(binding);
    }
}

/// A set's static bindings in the order of their names. Names new to the
/// thread are numbered in the order they come, so a generated set's are
/// usually in order as written, and need no vector of their own.
enum NameOrder<'s> {
    AsWritten(&'s [StaticBinding]),
    Sorted(Vec<&'s StaticBinding>),
}

impl<'s> NameOrder<'s> {
    fn iter(&self) -> impl Iterator<Item = &'s StaticBinding> + '_ {
        let (written, sorted): (&'s [StaticBinding], &[&'s StaticBinding]) = match self {
            NameOrder::AsWritten(written) => (written, &[]),
            NameOrder::Sorted(sorted) => (&[], sorted),
        };
        written.iter().chain(sorted.iter().copied())
    }

    fn len(&self) -> usize {
        match self {
            NameOrder::AsWritten(written) => written.len(),
            NameOrder::Sorted(sorted) => sorted.len(),
        }
    }
}

/// Where each static name of a set is in its `statics`.
///
/// Names interned since the set was started (from `fresh_from` on) are
/// found in `fresh`, by their number from there: new names are numbered in
/// the order they come, so a generated set of a million new names fills it
/// in order, where a hash map is read at random (a tenth of the time of
/// compiling such a set goes to those cache misses). Older names, and a new
/// name too far past the end of `fresh` to extend it by less than twice
/// its length, go to `others`; from the first such new name on, `fresh`
/// grows no more, so a name in its range is never in `others`.
struct NameIndex {
    fresh_from: u32,
    /// Position in `statics` plus one; 0 where there is no such name.
    fresh: Vec<u32>,
    closed: bool,
    others: FxHashMap<Symbol, u32>,
}

impl Default for NameIndex {
    fn default() -> Self {
        NameIndex {
            fresh_from: Symbol::interned(),
            fresh: Vec::new(),
            closed: false,
            others: FxHashMap::default(),
        }
    }
}

impl NameIndex {
    /// Where `name` is in `fresh`, when its range holds it.
    fn slot(&self, name: Symbol) -> Option<usize> {
        let i = name.index().checked_sub(self.fresh_from)? as usize;
        (i < self.fresh.len()).then_some(i)
    }

    fn get(&self, name: Symbol) -> Option<u32> {
        match self.slot(name) {
            Some(i) => self.fresh[i].checked_sub(1),
            None => self.others.get(&name).copied(),
        }
    }

    fn insert(&mut self, name: Symbol, position: u32) {
        if let Some(i) = self.slot(name) {
            self.fresh[i] = position + 1;
            return;
        }
        if !self.closed {
            if let Some(i) = name.index().checked_sub(self.fresh_from) {
                let i = i as usize;
                if i < 2 * self.fresh.len() + 64 {
                    self.fresh.resize(i + 1, 0);
                    self.fresh[i] = position + 1;
                    return;
                }
                self.closed = true;
            }
        }
        self.others.insert(name, position);
    }

    /// Room for `additional` new names.
    fn reserve(&mut self, additional: usize) {
        self.fresh.reserve(additional);
    }
}

/// The legacy `__overrides` attribute of recursive sets.
fn overrides_name() -> Symbol {
    Symbol::intern("__overrides")
}

impl<'a, 'e> Compiler<'a, 'e> {
    fn gather(&mut self, node: &impl HasEntry, rec: bool) -> Result<BindingSet> {
        let mut set = BindingSet {
            rec,
            ..BindingSet::default()
        };
        // Sized once: a generated set of a million entries would otherwise
        // grow both by doubling, copying each into fresh memory.
        let holder = node.syntax();
        let entries = entry_count(holder);
        if entries == 0 {
            // `{ }`, as in `{ } // { } // …`.
            return Ok(set);
        }
        set.statics.reserve(entries);
        set.index.reserve(entries);
        Symbol::reserve(entries);
        // The entries are read from the green node, where rnix's accessors
        // would make a cursor for each child they pass; an entry other than
        // `name = value;` gets a cursor of its own. The names of a run of
        // plain entries are interned at once when it starts, in the order
        // they come (a set of a million new names would otherwise look each
        // up in the symbol table at random).
        let mut run = Vec::new().into_iter();
        let mut start = holder.text_range().start();
        let mut children = holder.green().children();
        while let Some(element) = children.next() {
            let len = element.text_len();
            let kind = element.kind().0;
            if let Some(green) = element
                .into_node()
                .filter(|_| kind == SyntaxKind::NODE_ATTRPATH_VALUE as u16)
            {
                let entry = Entry::new(holder, green, start);
                let name = plain_name(green).and_then(|(name, len)| {
                    if run.len() == 0 {
                        run = intern_run(name, children.clone()).into_iter();
                    }
                    Some((run.next()?, len))
                });
                match (name, entry) {
                    (Some((name, name_len)), Some(entry)) => {
                        let span = self.span_at(TextRange::at(start, name_len));
                        self.insert_static(&mut set, name, span, BindingValue::Entry(entry))?;
                    }
                    (_, entry) => self.gather_entry(&mut set, holder, start, entry)?,
                }
            } else if kind == SyntaxKind::NODE_INHERIT as u16 {
                self.gather_inherit(&mut set, &child_at(holder, start)?)?;
            }
            start += len;
        }
        Ok(set)
    }

    /// An entry `path = value;` starting at `start` in `holder`, read
    /// through cursors.
    fn gather_entry(
        &mut self,
        set: &mut BindingSet,
        holder: &rnix::SyntaxNode,
        start: TextSize,
        entry: Option<Entry>,
    ) -> Result<()> {
        let apv: ast::AttrpathValue = child_at(holder, start)?;
        // Its two nodes, path and value, in one pass (rnix's accessors make
        // a cursor for each child they pass).
        let mut nodes = apv.syntax().children();
        let path = child(nodes.next().and_then(ast::Attrpath::cast), apv.syntax())?;
        child(nodes.next().and_then(ast::Expr::cast), apv.syntax())?;
        let entry = child(entry, apv.syntax())?;
        let mut attrs = path.attrs();
        let first = attrs
            .next()
            .ok_or_else(|| Error::new(ErrorKind::Syntax("empty attribute path".into())))?;
        self.insert_path(set, first, attrs, BindingValue::Entry(entry))
    }

    fn gather_inherit(&mut self, set: &mut BindingSet, inherit: &ast::Inherit) -> Result<()> {
        let from = match inherit.from() {
            Some(from) => {
                set.from_exprs.push(child(from.expr(), from.syntax())?);
                Some(set.from_exprs.len() - 1)
            }
            None => None,
        };
        for attr in inherit.attrs() {
            let span = self.span_of(attr.syntax());
            let name = match self.attr_name(&attr)? {
                AttrName::Static(name) => name,
                AttrName::Dynamic(_) => {
                    return Err(Error::at(
                        ErrorKind::Syntax("dynamic attributes not allowed in inherit".into()),
                        span,
                    ))
                }
            };
            let value = match from {
                Some(from) => BindingValue::InheritFrom { from, name },
                None => BindingValue::Inherit(name),
            };
            self.insert_static(set, name, span, value)?;
        }
        Ok(())
    }

    fn insert_static(
        &mut self,
        set: &mut BindingSet,
        name: Symbol,
        span: Span,
        value: BindingValue,
    ) -> Result<()> {
        if let Some(existing) = set.find(name) {
            // `a = { x = 1; }; a.y = 2;` (in either order) merges the two.
            let incoming = match value {
                BindingValue::Nested(nested) => Some((*nested, Merge::Path)),
                BindingValue::Entry(entry) => match entry.value()? {
                    ast::Expr::AttrSet(lit) => {
                        Some((self.gather(&lit, is_rec(&lit))?, Merge::Literal))
                    }
                    _ => None,
                },
                _ => None,
            };
            if let Some((incoming, how)) = incoming {
                if let Some(target) = self.as_mergeable(existing)? {
                    return self.merge(target, incoming, how);
                }
            }
            return Err(self.duplicate(name, span));
        }
        set.push(StaticBinding { name, span, value });
        Ok(())
    }

    /// Turns an existing binding into a nested set that more entries can join.
    fn as_mergeable<'s>(
        &mut self,
        existing: &'s mut StaticBinding,
    ) -> Result<Option<&'s mut BindingSet>> {
        if let BindingValue::Entry(entry) = &existing.value {
            if let ast::Expr::AttrSet(lit) = entry.value()? {
                let nested = self.gather(&lit, is_rec(&lit))?;
                existing.value = BindingValue::Nested(Box::new(nested));
            }
        }
        match &mut existing.value {
            BindingValue::Nested(set) => Ok(Some(set)),
            _ => Ok(None),
        }
    }

    fn merge(&mut self, target: &mut BindingSet, incoming: BindingSet, how: Merge) -> Result<()> {
        let offset = target.from_exprs.len();
        target.from_exprs.extend(incoming.from_exprs);
        for mut binding in incoming.statics {
            shift_from(&mut binding.value, offset);
            match how {
                Merge::Path => {
                    self.insert_static(target, binding.name, binding.span, binding.value)?
                }
                Merge::Literal if target.find(binding.name).is_some() => {
                    return Err(self.duplicate(binding.name, binding.span));
                }
                Merge::Literal => target.push(binding),
            }
        }
        for mut binding in incoming.dynamics {
            shift_from(&mut binding.value, offset);
            target.dynamics.push(binding);
        }
        Ok(())
    }

    /// Binds the path `first` followed by `rest` to `value`.
    fn insert_path(
        &mut self,
        set: &mut BindingSet,
        first: ast::Attr,
        mut rest: impl Iterator<Item = ast::Attr>,
        value: BindingValue,
    ) -> Result<()> {
        let span = self.span_of(first.syntax());
        let value = match rest.next() {
            None => value,
            Some(second) => {
                let mut nested = BindingSet::default();
                self.insert_path(&mut nested, second, rest, value)?;
                BindingValue::Nested(Box::new(nested))
            }
        };
        match self.attr_name(&first)? {
            AttrName::Static(name) => self.insert_static(set, name, span, value),
            AttrName::Dynamic(name) => {
                set.dynamics.push(DynamicBinding { name, span, value });
                Ok(())
            }
        }
    }

    fn duplicate(&self, name: Symbol, span: Span) -> Error {
        Error::at(ErrorKind::DuplicateAttribute(name.display_name()), span)
    }

    // ---- compiling ---------------------------------------------------------

    pub(super) fn compile_attr_set(&mut self, node: &ast::AttrSet) -> Result<()> {
        let set = self.gather(node, is_rec(node))?;
        let span = self.span_of(node.syntax());
        self.compile_set(&set, span)
    }

    fn compile_set(&mut self, set: &BindingSet, span: Span) -> Result<()> {
        if set.rec {
            self.compile_rec_set(set, span)
        } else {
            self.compile_plain_set(set, span)
        }
    }

    fn compile_rec_set(&mut self, set: &BindingSet, span: Span) -> Result<()> {
        let mark = self.scopes().mark();
        let slots = self.bind_group(set, span)?;
        let template = self.template(&set.sorted());
        let names = self.ctx().attr_templates[template as usize].names.clone();
        for name in &names {
            self.emit(Op::GetLocal(slot_of(&slots, *name)), span);
        }
        self.emit(Op::Attrs(template), span);
        if set.has(overrides_name()) {
            // `rec { __overrides = o; … }` is the set updated with `o`.
            self.emit(Op::GetLocal(slot_of(&slots, overrides_name())), span);
            self.emit(Op::Update, span);
        }
        self.compile_dynamics(set, &[])?;
        self.scopes().reset(mark);
        Ok(())
    }

    pub(super) fn compile_let_in(&mut self, node: &ast::LetIn) -> Result<()> {
        let set = self.gather(node, true)?;
        let span = self.span_of(node.syntax());
        if let Some(d) = set.dynamics.first() {
            return Err(Error::at(
                ErrorKind::Syntax("dynamic attributes not allowed in let".into()),
                d.span,
            ));
        }
        let mark = self.scopes().mark();
        self.bind_group(&set, span)?;
        self.compile(&child(node.body(), node.syntax())?)?;
        self.scopes().reset(mark);
        Ok(())
    }

    /// `let { …; body = …; }`: a recursive set's `body` attribute.
    pub(super) fn compile_legacy_let(&mut self, node: &ast::LegacyLet) -> Result<()> {
        let set = self.gather(node, true)?;
        let span = self.span_of(node.syntax());
        let body = Symbol::intern("body");
        if !set.has(body) {
            return Err(Error::at(ErrorKind::MissingAttribute("body".into()), span));
        }
        let mark = self.scopes().mark();
        let slots = self.bind_group(&set, span)?;
        self.emit(Op::GetLocal(slot_of(&slots, body)), span);
        self.scopes().reset(mark);
        Ok(())
    }

    /// Records the bindings of a group that statically hold a builtin
    /// (`inherit (builtins) map;`, `f = builtins.foldl';`), so that calls
    /// through them are compiled as direct builtin calls.
    fn note_known_builtins(&mut self, set: &BindingSet) {
        for binding in &set.statics {
            let known = match &binding.value {
                // Only a name, a selection or parentheses can be one (read
                // without a cursor for every other binding).
                BindingValue::Entry(entry) if STATIC_VALUE_KINDS.contains(&entry.kind) => {
                    entry.value().ok().and_then(|expr| self.static_value(&expr))
                }
                BindingValue::Entry(_) => None,
                BindingValue::InheritFrom { from, name } => {
                    match self.static_value(&set.from_exprs[*from]) {
                        Some(Value::Attrs(attrs)) => attrs.get(*name).cloned(),
                        _ => None,
                    }
                }
                BindingValue::Inherit(_) | BindingValue::Nested(_) => None,
            };
            if let Some(builtin @ Value::Builtin(_)) = known {
                self.scopes().set_known(binding.name, builtin);
            }
        }
    }

    /// Declares and fills the locals of a recursive binding group (`let`,
    /// `rec`). Returns each static name with its slot.
    fn bind_group(&mut self, set: &BindingSet, span: Span) -> Result<Slots> {
        // `inherit x;` names the enclosing scope's `x`, so it is read before
        // the group's own names come into scope.
        let mut slots = Slots::default();
        for binding in &set.statics {
            if let BindingValue::Inherit(name) = &binding.value {
                self.compile_thunked_variable(*name, binding.span, None)?;
                let slot = self.scopes().new_slot();
                self.emit(Op::SetLocal(slot), binding.span);
                self.scopes().set_initialised(slot);
                slots.insert(binding.name, slot);
            }
        }
        let mut from_slots = Vec::with_capacity(set.from_exprs.len());
        for _ in &set.from_exprs {
            let slot = self.scopes().new_slot();
            let name = self.synthetic_name("inherit-from");
            self.scopes().bind(name, slot);
            from_slots.push((name, slot));
        }
        for binding in &set.statics {
            if !matches!(binding.value, BindingValue::Inherit(_)) {
                let slot = self.scopes().new_slot();
                slots.insert(binding.name, slot);
            }
        }
        for (name, slot) in &slots {
            self.scopes().bind(*name, *slot);
        }

        let overridable = set.rec && set.has(overrides_name());
        if !overridable {
            self.note_known_builtins(set);
        }
        let mut deferred = Vec::new();
        for (expr, (_, slot)) in set.from_exprs.iter().zip(&from_slots) {
            let target = BindingTarget {
                slot: *slot,
                name: None,
                deferred: &mut deferred,
            };
            self.compile_inherit_source(expr, Some(target))?;
            self.emit(Op::SetLocal(*slot), span);
            self.scopes().set_initialised(*slot);
        }
        for binding in &set.statics {
            if matches!(binding.value, BindingValue::Inherit(_)) {
                continue;
            }
            let slot = slot_of(&slots, binding.name);
            let target = BindingTarget {
                slot,
                name: Some(binding.name),
                deferred: &mut deferred,
            };
            if overridable && binding.name != overrides_name() {
                self.compile_overridable(binding, &from_slots, target)?;
            } else {
                self.compile_binding_value(
                    &binding.value,
                    &from_slots,
                    binding.span,
                    Some(target),
                )?;
            }
            self.emit(Op::SetLocal(slot), binding.span);
            self.scopes().set_initialised(slot);
        }
        for slot in deferred {
            self.emit(Op::Finalise(slot), span);
        }
        Ok(slots)
    }

    /// In a `rec` set with `__overrides`, a binding's value is the override
    /// when there is one.
    fn compile_overridable(
        &mut self,
        binding: &StaticBinding,
        from_slots: &[(Symbol, u32)],
        target: BindingTarget<'_>,
    ) -> Result<()> {
        let span = binding.span;
        self.push_ctx(CodeKind::Thunk, None, span);
        self.compile_variable(overrides_name(), span)?;
        let to_own = self.emit(Op::SelectOrJump(binding.name, 0), span);
        let to_end = self.emit(Op::Jump(0), span);
        self.patch_jump(to_own);
        self.compile_binding_value(&binding.value, from_slots, span, None)?;
        self.patch_jump(to_end);
        self.emit(Op::Return, span);
        let code = self.pop_ctx();
        self.emit_child(code, false, span, Some(target));
        Ok(())
    }

    fn compile_binding_value(
        &mut self,
        value: &BindingValue,
        from_slots: &[(Symbol, u32)],
        span: Span,
        target: Option<BindingTarget<'_>>,
    ) -> Result<()> {
        match value {
            // A literal needs no thunk, nor a cursor: its text is the source's.
            BindingValue::Entry(Entry {
                literal: Some(kind),
                value,
                ..
            }) => {
                let file = self.file.clone();
                let text = &file.source()[usize::from(value.start())..usize::from(value.end())];
                let kind = rnix::NixLanguage::kind_to_raw(*kind);
                self.compile_literal_token(kind, text, self.span_at(*value))
            }
            BindingValue::Entry(entry) => self.compile_thunked(&entry.value()?, target),
            BindingValue::Inherit(name) => self.compile_thunked_variable(*name, span, target),
            BindingValue::InheritFrom { from, name } => {
                let (source, _) = from_slots[*from];
                self.push_ctx(CodeKind::Thunk, None, span);
                self.compile_variable(source, span)?;
                self.emit(Op::Select(*name), span);
                self.emit(Op::Return, span);
                let code = self.pop_ctx();
                self.emit_child(code, false, span, target);
                Ok(())
            }
            BindingValue::Nested(nested) => {
                // A plain set of static names costs nothing to build in
                // place: its values are thunks anyway. Dynamic names are
                // evaluated when their set is, so such a set waits in a
                // thunk as in Nix (`{ a.b.${x} = 1; }` has `a` without `x`).
                if target.is_none() && !nested.rec && nested.dynamics.is_empty() {
                    return self.compile_plain_set(nested, span);
                }
                self.push_ctx(CodeKind::Thunk, None, span);
                self.compile_set(nested, span)?;
                self.emit(Op::Return, span);
                let code = self.pop_ctx();
                self.emit_child(code, false, span, target);
                Ok(())
            }
        }
    }

    /// A non-recursive set: values see the enclosing scope only.
    fn compile_plain_set(&mut self, set: &BindingSet, span: Span) -> Result<()> {
        let mark = self.scopes().mark();
        let mut from_slots = Vec::with_capacity(set.from_exprs.len());
        for expr in &set.from_exprs {
            self.compile_inherit_source(expr, None)?;
            let slot = self.scopes().new_slot();
            self.emit(Op::SetLocal(slot), span);
            self.scopes().set_initialised(slot);
            let name = self.synthetic_name("inherit-from");
            self.scopes().bind(name, slot);
            from_slots.push((name, slot));
        }
        let sorted = set.sorted();
        let template = self.template(&sorted);
        // Each value is at least one instruction.
        let ctx = self.ctx();
        ctx.ops.reserve(sorted.len() + 1);
        ctx.spans.reserve(sorted.len() + 1);
        for binding in sorted.iter() {
            self.compile_binding_value(&binding.value, &from_slots, binding.span, None)?;
        }
        self.emit(Op::Attrs(template), span);
        self.compile_dynamics(set, &from_slots)?;
        self.scopes().reset(mark);
        Ok(())
    }

    fn compile_dynamics(&mut self, set: &BindingSet, from_slots: &[(Symbol, u32)]) -> Result<()> {
        for binding in &set.dynamics {
            self.compile(&binding.name)?;
            self.compile_binding_value(&binding.value, from_slots, binding.span, None)?;
            self.emit(Op::InsertDynamic, binding.span);
        }
        Ok(())
    }

    /// Registers the static names of a set, `sorted` by name, as an
    /// attribute template.
    fn template(&mut self, sorted: &NameOrder<'_>) -> u32 {
        let names: Vec<Symbol> = sorted.iter().map(|b| b.name).collect();
        let positions = PosTable::new(
            sorted.iter().map(|b| (b.name, b.span)).collect(),
            self.file.clone(),
        );
        let ctx = self.ctx();
        ctx.attr_templates.push(AttrTemplate {
            names,
            positions: Rc::new(positions),
        });
        (ctx.attr_templates.len() - 1) as u32
    }
}

/// The local slot of each static name of a binding group.
type Slots = FxHashMap<Symbol, u32>;

fn slot_of(slots: &Slots, name: Symbol) -> u32 {
    *slots
        .get(&name)
        .expect("every static name of a group has a slot")
}

/// The kinds of node `Compiler::static_value` may find a value in.
const STATIC_VALUE_KINDS: &[SyntaxKind] = &[
    SyntaxKind::NODE_IDENT,
    SyntaxKind::NODE_SELECT,
    SyntaxKind::NODE_PAREN,
];

/// How many entries (bindings and `inherit`s) a set or `let` has, counted
/// in its green node without making a cursor for each.
fn entry_count(node: &rnix::SyntaxNode) -> usize {
    use rnix::SyntaxKind::{NODE_ATTRPATH_VALUE, NODE_INHERIT};
    node.green()
        .children()
        .filter(|c| {
            let kind = c.kind().0;
            kind == NODE_ATTRPATH_VALUE as u16 || kind == NODE_INHERIT as u16
        })
        .count()
}

fn shift_from(value: &mut BindingValue, offset: usize) {
    if let BindingValue::InheritFrom { from, .. } = value {
        *from += offset;
    }
}
