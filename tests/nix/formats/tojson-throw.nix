builtins.toJSON { a.b = [ true (throw "not serialisable") ]; }
