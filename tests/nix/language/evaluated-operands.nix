# Instructions whose operands are already evaluated take a quick path in
# the fiber VM: `or` on sets and non-sets, formals with and without
# defaults, `?`, `==` and `!=` on scalars held by evaluated thunks, `&&`
# and `||` on Booleans, division (including by values that are only known
# once forced), and attributes named by strings.
let
  s = { a = 1; b = "x"; c = null; d = [ 1 ]; e = { f = 2; }; };
  t = builtins.seq s.b s;
  f = { a, b ? a + 1, ... }: [ a b ];
  g = { x ? "dx", y ? x }: x + y;
  n = 7;
  z = 0;
  k = "kk";
  half = i: i / 2;
  # A thunk of `a / b` computed when made must not fail when b is 0.
  lazyQuotient = let q = n / z; in [ 1 q ];
in
[
  (s.a or 0) (s.missing or "dflt") ((1).a or 2) (null.a or 3) ("s".a.b or 4)
  (t.b or "no") (s.e.f or 5) (s.e.g or 6) ((x: x).a or 7)
  (f { a = 10; }) (f { a = 1; b = 2; c = 3; }) (g { }) (g { y = "y"; }) (g { x = "a"; })
  (s ? a) (s ? zz) (t ? b) (s.e ? f)
  (s.b == "x") (s.b != "x") (s.c == null) (null == s.c) (s.a == 1.0) (s.a == "1")
  (s.d == [ 1 ]) (s.e == { f = 2; }) (f == f) (s.b == t.b) (1.5 == 1.5) ("a" != "b")
  (true && s.a == 1) (false || s.c == null) (s.a == 1 -> s.b == "x")
  (n / 2) (-7 / 2) (7.0 / 2) (7 / 2.0) (half 9) (half (-9)) (builtins.length lazyQuotient)
  (n / (z + 4)) (1.0 / 3)
  (s.${"a"}) (s.${k} or "none") (s.${"e"}.${"f"}) (t.${"b"} or 0) ((1).${"a"} or 8)
  (s ? ${"a"}) (s ? ${k}) ((1) ? ${"a"}) (t ? ${t.b}) (s.e ? ${"f"})
]
