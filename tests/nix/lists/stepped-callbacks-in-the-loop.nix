# The checks of stepped-callbacks.nix, evaluated 64 levels deep inside
# foldl' callbacks: deeper than the stepped builtins that make their
# callbacks with native calls, so these run theirs in frames of the
# dispatch loop.
let
  nest = d:
    if d == 0 then
      let checks = import ./stepped-callbacks.nix; in builtins.deepSeq checks checks
    else builtins.foldl' (_: _: nest (d - 1)) null [ 1 ];
in
nest 64
