builtins.toJSON { f = builtins.map (x: x); }
