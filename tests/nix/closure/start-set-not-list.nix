builtins.genericClosure { startSet = "x"; operator = x: [ ]; }
