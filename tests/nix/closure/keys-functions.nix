builtins.genericClosure { startSet = [ { key = x: x; } { key = y: y; } ]; operator = x: [ ]; }
