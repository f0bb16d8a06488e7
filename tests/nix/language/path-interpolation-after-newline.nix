# A path, then an interpolation on the next line: Nix 2.8 stops at the
# stray ${ (rnix alone would take both as one path).
let h = "x"; in
/p
${h}
