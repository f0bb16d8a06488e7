# Nesting far beyond what C++ Nix 2.8 survives (it stops with a stack
# overflow already at 10^5): a non-tail recursion `n` deep and a thunk chain `n`
# long.
# Not run on Nix.
{ n ? 300000 }:
let
  down = d: if d == 0 then 0 else 1 + down (d - 1);
  xs = builtins.genList (i: if i == 0 then 0 else builtins.elemAt xs (i - 1) + 1) n;
in
{
  down = down n;
  chain = builtins.elemAt xs (n - 1);
}
