builtins.genericClosure { operator = x: [ ]; }
