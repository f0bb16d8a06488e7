# Functions of two arguments applied in one go (`f a b`, builtin callbacks,
# lazy applications), which the VMs run without making the closure in
# between, against the same functions applied one argument at a time.
let
  add = a: b: a + b;
  sub = a: b: a - b;
  three = a: b: c: a * 100 + b * 10 + c;
  # The inner lambda reads the outer argument directly, through a thunk,
  # through a nested closure and through `with`.
  mixed = a: b: let t = a + b; in { direct = a; thunk = t; nested = (x: x + a) b; scoped = with { s = a; }; s + b; };
  formals = a: { x, y ? a + x }: [ a x y ];
  # Not curried: the outer body is not a lambda.
  notCurried = a: let twice = a * 2; in b: twice + b;
  rec2 = n: acc: if n == 0 then acc else rec2 (n - 1) (acc + n);
  set = { f = a: b: "${a}-${b}"; };
  functor = { __functor = self: a: b: a * b; };
  flip = f: a: b: f b a;
  partial = add 10;
  viaLet = let g = add; in g 3 4;
  returnsBuiltin = b: builtins.seq b builtins.seq;
in
{
  direct = add 1 2;
  oneAtATime = (add 1) 2;
  partialMapped = map partial [ 1 2 3 ];
  curried3 = three 1 2 3;
  curried3Partial = map (three 1 2) [ 7 8 ];
  inherit viaLet;
  mixed = mixed 5 6;
  formals = [ (formals 1 { x = 2; }) (formals 1 { x = 2; y = 9; }) ];
  notCurried = notCurried 4 5;
  recursion = rec2 1000 0;
  fromSet = set.f "a" "b";
  functor = functor 6 7;
  flipped = flip sub 1 10;
  foldl = builtins.foldl' add 0 [ 1 2 3 4 ];
  foldlNotCurried = builtins.foldl' notCurried 0 [ 1 2 3 ];
  sorted = builtins.sort (a: b: a > b) [ 3 1 2 ];
  mapAttrs = builtins.mapAttrs (name: value: "${name}=${toString value}") { x = 1; y = 2; };
  zipped = builtins.zipAttrsWith (name: values: builtins.length values) [ { a = 1; } { a = 2; b = 3; } ];
  genList = builtins.genList (add 100) 3;
  builtinResult = returnsBuiltin 1 2 "done";
  tryTwice = builtins.seq (builtins.tryEval (throw "x")).success builtins.seq (builtins.tryEval (throw "y")).success "ok";
  args = builtins.functionArgs (formals 1);
  isFunction = builtins.isFunction (add 1);
  lazy = (a: b: a) 1 (throw "never forced");
}
