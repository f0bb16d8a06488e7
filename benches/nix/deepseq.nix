# deepSeq over a lazily built binary tree of depth `n` (2^n leaves) whose
# nodes hold lists and strings, then a cheap count.
{ n ? 17 }:
let
  tree = d: i:
    if d == 0 then { leaf = i; label = "l${toString i}"; }
    else { l = tree (d - 1) (2 * i); r = tree (d - 1) (2 * i + 1); v = [ i (i + 1) { w = i; } ]; };
  t = tree n 1;
in
builtins.deepSeq t (t.l.v ++ t.r.v)
