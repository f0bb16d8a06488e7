# A throw inside toJSON is catchable; an unconvertible function is not a throw.
[
  (builtins.tryEval (builtins.toJSON [ 1 (throw "no") ]))
  (builtins.tryEval (builtins.toJSON [ 1 2 ]))
]
