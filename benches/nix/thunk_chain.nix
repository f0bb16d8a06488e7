# Long thunk chains: each element of a lazy list, of a lazy attribute set
# and of a lazy fold refers to the previous one, so forcing the last
# forces the whole chain, 4,000 deep. `n` chains of each kind.
{ n ? 30 }:
let
  inherit (builtins) genList elemAt foldl' listToAttrs length;
  len = 4000;
  listChain = k:
    let xs = genList (i: if i == 0 then k else elemAt xs (i - 1) + 1) len;
    in elemAt xs (len - 1);
  attrChain = k:
    let s = listToAttrs (genList (i: { name = toString i; value = if i == 0 then k else s.${toString (i - 1)} + 2; }) len);
    in s.${toString (len - 1)};
  # foldl (not foldl') with a lazy accumulator builds ((k + 0) + 1) + …
  foldl = op: nul: list:
    let go = i: acc: if i == length list then acc else go (i + 1) (op acc (elemAt list i));
    in go 0 nul;
  lazyFold = k: foldl (acc: x: acc + x) k (genList (i: i) len);
  sum = foldl' (a: b: a + b) 0;
  ks = genList (k: k) n;
in
{
  lists = sum (map listChain ks);
  attrs = sum (map attrChain ks);
  folds = sum (map lazyFold ks);
}
