builtins.tryEval (builtins.genList (throw "escapes tryEval") 3)
