({ a, b ? a * 2, ... }@args: [ a b (builtins.attrNames args) ]) { a = 3; c = 4; }
