let s = { __toString = self: "S"; }; in [ "${s}" (toString s) (toString [ 1 null true false "x" ]) ]
