# A `with` whose set no lookup has evaluated yet leaves variables in lazy
# positions for later, even when the set is a variable already evaluated
# or `builtins`; once evaluated, names are looked up in every lazy
# position, through outer `with`s whose sets are evaluated too.
let
  s = { a = 1; };
  unforced = with s; builtins.seq s (builtins.length [ missing ]);
  builtinsSet = with builtins; builtins.length [ missing ];
  outer = with { a = 1; }; with { c = 2; }; builtins.seq c (builtins.length [ a missing ]);
  found = with { a = 1; b = 2; }; builtins.seq a [ a b ({ x ? b }: x) { y = b; inherit a; } ];
  curried = let f = x: with x; [ a b ]; in builtins.length (f { a = 1; });
  notASet = builtins.tryEval (with 1; builtins.length [ b ]);
in
[ unforced builtinsSet outer found curried notASet ]
