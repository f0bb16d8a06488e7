# Calls of builtins the compiler knows statically, and every way a name can
# stop being the builtin: a lambda parameter, an inner let, a local
# `builtins`, a rec set, `with` (which never shadows a binding); and a
# builtin reached at run time whose argument is a pending thunk.
let
  inherit (builtins) map head foldl' elemAt;
  f = map: map (x: x) [ 1 ];
  h = builtins.head;
  viaWith = with { head = _: "with"; }; head [ "lexical" ];
  localBuiltins = let builtins = { head = _: "local"; }; inherit (builtins) head; in head [ 3 ];
  inner = let map = a: b: a + b; in map 1 2;
  recSet = rec { inherit (builtins) tail; x = tail [ 1 2 ]; };
  overridden = rec { __overrides = { id = _: "over"; }; id = x: x; y = id 5; };
in
[
  (f (g: l: 42))
  (h [ 9 ])
  viaWith
  localBuiltins
  inner
  recSet.x
  overridden.y
  (foldl' (a: b: a + b) 0 (map (x: x * 2) [ 1 2 3 ]))
  (elemAt [ "a" "b" ] 1)
  (builtins.substring 1 3 "spindle")
  ((builtins.elemAt) [ 7 ] 0)
  (let dynamicHead = if true then builtins.head else null; in dynamicHead (map (x: x) [ 4 ]))
  (builtins.map (x: x + 1) [ 1 ] ++ [ (head [ 0 ]) ])
]
