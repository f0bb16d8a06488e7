# The checks of stepped-callbacks.nix, evaluated 20 levels deep inside
# foldl' callbacks: that deep, stepped builtins no longer run their steps
# with native calls but in frames of the dispatch loop.
let
  nest = d:
    if d == 0 then
      let checks = import ./stepped-callbacks.nix; in builtins.deepSeq checks checks
    else builtins.foldl' (_: _: nest (d - 1)) null [ 1 ];
in
nest 20
