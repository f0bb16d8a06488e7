# The builtins that call back into Nix per element, reached every way a
# call can reach them, with callbacks of every kind.
let
  inherit (builtins) foldl' filter sort any all partition groupBy genericClosure;
  lib = { fold = builtins.foldl'; sortBy = builtins.sort; };
  plus = a: b: a + b;
  slowId = x: builtins.head [ x ];
  functorPlus = { __functor = self: a: b: a + b; };
  xs = [ 5 3 (1 + 1) 4 1 ];
in {
  # statically known, through a partial application, from Rust (map), as a callback of another
  folds = [
    (foldl' plus 0 xs)
    (lib.fold plus 0 xs)
    (map (lib.fold plus 100) [ [ 1 ] [ 1 2 ] ])
    (foldl' builtins.add 0 xs)
    (foldl' functorPlus 0 xs)
    (foldl' (acc: x: slowId (acc ++ [ x ])) [ ] xs)
    (foldl' (acc: foldl' plus acc) 0 [ [ 1 2 ] [ 3 ] ])
    (foldl' plus (1 + 2) [ ])
  ];
  sorts = [
    (sort builtins.lessThan xs)
    (lib.sortBy (a: b: a > b) xs)
    (sort (a: b: a.k < b.k) (map (k: { inherit k; v = k * 2; }) [ 3 1 2 1 3 0 ]))
    (sort (a: b: false) [ 3 1 2 ])
    (sort (a: b: true) [ 3 1 2 ])
    (sort builtins.lessThan (builtins.genList (i: builtins.bitXor (i * 7919) 1234 - 600) 40))
    (sort builtins.lessThan [ ])
    (sort builtins.lessThan [ 1 ])
  ];
  scans = [
    (filter (x: x > 2) xs)
    (filter (x: true) xs)
    (any (x: x == 4) xs)
    (any (x: x == 9) xs)
    (all (x: x > 0) xs)
    (all (x: x > 1) xs)
    (partition (x: x > 2) xs)
    (map (filter (x: x > 1)) [ [ 1 2 ] [ 3 ] ])
    (builtins.mapAttrs (n: v: builtins.length v) (groupBy (x: if x > 2 then "big" else "small") xs))
    (groupBy builtins.typeOf [ 1 "a" 2 ])
  ];
  closure = map (e: e.key) (genericClosure {
    startSet = [ { key = 1; } ];
    operator = e: if e.key >= 5 then [ ] else [ { key = e.key + 1; } { key = e.key * 2; } ];
  });
  strings = [
    (toString { __toString = self: "a${toString self.n}"; n = 3; })
    (toString { __toString = self: { __toString = self: 42; }; })
    (toString { outPath = "/x"; })
    (map toString [ 1 [ 2 3 ] { __toString = _: "s"; } ])
  ];
}
