//! The instructions the dispatch loop runs out of line ([`Vm::slow_op`]),
//! and the attribute selection, `with` lookup and formals checks they use.

use super::dispatch::known_number;
use super::{assertion_failed, Vm};
use crate::bytecode::{numeric_fast, Capture, Code, Eager, EagerOperand, Op};
use crate::engine::frames::{
    capture, check_formals_of, code_thunk, deferred_thunk, finalise, lazy_with_lookup, make_attrs,
    make_list,
};
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::value::{Attrs, Closure, Deferred, Thunk, Value};

impl Vm {
    #[inline(never)]
    pub(super) fn slow_op(
        &mut self,
        op: Op,
        code: &Code,
        upvalues: &[Value],
        base: usize,
        ip: &mut usize,
    ) -> Result<()> {
        match op {
            Op::Pop => {
                self.pop();
                Ok(())
            }
            Op::JumpIfFalse(target) => {
                let v = self.pop();
                if !self.force_bool(v)? {
                    *ip = target as usize;
                }
                Ok(())
            }
            Op::Call => {
                let arg = self.pop();
                let function = self.pop();
                self.call(function, arg).map(|v| self.stack.push(v))
            }
            Op::Call2 => {
                let b = self.pop();
                let a = self.pop();
                let function = self.pop();
                self.call2(function, a, b).map(|v| self.stack.push(v))
            }
            Op::Force => {
                let v = self.pop();
                self.force(v).map(|v| self.stack.push(v))
            }
            Op::MakeClosureDeferred(i) => {
                let child = code.children[i as usize].clone();
                self.stack.push(Value::Closure(Closure::deferred(child)));
                Ok(())
            }
            Op::MakeThunkDeferred(i) => {
                let thunk = deferred_thunk(&code.children[i as usize]);
                self.stack.push(Value::Thunk(thunk));
                Ok(())
            }
            Op::Finalise(slot) => {
                finalise(&self.stack, upvalues, base, slot);
                Ok(())
            }
            Op::InsertDynamic => self.insert_dynamic(),
            Op::Select(name) => {
                let set = self.pop();
                self.select(set, name).map(|v| self.stack.push(v))
            }
            Op::SelectDynamic => {
                let name = self.pop();
                let set = self.pop();
                self.attr_name(name)
                    .and_then(|name| self.select(set, name))
                    .map(|v| self.stack.push(v))
            }
            Op::SelectOrJump(name, target) => {
                let set = self.pop();
                let found = self.select_maybe(set, name);
                self.push_or_jump(found, ip, target)
            }
            Op::SelectDynamicOrJump(target) => {
                let name = self.pop();
                let set = self.pop();
                let found = self
                    .attr_name(name)
                    .and_then(|name| self.select_maybe(set, name));
                self.push_or_jump(found, ip, target)
            }
            Op::HasAttr(name) => {
                let set = self.pop();
                self.select_maybe(set, name)
                    .map(|v| self.stack.push(Value::Bool(v.is_some())))
            }
            Op::HasAttrDynamic => {
                let name = self.pop();
                let set = self.pop();
                self.attr_name(name)
                    .and_then(|name| self.select_maybe(set, name))
                    .map(|v| self.stack.push(Value::Bool(v.is_some())))
            }
            Op::Add => self.binary(Self::add),
            Op::Sub => self.binary(Self::sub),
            Op::Mul => self.binary(Self::mul),
            Op::Div => self.binary(Self::div),
            Op::Eq => self.binary(|vm, a, b| vm.equal(a, b).map(Value::Bool)),
            Op::NotEq => self.binary(|vm, a, b| vm.equal(a, b).map(|e| Value::Bool(!e))),
            Op::Less => self.binary(|vm, a, b| vm.less_than(a, b).map(Value::Bool)),
            Op::GreaterEq => self.binary(|vm, a, b| vm.less_than(a, b).map(|l| Value::Bool(!l))),
            Op::Concat => self.binary(Self::concat),
            Op::Update => self.binary(Self::update),
            Op::Not => {
                let v = self.pop();
                self.force_bool(v).map(|b| self.stack.push(Value::Bool(!b)))
            }
            Op::Negate => {
                let v = self.pop();
                self.negate(v).map(|v| self.stack.push(v))
            }
            Op::AssertBool => {
                let v = self.pop();
                self.force_bool(v).map(|b| self.stack.push(Value::Bool(b)))
            }
            Op::Assert(text) => {
                let v = self.pop();
                match self.force_bool(v) {
                    Ok(true) => Ok(()),
                    Ok(false) => Err(assertion_failed(&code.constants[text as usize])),
                    Err(e) => Err(e),
                }
            }
            Op::Interpolate(n) => self.interpolate(n as usize),
            Op::InterpolatePath(n) => self.interpolate_path(n as usize),
            Op::WithLookup(i) => self.with_lookup(code, i, upvalues, base),
            Op::LazyWithLookup(i) => {
                let value = lazy_with_lookup(&self.stack, code, i, upvalues, base)?;
                self.stack.push(value);
                Ok(())
            }
            Op::CheckFormals => self.check_formals(code, base),
            Op::FormalOrJump(name, target) => {
                let arg = self.stack[base].clone();
                let found = self.select_maybe(arg, name);
                self.push_or_jump(found, ip, target)
            }
            Op::Return
            | Op::Constant(_)
            | Op::GetLocal(_)
            | Op::TakeLocal(_)
            | Op::GetUpvalue(_)
            | Op::SetLocal(_)
            | Op::Jump(_)
            | Op::CallBuiltin(_)
            | Op::MakeClosure(_)
            | Op::MakeThunk(_)
            | Op::Attrs(_)
            | Op::List(_) => unreachable!("handled in dispatch"),
        }
    }

    /// For the `…OrJump` ops: pushes what was found, or jumps to `target`.
    fn push_or_jump(
        &mut self,
        found: Result<Option<Value>>,
        ip: &mut usize,
        target: u32,
    ) -> Result<()> {
        match found? {
            Some(v) => self.stack.push(v),
            None => *ip = target as usize,
        }
        Ok(())
    }

    #[inline]
    fn binary(&mut self, f: impl FnOnce(&mut Vm, Value, Value) -> Result<Value>) -> Result<()> {
        let b = self.pop();
        let a = self.pop();
        let v = f(self, a, b)?;
        self.stack.push(v);
        Ok(())
    }

    /// The instructions that build a value from the running frame and the
    /// stack, which neither force anything nor fail: `Op::MakeClosure` and
    /// `Op::MakeThunk` (a closure or thunk of the child code `op` names,
    /// capturing from the frame), `Op::Attrs` and `Op::List`. Only the
    /// dispatch loop's outer match calls this, never [`Vm::slow_op`]: lazy
    /// code makes a thunk, a closure or a set every few instructions.
    #[inline(never)]
    pub(super) fn construct(&mut self, op: Op, code: &Code, upvalues: &[Value], base: usize) {
        let value = match op {
            Op::MakeClosure(i) => {
                let child = &code.children[i as usize];
                let captured = capture(&self.stack, &child.captures, upvalues, base);
                Value::Closure(Closure::new(child.clone(), captured))
            }
            Op::MakeThunk(i) => {
                let child = &code.children[i as usize];
                let eager = (child.eager.as_ref())
                    .and_then(|e| self.eager_value(e, &child.captures, upvalues, base));
                Value::Thunk(match eager {
                    Some(value) => Thunk::new(Deferred::Ready(value)),
                    None => code_thunk(&self.stack, child, upvalues, base),
                })
            }
            Op::Attrs(i) => return make_attrs(&mut self.stack, code, i),
            Op::List(n) => return make_list(&mut self.stack, n),
            _ => unreachable!("construct builds closures, thunks, sets and lists"),
        };
        self.stack.push(value);
    }

    /// The value of an [`Eager`] thunk body computed now, when its operands
    /// are numbers already.
    fn eager_value(
        &self,
        eager: &Eager,
        captures: &[Capture],
        upvalues: &[Value],
        base: usize,
    ) -> Option<Value> {
        let operand = |o: &EagerOperand| -> Option<Value> {
            let v = match o {
                EagerOperand::Constant(v) => return Some(v.clone()),
                EagerOperand::Captured(i) => match captures[*i as usize] {
                    Capture::Local(slot) => &self.stack[base + slot as usize],
                    Capture::Upvalue(u) => &upvalues[u as usize],
                },
            };
            known_number(v)
        };
        numeric_fast(eager.op, &operand(&eager.lhs)?, &operand(&eager.rhs)?)
    }

    #[inline(never)]
    fn insert_dynamic(&mut self) -> Result<()> {
        let value = self.pop();
        let name = self.pop();
        let set = self.pop();
        let name = self.force(name)?;
        if matches!(name, Value::Null) {
            self.stack.push(set);
            return Ok(());
        }
        let name = self.attr_name(name)?;
        let Value::Attrs(set) = set else {
            unreachable!("InsertDynamic follows Attrs")
        };
        if set.contains(name) {
            return Err(Error::new(ErrorKind::DuplicateAttribute(
                name.display_name(),
            )));
        }
        let single = Attrs::from_sorted(vec![(name, value)], None);
        self.stack.push(Value::Attrs(set.update_owned(&single)));
        Ok(())
    }

    #[inline(never)]
    fn with_lookup(&mut self, code: &Code, i: u32, upvalues: &[Value], base: usize) -> Result<()> {
        let lookup = &code.with_lookups[i as usize];
        for ns in &lookup.namespaces {
            let namespace = match *ns {
                Capture::Local(s) => &self.stack[base + s as usize],
                Capture::Upvalue(u) => &upvalues[u as usize],
            };
            // An evaluated namespace is searched where it lies.
            let found = match namespace.attr_in_place(lookup.name) {
                Some(found) => found,
                None => match self.force(namespace.clone())? {
                    Value::Attrs(attrs) => {
                        if let Capture::Local(s) = *ns {
                            // Later lookups in this frame skip the thunk.
                            self.stack[base + s as usize] = Value::Attrs(attrs.clone());
                        }
                        attrs.get(lookup.name).cloned()
                    }
                    other => return Err(Error::type_mismatch("a set", other.type_phrase())),
                },
            };
            if let Some(v) = found {
                self.stack.push(v);
                return Ok(());
            }
        }
        Err(Error::new(ErrorKind::UndefinedVariable(
            lookup.name.display_name(),
        )))
    }

    #[inline(never)]
    fn check_formals(&mut self, code: &Code, base: usize) -> Result<()> {
        let arg = self.stack[base].clone();
        let attrs = match self.force(arg)? {
            Value::Attrs(a) => a,
            other => return Err(Error::type_mismatch("a set", other.type_phrase())),
        };
        self.stack[base] = Value::Attrs(attrs.clone());
        check_formals_of(code, &attrs)
    }
}
