let x = throw "never"; in [ (builtins.length [ x x ]) ({ inherit x; } ? x) ]
