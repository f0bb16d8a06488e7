# A curried lambda recursing through calls given both arguments at once:
# the trace names it at each level, as Nix does.
let
  countdown = a: b: if b == 0 then throw "boom" else countdown a (b - 1);
in
countdown 1 2
