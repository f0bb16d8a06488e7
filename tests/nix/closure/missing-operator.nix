builtins.genericClosure { startSet = [ { key = 1; } ]; }
