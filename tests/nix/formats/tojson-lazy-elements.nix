# toJSON forces what it serialises, and only that.
let
  xs = builtins.genList (i: i * i) 5;
  set = { a = 1 + 1; b = builtins.length xs; };
in
builtins.toJSON [ xs set (builtins.attrNames set) ]
