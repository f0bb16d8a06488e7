# Nix 2.8 forces elemAt's index before its list: an assertion failing in
# the index is caught by tryEval, even when the list would fail with an
# error tryEval does not catch (an index out of bounds).
[
  (builtins.tryEval (builtins.elemAt (builtins.elemAt [ ] 0) (assert false; 0)))
  (let v = builtins.tryEval (0.0 * (builtins.elemAt (builtins.elemAt [ ] 0) (assert false; 0))); in if v.success then v.value else 0.0)
  (builtins.tryEval (builtins.elemAt (throw "the list") 0))
  (builtins.elemAt [ 1 2 3 ] (builtins.length [ 1 ]))
]
