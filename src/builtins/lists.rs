//! List builtins.

use crate::engine::{BuiltinStep, Engine, Resume};
use crate::error::{Error, Result};
use crate::value::{Builtin, Deferred, List, Thunk, Value};

pub(super) static BUILTINS: &[Builtin] = &[
    builtin!("map" / 2 => Plain(map), forces 1),
    builtin!("length" / 1 => Plain(length), forces 0),
    builtin!("head" / 1 => Plain(head), forces 0),
    builtin!("tail" / 1 => Plain(tail), forces 0),
    builtin!("elemAt" / 2 => Plain(elem_at), forces 1),
    builtin!("filter" / 2 => Stepped(filter), forces 1),
    builtin!("foldl'" / 3 => Stepped(foldl_strict), forces 0),
    builtin!("genList" / 2 => Plain(gen_list), forces 1),
    builtin!("concatLists" / 1 => Plain(concat_lists), forces 0, generator Own),
    builtin!("concatMap" / 2 => Plain(concat_map), forces 0, generator Own),
    builtin!("elem" / 2 => Plain(elem), forces 1, generator Own),
    builtin!("any" / 2 => Stepped(any), forces 0),
    builtin!("all" / 2 => Stepped(all), forces 0),
    builtin!("sort" / 2 => Stepped(sort), forces 1),
    builtin!("partition" / 2 => Stepped(partition), forces 0),
];

/// A thunk for `f x`, so that list builtins stay lazy in the elements.
/// About how many bytes one [`lazy_apply`] thunk takes.
const LAZY_APPLICATION_BYTES: usize = 64;

pub(crate) fn lazy_apply(function: &Value, arg: Value) -> Value {
    Value::Thunk(Thunk::new(Deferred::Apply {
        function: function.clone(),
        arg,
    }))
}

fn map<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let list = vm.force_list(args[1].clone())?;
    let f = &args[0];
    Ok(Value::list(
        list.iter().map(|x| lazy_apply(f, x.clone())).collect(),
    ))
}

fn length<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    Ok(Value::Int(vm.force_list(args[0].clone())?.len() as i64))
}

fn head<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let list = vm.force_list(args[0].clone())?;
    match list.get(0) {
        Some(v) => Ok(v.clone()),
        None => Err(Error::other("'builtins.head' called on an empty list")),
    }
}

fn tail<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let list = vm.force_list(args[0].clone())?;
    if list.is_empty() {
        return Err(Error::other("'builtins.tail' called on an empty list"));
    }
    Ok(Value::list(list.as_slice()[1..].to_vec()))
}

/// Nix 2.8 forces the index before the list: when both fail, the index's
/// error is the one seen (which `tryEval` may catch where the list's may not).
fn elem_at<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let i = vm.force_int(args[1].clone())?;
    let list = vm.force_list(args[0].clone())?;
    match usize::try_from(i).ok().and_then(|i| list.get(i)) {
        Some(v) => Ok(v.clone()),
        None => Err(Error::other(format!("list index {i} is out of bounds"))),
    }
}

fn filter<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<BuiltinStep<E>> {
    let list = vm.force_list(args[1].clone())?;
    Scan::start(Test::Filter, args[0].clone(), list)
}

/// `foldl'`: like Nix, requires a function even for an empty list.
fn foldl_strict<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<BuiltinStep<E>> {
    let op = vm.force_function(args[0].clone())?;
    let list = vm.force_list(args[2].clone())?;
    if list.is_empty() {
        return Ok(BuiltinStep::Force(args[1].clone(), Box::new(Finish)));
    }
    Box::new(Fold { op, list, next: 0 }).resume(vm, args[1].clone())
}

/// Resumed with the value a builtin returns.
pub(super) struct Finish;

impl<E: Engine + ?Sized> Resume<E> for Finish {
    fn resume(self: Box<Self>, _vm: &mut E, value: Value) -> Result<BuiltinStep<E>> {
        Ok(BuiltinStep::Done(value))
    }
}

/// `foldl'` between calls of its operator: resumed with the accumulator.
struct Fold {
    op: Value,
    list: List,
    next: usize,
}

impl<E: Engine + ?Sized> Resume<E> for Fold {
    fn resume(mut self: Box<Self>, _vm: &mut E, acc: Value) -> Result<BuiltinStep<E>> {
        let Some(x) = self.list.get(self.next).cloned() else {
            return Ok(BuiltinStep::Done(acc));
        };
        self.next += 1;
        let op = self.op.clone();
        Ok(BuiltinStep::call2(op, acc, x, self))
    }
}

/// What a [`Scan`] does with a predicate's answers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Test {
    Filter,
    Any,
    All,
    /// `partition`, which also forces each element before testing it.
    Partition,
}

/// `filter`, `any`, `all` and `partition` between calls of the predicate:
/// resumed with its answer about `list[next - 1]` (or, for `partition`,
/// with that element forced).
struct Scan {
    test: Test,
    predicate: Value,
    list: List,
    next: usize,
    /// Whether the element at `next - 1` is forced but not tested yet.
    forced: bool,
    kept: Vec<Value>,
    dropped: Vec<Value>,
}

impl Scan {
    fn start<E: Engine + ?Sized>(
        test: Test,
        predicate: Value,
        list: List,
    ) -> Result<BuiltinStep<E>> {
        let scan = Box::new(Scan {
            test,
            predicate,
            list,
            next: 0,
            forced: false,
            kept: Vec::new(),
            dropped: Vec::new(),
        });
        Ok(scan.next_element())
    }

    /// Asks about the next element, or gives the result when none is left.
    fn next_element<E: Engine + ?Sized>(mut self: Box<Self>) -> BuiltinStep<E> {
        let Some(x) = self.list.get(self.next).cloned() else {
            return BuiltinStep::Done(self.result());
        };
        self.next += 1;
        if self.test == Test::Partition {
            self.forced = true;
            return BuiltinStep::Force(x, self);
        }
        let predicate = self.predicate.clone();
        BuiltinStep::call(predicate, x, self)
    }

    /// The element last asked about.
    fn current(&self) -> Value {
        self.list.as_slice()[self.next - 1].clone()
    }

    fn result(self) -> Value {
        match self.test {
            Test::Filter if self.kept.len() == self.list.len() => Value::List(self.list),
            Test::Filter => Value::list(self.kept),
            Test::Any => Value::Bool(false),
            Test::All => Value::Bool(true),
            Test::Partition => super::attrs_of([
                ("right", Value::list(self.kept)),
                ("wrong", Value::list(self.dropped)),
            ]),
        }
    }
}

impl<E: Engine + ?Sized> Resume<E> for Scan {
    fn resume(mut self: Box<Self>, vm: &mut E, value: Value) -> Result<BuiltinStep<E>> {
        if self.forced {
            self.forced = false;
            let (predicate, x) = (self.predicate.clone(), self.current());
            return Ok(BuiltinStep::call(predicate, x, self));
        }
        let answer = vm.force_bool(value)?;
        match self.test {
            Test::Any if answer => return Ok(BuiltinStep::Done(Value::Bool(true))),
            Test::All if !answer => return Ok(BuiltinStep::Done(Value::Bool(false))),
            Test::Filter | Test::Partition if answer => self.kept.push(self.current()),
            Test::Partition => self.dropped.push(self.current()),
            _ => {}
        }
        Ok(self.next_element())
    }
}

fn gen_list<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let n = vm.force_int(args[1].clone())?;
    if n < 0 {
        return Err(Error::other(format!("cannot create list of size {n}")));
    }
    // Each element is a lazy application: a thunk besides the list's slot.
    let per_element = List::bytes_for(1) + LAZY_APPLICATION_BYTES;
    vm.context()
        .limits
        .reserve((n as usize).saturating_mul(per_element))?;
    // Like Nix 2.8, the function is not forced: each element applies it
    // when it is itself forced (`length (genList (throw "x") 3)` is 3).
    Ok(Value::list(
        (0..n)
            .map(|i| lazy_apply(&args[0], Value::Int(i)))
            .collect(),
    ))
}

fn concat_lists<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let lists = vm.force_list(args[0].clone())?;
    let mut out = Vec::new();
    for l in lists.iter() {
        let l = vm.force_list(l.clone())?;
        vm.context()
            .limits
            .reserve(List::bytes_for(out.len() + l.len()))?;
        out.extend_from_slice(l.as_slice());
    }
    Ok(Value::list(out))
}

/// `concatMap`: like Nix, requires a function even for an empty list.
fn concat_map<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    vm.force_function(args[0].clone())?;
    let list = vm.force_list(args[1].clone())?;
    let mut out = Vec::new();
    for x in list.iter() {
        let mapped = vm.call(args[0].clone(), x.clone())?;
        out.extend_from_slice(vm.force_list(mapped)?.as_slice());
    }
    Ok(Value::list(out))
}

fn elem<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let list = vm.force_list(args[1].clone())?;
    for x in list.iter() {
        if vm.equal_members(&args[0], x)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

/// `any`: like Nix, requires a function even for an empty list.
fn any<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<BuiltinStep<E>> {
    let predicate = vm.force_function(args[0].clone())?;
    let list = vm.force_list(args[1].clone())?;
    Scan::start(Test::Any, predicate, list)
}

/// `all`: like Nix, requires a function even for an empty list.
fn all<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<BuiltinStep<E>> {
    let predicate = vm.force_function(args[0].clone())?;
    let list = vm.force_list(args[1].clone())?;
    Scan::start(Test::All, predicate, list)
}

/// `sort`: a stable merge sort whose comparator is the Nix function, asked
/// "is a less than b?" once per comparison. Like Nix, every element is
/// forced first, whether the comparator looks at it or not.
fn sort<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<BuiltinStep<E>> {
    let list = vm.force_list(args[1].clone())?;
    let less = vm.force_function(args[0].clone())?;
    let sort = Box::new(MergeSort {
        less,
        src: list.as_slice().to_vec(),
        dst: Vec::with_capacity(list.len()),
        forced: 0,
        width: 1,
        lo: 0,
        i: 0,
        j: 1,
        merging: false,
    });
    Ok(sort.next_step())
}

/// A bottom-up merge sort between comparisons (no recursion, O(n log n)):
/// runs of `width` elements of `src` are merged pairwise onto `dst`, and
/// the two swap when a pass is over. The merge in progress takes
/// `src[i..mid]` and `src[j..hi]`, where `mid` and `hi` follow from `lo`
/// and `width`. A merge first compares the two elements where the runs
/// meet and copies both runs as they are when those are in order; that
/// comparison is never asked twice.
struct MergeSort {
    less: Value,
    src: Vec<Value>,
    dst: Vec<Value>,
    /// How many elements are forced; comparisons start when all are.
    forced: usize,
    width: usize,
    lo: usize,
    i: usize,
    j: usize,
    /// Whether the runs of the merge in progress were found out of order.
    merging: bool,
}

impl MergeSort {
    fn next_step<E: Engine + ?Sized>(mut self: Box<Self>) -> BuiltinStep<E> {
        if let Some(x) = self.src.get(self.forced).cloned() {
            return BuiltinStep::Force(x, self);
        }
        match self.next_comparison() {
            // Taking the right element only when it is strictly less keeps
            // equal elements in their order.
            Some((right, left)) => {
                let less = self.less.clone();
                BuiltinStep::call2(less, right, left, self)
            }
            None => BuiltinStep::Done(Value::list(self.src)),
        }
    }

    /// Merges until the next comparison is needed, and gives its operands,
    /// or `None` when the list is sorted.
    fn next_comparison(&mut self) -> Option<(Value, Value)> {
        let n = self.src.len();
        loop {
            if self.width >= n {
                return None;
            }
            let mid = (self.lo + self.width).min(n);
            let hi = (self.lo + 2 * self.width).min(n);
            if self.i < mid && self.j < hi {
                if !self.merging {
                    return Some((self.src[self.j].clone(), self.src[mid - 1].clone()));
                }
                if self.j == mid && self.i + 1 == mid {
                    // The check where the runs meet asked exactly this.
                    self.take(true);
                    continue;
                }
                return Some((self.src[self.j].clone(), self.src[self.i].clone()));
            }
            let (left, right) = self.src.split_at_mut(mid);
            let rest = left[self.i..]
                .iter_mut()
                .chain(&mut right[self.j - mid..hi - mid]);
            self.dst.extend(rest.map(std::mem::take));
            self.lo = hi;
            self.merging = false;
            if self.lo >= n {
                std::mem::swap(&mut self.src, &mut self.dst);
                self.dst.clear();
                self.width *= 2;
                self.lo = 0;
            }
            self.i = self.lo;
            self.j = (self.lo + self.width).min(n);
        }
    }

    /// Takes the next element of the merge from the right run or the left.
    fn take(&mut self, right: bool) {
        let k = if right { &mut self.j } else { &mut self.i };
        let x = std::mem::take(&mut self.src[*k]);
        *k += 1;
        self.dst.push(x);
    }
}

impl<E: Engine + ?Sized> Resume<E> for MergeSort {
    fn resume(mut self: Box<Self>, vm: &mut E, value: Value) -> Result<BuiltinStep<E>> {
        if self.forced < self.src.len() {
            // Nix's sorted list holds the cells of the list given. Only a
            // value printed as `«repeated»` by its cell tells the two
            // apart, so that value keeps its thunk; any other is kept
            // as a value, which the comparisons read directly and which
            // lets the thunk go.
            if !value.identified_by_cell() {
                self.src[self.forced] = value;
            }
            self.forced += 1;
        } else if self.merging {
            let right = vm.force_bool(value)?;
            self.take(right);
        } else if vm.force_bool(value)? {
            self.merging = true;
        } else {
            // The runs are in order: the left one is copied now, the right
            // one when the merge finds the left exhausted.
            let mid = (self.lo + self.width).min(self.src.len());
            while self.i < mid {
                self.take(false);
            }
        }
        Ok(self.next_step())
    }
}

/// `partition`: like Nix, requires a function even for an empty list, and
/// forces each element before passing it to the predicate.
fn partition<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<BuiltinStep<E>> {
    let predicate = vm.force_function(args[0].clone())?;
    let list = vm.force_list(args[1].clone())?;
    Scan::start(Test::Partition, predicate, list)
}
