# Deep non-tail recursion, repeated: a plain countdown, a recursion through
# a lazily built chain of attribute sets, and an accumulation through a
# list. Nesting stays below 5,000 so that C++ Nix 2.8 survives it; `n` is
# the number of repetitions.
{ n ? 60 }:
let
  inherit (builtins) foldl' genList;
  depth = 4000;
  down = d: if d == 0 then 0 else 1 + down (d - 1);
  chain = d: if d == 0 then null else { v = d; next = chain (d - 1); };
  sumChain = c: if c == null then 0 else c.v + sumChain c.next;
  upto = d: if d == 0 then [ ] else [ d ] ++ upto (d - 1);
  rounds = genList (i: depth - i) n;
in
{
  down = foldl' (acc: d: acc + down d) 0 rounds;
  chains = foldl' (acc: d: acc + sumChain (chain d)) 0 rounds;
  lists = foldl' (acc: d: acc + builtins.length (upto (d / 8))) 0 rounds;
}
