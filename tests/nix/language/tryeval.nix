[ (builtins.tryEval (throw "no")) (builtins.tryEval (assert false; 1)) (builtins.tryEval 5) ]
