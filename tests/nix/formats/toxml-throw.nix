builtins.toXML { a = [ 1 (throw "not printable") ]; }
