//! The compiler's rewrites, seen in the bytecode they leave and in what that
//! bytecode evaluates to on both VMs: curried lambdas and their fused code
//! (`Code::fuse`), single reads moved out (`Code::take_single_reads`),
//! deferred closures and thunks of recursive bindings and their `Finalise`,
//! and `Code::check_invariants`, which the random programs of
//! `tests/bytecode_invariants.rs` are held to, shown to catch what it is
//! meant to catch.

use std::path::Path;
use std::rc::Rc;

use crate::bytecode::{Capture, Code, CodeKind, Op};
use crate::eval::{Evaluator, VmKind};

fn compile(source: &str) -> Rc<Code> {
    let code = Evaluator::builder()
        .build()
        .context()
        .compile_source("test.nix".into(), source.into(), Path::new("/"), None)
        .unwrap_or_else(|e| panic!("{source}: {e}"));
    code.check_invariants()
        .unwrap_or_else(|e| panic!("{source}: {e}"));
    code
}

/// What `source` evaluates to, printed as `nix-instantiate --eval --strict`
/// prints it; every VM built in must agree.
fn eval(source: &str) -> String {
    let print = |vm: VmKind| {
        let evaluator = Evaluator::builder().vm(vm).build();
        let value = evaluator
            .eval_str(source)
            .unwrap_or_else(|e| panic!("{source} on {vm:?}: {e}"));
        let printed = evaluator.print(&value, true).unwrap();
        String::from_utf8(printed.to_vec()).unwrap()
    };
    let fiber = print(VmKind::Fiber);
    for &vm in VmKind::ALL {
        assert_eq!(fiber, print(vm), "{vm:?} disagrees on {source}");
    }
    fiber
}

/// The first code object, depth first from `code` (itself included), that
/// `pick` accepts.
fn find<'c>(code: &'c Code, pick: &dyn Fn(&Code) -> bool) -> Option<&'c Code> {
    if pick(code) {
        return Some(code);
    }
    code.children.iter().find_map(|child| find(child, pick))
}

/// The code of the lambda bound to `name` (a curried lambda's inner lambdas
/// go by its name too: this is the outermost).
fn lambda<'c>(code: &'c Code, name: &str) -> &'c Code {
    find(code, &|c| {
        matches!(c.kind, CodeKind::Lambda { .. }) && c.display_name() == name
    })
    .unwrap_or_else(|| panic!("no lambda {name}"))
}

fn takes(code: &Code) -> Vec<u32> {
    code.ops
        .iter()
        .filter_map(|op| match op {
            Op::TakeLocal(slot) => Some(*slot),
            _ => None,
        })
        .collect()
}

// ---- curried lambdas and fused code -------------------------------------------

#[test]
fn a_curried_lambda_carries_its_inner_lambda_fused() {
    let source = "let pair = a: b: [ a b ]; in pair 1 2";
    let file = compile(source);
    let outer = lambda(&file, "pair");
    let inner_index = outer.curried().expect("a: b: … is curried");
    let inner = &outer.children[inner_index as usize];
    assert_eq!(inner.captures, [Capture::Local(0)], "b's code captures a");
    let fused = outer.fused.as_ref().expect("curried code is fused");
    // `a` moves from the inner lambda's captured values to a slot of its own,
    // the last; `b` stays in slot 0; the outer lambda's captures serve.
    assert_eq!(fused.locals, inner.locals + 1);
    assert_eq!(fused.captures, outer.captures);
    let first = inner.locals;
    assert!(inner.ops.contains(&Op::GetUpvalue(0)));
    assert!(!fused.ops.iter().any(|op| matches!(op, Op::GetUpvalue(_))));
    assert!(fused
        .ops
        .iter()
        .any(|op| matches!(op, Op::GetLocal(s) | Op::TakeLocal(s) if *s == first)));
    assert_eq!(eval(source), "[ 1 2 ]");
    assert_eq!(eval("let pair = a: b: [ a b ]; in (pair 1) 2"), "[ 1 2 ]");
}

#[test]
fn only_a_lambda_whose_whole_body_is_a_lambda_is_curried() {
    let file = compile("let f = a: let t = a * 2; in b: t + b; in f 4 5");
    let f = lambda(&file, "f");
    assert!(f.locals > 1);
    assert_eq!(f.curried(), None);
    assert!(f.fused.is_none());
    assert_eq!(
        eval("let f = a: let t = a * 2; in b: t + b; in f 4 5"),
        "13"
    );
}

#[test]
fn fusing_relocates_what_the_inner_lambda_passes_on() {
    // The thunk `a + b` captures `a` from the inner lambda's captured values;
    // in the fused code it captures the slot `a` moved to.
    let source = "let f = a: b: let t = a + b; in [ t t ]; in f 1 2";
    let file = compile(source);
    let f = lambda(&file, "f");
    let inner = &f.children[f.curried().unwrap() as usize];
    let fused = f.fused.as_ref().unwrap();
    let first = inner.locals;
    let thunk = |code: &Code| -> Vec<Capture> {
        find(code, &|c| matches!(c.kind, CodeKind::Thunk))
            .expect("the thunk of a + b")
            .captures
            .clone()
    };
    assert!(thunk(inner).contains(&Capture::Upvalue(0)));
    assert!(thunk(fused).contains(&Capture::Local(first)));
    assert!(!thunk(fused).contains(&Capture::Upvalue(0)));
    assert_eq!(eval(source), "[ 3 3 ]");
}

#[test]
fn a_curried_lambda_inside_fused_code_keeps_its_fused_code_in_step() {
    // `x: y: …` reads `a`, so fusing `f` relocates it; its own fused code
    // must carry the relocated captures (found by the random programs).
    let source = "let f = a: b: (x: y: [ a b x y ]); in [ (f 1 2 3 4) ((f 1 2) 3 4) ]";
    let file = compile(source);
    let f = lambda(&file, "f");
    let fused = f.fused.as_ref().unwrap();
    let relocated = find(fused, &|c| {
        c.curried().is_some() && !std::ptr::eq(c, &**fused)
    })
    .expect("x: y: … in the fused code");
    assert!(relocated
        .captures
        .contains(&Capture::Local(fused.locals - 1)));
    assert_eq!(
        relocated.fused.as_ref().unwrap().captures,
        relocated.captures
    );
    assert_eq!(eval(source), "[ [ 1 2 3 4 ] [ 1 2 3 4 ] ]");
}

#[test]
fn two_arguments_at_once_are_given_with_call2() {
    let file = compile("let f = a: b: a - b; g = x: x; in [ (f 10 3) (g 1) ]");
    let calls: Vec<&Op> = find(&file, &|c| c.ops.contains(&Op::Call2))
        .expect("f 10 3 compiles to Call2")
        .ops
        .iter()
        .filter(|op| matches!(op, Op::Call | Op::Call2))
        .collect();
    assert_eq!(calls, [&Op::Call2]);
    assert_eq!(
        eval("let f = a: b: a - b; in [ (f 10 3) (builtins.foldl' f 100 [ 1 2 ]) ]"),
        "[ 7 97 ]"
    );
}

// ---- single reads --------------------------------------------------------------

#[test]
fn a_slot_read_once_is_taken() {
    let file = compile("let f = xs: xs ++ [ 1 ]; in f [ 0 ]");
    assert_eq!(takes(lambda(&file, "f")), [0]);
    assert_eq!(eval("let f = xs: xs ++ [ 1 ]; in f [ 0 ]"), "[ 0 1 ]");
}

#[test]
fn a_slot_read_twice_or_captured_is_not_taken() {
    let file = compile("let f = x: [ x x ]; g = x: y: x; h = x: [ (x + 1) ]; in f 1");
    assert_eq!(takes(lambda(&file, "f")), Vec::<u32>::new());
    // `g`'s inner lambda captures `x`: the outer lambda never reads it.
    let g = lambda(&file, "g");
    assert_eq!(takes(g), Vec::<u32>::new());
    // The thunk `x + 1` captures `x`.
    let h = lambda(&file, "h");
    assert!(h.children.iter().any(|c| c.captures == [Capture::Local(0)]));
    assert_eq!(takes(h), Vec::<u32>::new());
}

#[test]
fn the_argument_of_a_pattern_is_not_taken_but_its_formals_are() {
    let source = "let f = { a, b ? 2 }: a + b; in f { a = 1; }";
    let file = compile(source);
    let f = lambda(&file, "f");
    assert!(f.ops.contains(&Op::CheckFormals));
    let taken = takes(f);
    assert!(!taken.contains(&0), "slot 0 holds the argument set");
    assert_eq!(taken.len(), 2, "a and b are read once each: {:?}", f.ops);
    assert_eq!(eval(source), "3");
}

#[test]
fn a_with_namespace_is_not_taken() {
    let source = "let f = s: with s; a + b; in f { a = 1; b = 2; }";
    let file = compile(source);
    let f = lambda(&file, "f");
    let namespaces: Vec<Capture> = f
        .with_lookups
        .iter()
        .flat_map(|l| l.namespaces.clone())
        .collect();
    assert!(!namespaces.is_empty());
    for ns in namespaces {
        if let Capture::Local(slot) = ns {
            assert!(!takes(f).contains(&slot));
        }
    }
    assert_eq!(eval(source), "3");
}

#[test]
fn a_backward_jump_turns_the_rewrite_off() {
    // The compiler emits forward jumps only; were a backward one to appear,
    // a single read could run twice, so the rewrite must leave the code alone.
    let file = compile("let f = x: if x then 1 else 2; in f true");
    let mut code = lambda(&file, "f").clone();
    for op in &mut code.ops {
        if let Op::TakeLocal(slot) = *op {
            *op = Op::GetLocal(slot);
        }
    }
    let plain = code.ops.clone();
    code.take_single_reads();
    assert_ne!(code.ops, plain, "the slot of x is read once");
    let mut looping = Code {
        ops: plain.clone(),
        ..code.clone()
    };
    let last = looping.ops.len() - 1;
    looping.ops.insert(last, Op::Jump(0));
    looping.spans.insert(last, looping.span);
    looping.take_single_reads();
    assert!(takes(&looping).is_empty());
    let error = looping.check_invariants_of_lambda().unwrap_err();
    assert!(error.contains("not forward"), "{error}");
}

#[test]
fn a_moved_out_accumulator_stays_correct() {
    assert_eq!(
        eval("builtins.foldl' (acc: x: acc ++ [ x ]) [ ] [ 1 2 3 ]"),
        "[ 1 2 3 ]"
    );
    assert_eq!(
        eval("builtins.foldl' (acc: x: acc // { ${toString x} = x; }) { } [ 1 2 ]"),
        "{ \"1\" = 1; \"2\" = 2; }"
    );
    // The list taken by `++` is still the one `xs` named for every other use.
    assert_eq!(
        eval("let xs = [ 1 ]; ys = xs ++ [ 2 ]; in [ xs ys ]"),
        "[ [ 1 ] [ 1 2 ] ]"
    );
}

// ---- deferred closures and thunks ------------------------------------------------

/// Checks that each deferred make of `code` is stored at once into a slot that
/// a later `Finalise` completes, and returns those slots.
fn deferred_slots(code: &Code) -> Vec<u32> {
    let mut slots = Vec::new();
    for (i, op) in code.ops.iter().enumerate() {
        if let Op::MakeClosureDeferred(_) | Op::MakeThunkDeferred(_) = op {
            let Op::SetLocal(slot) = code.ops[i + 1] else {
                panic!("deferred value not stored: {:?}", code.ops)
            };
            assert!(code.ops[i + 2..].contains(&Op::Finalise(slot)));
            slots.push(slot);
        }
    }
    slots
}

#[test]
fn a_recursive_function_is_made_deferred_and_finalised() {
    let source = "let f = n: if n == 0 then 0 else n + f (n - 1); in f 100";
    let file = compile(source);
    let slots = deferred_slots(&file);
    assert_eq!(slots.len(), 1);
    let f = lambda(&file, "f");
    assert!(
        f.captures.contains(&Capture::Local(slots[0])),
        "f captures itself"
    );
    assert!(file
        .ops
        .iter()
        .any(|op| matches!(op, Op::MakeClosureDeferred(_))));
    assert_eq!(eval(source), "5050");
}

#[test]
fn bindings_that_refer_forward_are_deferred_thunks() {
    let source = "rec { a = b + 1; b = c * 2; c = 5; }";
    let file = compile(source);
    let deferred = file
        .ops
        .iter()
        .filter(|op| matches!(op, Op::MakeThunkDeferred(_)))
        .count();
    assert_eq!(deferred, 2, "a and b read bindings not made yet");
    assert_eq!(deferred_slots(&file).len(), 2);
    assert_eq!(eval(source), "{ a = 11; b = 10; c = 5; }");
}

#[test]
fn defaults_that_refer_to_each_other_are_finalised() {
    let source =
        "let f = { a ? b + 1, b ? 1 }: [ a b ]; in [ (f { }) (f { b = 5; }) (f { a = 0; }) ]";
    let file = compile(source);
    let f = lambda(&file, "f");
    assert_eq!(deferred_slots(f).len(), 1);
    assert_eq!(eval(source), "[ [ 2 1 ] [ 6 5 ] [ 0 1 ] ]");
}

#[test]
fn bindings_that_refer_backward_are_not_deferred() {
    let file = compile("let a = 1; b = a + 1; in b");
    assert!(deferred_slots(&file).is_empty());
    assert!(!file.ops.iter().any(|op| matches!(op, Op::Finalise(_))));
}

// ---- the invariant checker catches what it must -------------------------------

impl Code {
    /// [`Code::check_invariants`] of a lambda taken out of its file: as made
    /// by a frame with enough slots and captured values for its captures.
    fn check_invariants_of_lambda(&self) -> Result<(), String> {
        let mut file = self.clone();
        file.captures.clear();
        file.kind = CodeKind::Toplevel;
        let needed = |pick: fn(&Capture) -> Option<u32>| {
            self.captures
                .iter()
                .filter_map(pick)
                .max()
                .map_or(0, |n| n + 1)
        };
        file.locals = needed(|c| match c {
            Capture::Local(s) => Some(*s),
            _ => None,
        });
        file.ops = vec![Op::MakeClosure(0), Op::Return];
        file.spans = vec![self.span; 2];
        file.children = vec![Rc::new(self.clone())];
        file.fused = None;
        file.eager = None;
        file.constants.clear();
        file.attr_templates.clear();
        file.with_lookups.clear();
        assert_eq!(
            needed(|c| match c {
                Capture::Upvalue(u) => Some(*u),
                _ => None,
            }),
            0,
            "a lambda made by a file captures no captured values"
        );
        file.check_invariants()
    }
}

#[test]
fn the_checker_finds_a_capture_out_of_range() {
    let file = compile("let a = 1; f = x: a + x; in f 2");
    let mut broken = (*file).clone();
    let i = broken
        .children
        .iter()
        .position(|c| !c.captures.is_empty())
        .unwrap();
    let mut child = (*broken.children[i]).clone();
    child.captures[0] = Capture::Local(broken.locals + 3);
    broken.children[i] = Rc::new(child);
    let error = broken.check_invariants().unwrap_err();
    assert!(error.contains("captures"), "{error}");
    assert!(error.contains(&format!("child {i}")), "{error}");
}

#[test]
fn the_checker_finds_a_take_of_a_slot_read_twice() {
    let file = compile("let f = x: [ x x ]; in f 1");
    let mut f = lambda(&file, "f").clone();
    let get = f.ops.iter().position(|op| *op == Op::GetLocal(0)).unwrap();
    f.ops[get] = Op::TakeLocal(0);
    let error = f.check_invariants_of_lambda().unwrap_err();
    assert!(error.contains("read 2 times"), "{error}");
}

#[test]
fn the_checker_finds_stale_fused_code() {
    let file = compile("let f = a: b: a; in f");
    let mut f = lambda(&file, "f").clone();
    assert!(f.check_invariants_of_lambda().is_ok());
    let mut fused = (**f.fused.as_ref().unwrap()).clone();
    fused.locals -= 1;
    f.fused = Some(Rc::new(fused));
    assert!(f.check_invariants_of_lambda().is_err());
    f.fused = None;
    let error = f.check_invariants_of_lambda().unwrap_err();
    assert!(error.contains("without fused code"), "{error}");
}

#[test]
fn the_checker_finds_a_deferred_value_never_finalised() {
    let file = compile("let f = n: f; in f");
    let mut broken = (*file).clone();
    broken.ops.retain(|op| !matches!(op, Op::Finalise(_)));
    broken.spans.truncate(broken.ops.len());
    let error = broken.check_invariants().unwrap_err();
    assert!(error.contains("never finalised"), "{error}");
}

#[test]
fn a_lazy_with_lookup_keeps_its_thunk() {
    let source = "let f = s: with s; [ a ]; in f { a = 1; }";
    let file = compile(source);
    let f = lambda(&file, "f");
    let i = f
        .ops
        .iter()
        .find_map(|op| match op {
            Op::LazyWithLookup(i) => Some(*i as usize),
            _ => None,
        })
        .expect("`a` in a list is a lazy lookup");
    let mut broken = f.clone();
    broken.with_lookups[i].thunk = None;
    let error = broken.check_invariants_of_lambda().unwrap_err();
    assert!(error.contains("without its thunk"), "{error}");
    assert_eq!(eval(source), "[ 1 ]");
}

/// The error of compiling `source`.
fn compile_error(source: &str) -> String {
    match Evaluator::builder().build().context().compile_source(
        "test.nix".into(),
        source.into(),
        Path::new("/"),
        None,
    ) {
        Ok(_) => panic!("{source} compiles"),
        Err(e) => e.to_string(),
    }
}

/// `count` attributes with names no other test uses, `= 1;` each.
fn new_names(prefix: &str, count: usize) -> String {
    (0..count).map(|i| format!("{prefix}{i} = 1; ")).collect()
}

#[test]
fn a_set_finds_its_names_new_or_old_and_however_far_apart() {
    // Names new to the thread are found by number, older ones by hash;
    // both find a duplicate however many names lie between.
    let many = new_names("nameIndexMany", 1000);
    let err = compile_error(&format!("{{ {many} nameIndexMany3 = 2; }}"));
    assert!(
        err.contains("attribute 'nameIndexMany3' already defined"),
        "{err}"
    );
    let err = compile_error(&format!("{{ toString = 1; {many} toString = 2; }}"));
    assert!(
        err.contains("attribute 'toString' already defined"),
        "{err}"
    );
    // `a`'s own set is gathered when `a.far` joins it, which interns
    // `near` (new, found by number) after `far` (older than the set, found
    // by hash); `later` comes 200 new names later, too far to be numbered,
    // and is found by hash too. Each source has names of its own, new to
    // the thread when it is compiled.
    let set = |tag: &str, more: &str| {
        let between = new_names(&format!("between{tag}_"), 200);
        format!(
            "{{ a = {{ near{tag} = 1; }}; a.far{tag} = 2; {between} a.later{tag} = 3; {more} }}"
        )
    };
    assert_eq!(
        eval(&format!("({}).a", set("Eval", ""))),
        "{ farEval = 2; laterEval = 3; nearEval = 1; }"
    );
    for again in ["near", "far", "later"] {
        let tag = format!("Twice{again}");
        let err = compile_error(&set(&tag, &format!("a.{again}{tag} = 4;")));
        assert!(
            err.contains(&format!("attribute '{again}{tag}' already defined")),
            "{err}"
        );
    }
}
